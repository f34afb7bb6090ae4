//! Address handling as wasmd does it: bech32 with one prefix, canonical form = the address
//! bytes, and wasmd's SDK gas for each conversion (charged as VM gas).

use bech32::{Bech32, Hrp};
use cosmwasm_vm::{BackendApi, BackendError, BackendResult, GasInfo};

use crate::price::{CANONICALIZE_SDK_GAS, GAS_MULTIPLIER, HUMANIZE_SDK_GAS};

pub const PREFIX: &str = "cosmwasm";

#[derive(Clone, Copy, Debug, Default)]
pub struct Api;

fn hrp() -> Hrp {
    Hrp::parse(PREFIX).expect("valid prefix")
}

/// The address bytes of a valid address of this chain.
pub fn canonicalize(human: &str) -> Result<Vec<u8>, String> {
    let (prefix, data) =
        bech32::decode(human).map_err(|e| format!("invalid address {human}: {e}"))?;
    if prefix != hrp() {
        return Err(format!("wrong address prefix: {human}"));
    }
    if data.is_empty() || data.len() > 255 {
        return Err(format!("invalid address length: {human}"));
    }
    if humanize(&data)? != human {
        return Err(format!("address not normalized: {human}"));
    }
    Ok(data)
}

pub fn humanize(canonical: &[u8]) -> Result<String, String> {
    if canonical.is_empty() || canonical.len() > 255 {
        return Err("invalid canonical address length".to_string());
    }
    bech32::encode::<Bech32>(hrp(), canonical).map_err(|e| e.to_string())
}

/// Length of an address's bytes (`None` if it is not a valid address).
pub fn canonical_len(human: &str) -> Option<usize> {
    canonicalize(human).ok().map(|c| c.len())
}

/// A 20-byte account address derived from a name (users).
pub fn user_addr(name: &str) -> String {
    let long = cosmwasm_std::testing::MockApi::default()
        .addr_make(name)
        .to_string();
    let bytes = canonicalize(&long).expect("addr_make gives a valid address");
    humanize(&bytes[..20]).expect("20 bytes encode")
}

/// A 32-byte contract address derived from a name, as wasmd's contract addresses are.
pub fn contract_addr(name: &str) -> String {
    cosmwasm_std::testing::MockApi::default()
        .addr_make(name)
        .to_string()
}

fn cost(sdk_gas: u64) -> GasInfo {
    GasInfo::with_cost(sdk_gas * GAS_MULTIPLIER)
}

impl BackendApi for Api {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        let gas = cost(HUMANIZE_SDK_GAS + CANONICALIZE_SDK_GAS);
        match canonicalize(input) {
            Ok(_) => (Ok(()), gas),
            Err(e) => (Err(BackendError::user_err(e)), gas),
        }
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        let gas = cost(CANONICALIZE_SDK_GAS);
        match canonicalize(human) {
            Ok(c) => (Ok(c), gas),
            Err(e) => (Err(BackendError::user_err(e)), gas),
        }
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        let gas = cost(HUMANIZE_SDK_GAS);
        match humanize(canonical) {
            Ok(h) => (Ok(h), gas),
            Err(e) => (Err(BackendError::user_err(e)), gas),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_and_have_chain_lengths() {
        let u = user_addr("alice");
        let c = contract_addr("market");
        assert_eq!(canonical_len(&u), Some(20));
        assert_eq!(canonical_len(&c), Some(32));
        assert!(Api.addr_validate(&u).0.is_ok());
        assert!(Api.addr_validate(&u.to_uppercase()).0.is_err());
        assert!(Api.addr_validate("alice").0.is_err());
        assert!(Api.addr_validate(&u.replace("cosmwasm", "osmo")).0.is_err());
        let canon = Api.addr_canonicalize(&c).0.unwrap();
        assert_eq!(Api.addr_humanize(&canon).0.unwrap(), c);
    }
}
