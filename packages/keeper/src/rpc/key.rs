//! The keeper's signing key, from a file or an environment variable.
//!
//! The text (trimmed) is either
//! - a raw secp256k1 private key: 64 hex characters, with or without `0x`; or
//! - a BIP-39 mnemonic (English, 12 to 24 words), derived along `hd_path` (Cosmos default
//!   `m/44'/118'/0'/0/0`; a chain with another coin type, e.g. 60 for Injective/Evmos, sets it).
//!
//! A key file should be readable by its owner only; the keeper warns otherwise (Unix).

use std::path::Path;

use bip39::{Language, Mnemonic};
use cosmrs::bip32::DerivationPath;
use cosmrs::crypto::secp256k1::SigningKey;

pub const DEFAULT_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// Reads the key text from `path`.
pub fn key_from_file(path: &Path, hd_path: &str) -> Result<SigningKey, String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "key file is readable by group or others");
            }
        }
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading key file {}: {e}", path.display()))?;
    parse_key(&text, hd_path)
}

/// Reads the key text from the environment variable `var`.
pub fn key_from_env(var: &str, hd_path: &str) -> Result<SigningKey, String> {
    let text = std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?;
    parse_key(&text, hd_path)
}

/// Parses a hex private key or a mnemonic (see the module docs). Error messages never contain
/// the key material.
pub fn parse_key(text: &str, hd_path: &str) -> Result<SigningKey, String> {
    let text = text.trim();
    let hex_text = text.strip_prefix("0x").unwrap_or(text);
    if hex_text.len() == 64 && hex_text.chars().all(|c| c.is_ascii_hexdigit()) {
        let bytes = hex::decode(hex_text).map_err(|_| "invalid hex private key".to_string())?;
        return SigningKey::from_slice(&bytes)
            .map_err(|_| "the hex private key is not a valid secp256k1 scalar".to_string());
    }
    let words = text.split_whitespace().count();
    if !(12..=24).contains(&words) {
        return Err(format!(
            "the key is neither 64 hex characters nor a 12–24 word mnemonic ({words} words)"
        ));
    }
    let phrase = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mnemonic = Mnemonic::parse_in_normalized(Language::English, &phrase)
        .map_err(|_| "invalid BIP-39 mnemonic (checksum or word list)".to_string())?;
    let path: DerivationPath = hd_path
        .parse()
        .map_err(|e| format!("invalid hd_path {hd_path}: {e}"))?;
    let seed = mnemonic.to_seed("");
    SigningKey::derive_from_path(seed, &path).map_err(|e| format!("key derivation: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BIP-39's all-zero entropy test mnemonic; its Cosmos address on m/44'/118'/0'/0/0 is a
    /// widely published test vector.
    const MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn mnemonic_derives_the_known_cosmos_address() {
        let key = parse_key(MNEMONIC, DEFAULT_HD_PATH).unwrap();
        let address = key.public_key().account_id("cosmos").unwrap();
        assert_eq!(
            address.to_string(),
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
        // extra whitespace is fine
        let spaced = format!("  {}\n", MNEMONIC.replace(' ', "  "));
        let again = parse_key(&spaced, DEFAULT_HD_PATH).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        // another path, another key
        let other = parse_key(MNEMONIC, "m/44'/118'/0'/0/1").unwrap();
        assert_ne!(other.public_key(), key.public_key());
        // 24 words too
        let long = format!("{} art", "abandon ".repeat(23).trim_end());
        let long_key = parse_key(&long, DEFAULT_HD_PATH).unwrap();
        assert_ne!(long_key.public_key(), key.public_key());
    }

    #[test]
    fn hex_keys_with_or_without_prefix() {
        let hex_key = "01".repeat(32);
        let a = parse_key(&hex_key, DEFAULT_HD_PATH).unwrap();
        let b = parse_key(&format!("0x{hex_key}\n"), DEFAULT_HD_PATH).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        // zero is not a valid scalar
        let err = parse_key(&"00".repeat(32), DEFAULT_HD_PATH).err().unwrap();
        assert!(err.contains("not a valid"), "{err}");
        assert!(!err.contains("0000"));
    }

    #[test]
    fn rejects_garbage_without_echoing_it() {
        let err = parse_key("not a key", DEFAULT_HD_PATH).err().unwrap();
        assert!(err.contains("3 words"), "{err}");
        let bad = MNEMONIC.replace("about", "abandon");
        let err = parse_key(&bad, DEFAULT_HD_PATH).err().unwrap();
        assert!(
            err.contains("mnemonic") && !err.contains("abandon"),
            "{err}"
        );
        let err = parse_key(MNEMONIC, "m/nope").err().unwrap();
        assert!(err.contains("hd_path"), "{err}");
    }

    #[test]
    fn key_from_env_and_file() {
        let var = "BALLAST_KEEPER_TEST_KEY_4821";
        assert!(key_from_env(var, DEFAULT_HD_PATH).is_err());
        let dir = std::env::temp_dir().join(format!("ballast-keeper-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        std::fs::write(&path, "02".repeat(32)).unwrap();
        let key = key_from_file(&path, DEFAULT_HD_PATH).unwrap();
        assert_eq!(
            key.public_key(),
            parse_key(&"02".repeat(32), DEFAULT_HD_PATH)
                .unwrap()
                .public_key()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
