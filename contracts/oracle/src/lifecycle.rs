//! Instantiation and migration.

use cosmwasm_std::{DepsMut, MessageInfo, Response};

use ballast_types::oracle::{Config, InstantiateMsg};

use crate::error::{ContractError, ContractResult};
use crate::execute::sources::validate_denom;
use crate::execute::{ensure_no_funds, validate_addr};
use crate::state::CONFIG;

pub const CONTRACT_NAME: &str = "crates.io:ballast-oracle";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Largest `quote_decimals` accepted.
pub const MAX_QUOTE_DECIMALS: u8 = 18;

pub fn instantiate(
    deps: DepsMut,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult<Response> {
    ensure_no_funds(&info)?;
    let owner = validate_addr(deps.api, "owner", &msg.owner)?;
    validate_denom(&msg.quote_denom).map_err(|_| ContractError::InvalidConfig {
        reason: format!(
            "quote_denom must be 1 to {} characters, got {:?}",
            crate::execute::sources::MAX_DENOM_LEN,
            msg.quote_denom
        ),
    })?;
    if msg.quote_decimals > MAX_QUOTE_DECIMALS {
        return Err(ContractError::InvalidConfig {
            reason: format!(
                "quote_decimals must be at most {MAX_QUOTE_DECIMALS}, got {}",
                msg.quote_decimals
            ),
        });
    }
    let config = Config {
        owner,
        pending_owner: None,
        quote_denom: msg.quote_denom,
        quote_decimals: msg.quote_decimals,
    };
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", config.owner)
        .add_attribute("quote_denom", config.quote_denom)
        .add_attribute("quote_decimals", config.quote_decimals.to_string())
        .add_attribute("version", CONTRACT_VERSION))
}

/// Migrates from a stored `ballast-oracle` of this version or older; refuses another contract,
/// a newer version (a downgrade), and a version it cannot read.
pub fn migrate(deps: DepsMut) -> ContractResult<Response> {
    let stored = cw2::get_contract_version(deps.storage)?;
    let refuse = || ContractError::InvalidMigration {
        name: stored.contract.clone(),
        version: stored.version.clone(),
        expected_name: CONTRACT_NAME.to_string(),
        expected_version: format!("{CONTRACT_VERSION} or older"),
    };
    if stored.contract != CONTRACT_NAME {
        return Err(refuse());
    }
    match (
        Version::parse(&stored.version),
        Version::parse(CONTRACT_VERSION),
    ) {
        (Some(from), Some(to)) if from <= to => {}
        _ => return Err(refuse()),
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

/// A semantic version, ordered as semver orders them: numerically by major, minor, patch,
/// and a pre-release (`1.0.0-rc.1`) before its release. Build metadata (`+...`) is ignored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    /// `Release` sorts after every `Pre`.
    pre: Pre,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    Pre(Vec<PreId>),
    Release,
}

/// A pre-release identifier: numeric ones sort numerically and before alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PreId {
    Num(u64),
    Text(String),
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.split_once('+').map_or(text, |(v, _)| v);
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (text, None),
        };
        let mut parts = core.split('.');
        let mut number = || -> Option<u64> {
            let part = parts.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (major, minor, patch) = (number()?, number()?, number()?);
        if parts.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Pre::Release,
            Some(pre) => Pre::Pre(
                pre.split('.')
                    .map(|id| {
                        if id.is_empty() {
                            None
                        } else if id.bytes().all(|b| b.is_ascii_digit()) {
                            id.parse().ok().map(PreId::Num)
                        } else {
                            Some(PreId::Text(id.to_string()))
                        }
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        Some(Version {
            major,
            minor,
            patch,
            pre,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    #[test]
    fn versions_order_numerically_not_as_text() {
        assert!(v("0.9.0") < v("0.10.0"));
        assert!(v("0.1.9") < v("0.1.10"));
        assert!(v("1.0.0") > v("0.99.99"));
        assert_eq!(v("1.2.3"), v("1.2.3+build.7"));
    }

    #[test]
    fn a_pre_release_sorts_before_its_release() {
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert!(v("1.0.0-rc.2") < v("1.0.0-rc.10"));
        assert!(v("1.0.0-alpha") < v("1.0.0-beta"));
        assert!(v("1.0.0-1") < v("1.0.0-alpha"));
        assert!(v("0.9.9") < v("1.0.0-rc.1"));
    }

    #[test]
    fn malformed_versions_do_not_parse() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "a.b.c",
            "1..3",
            "1.2.-3",
            "1.2.3-",
            "1.2.3-a..b",
            "-1.2.3",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn this_crate_version_parses() {
        assert!(Version::parse(CONTRACT_VERSION).is_some());
    }
}
