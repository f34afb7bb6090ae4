//! Instantiation and migration.

use cosmwasm_std::{DepsMut, MessageInfo, Response};

use ballast_types::oracle::{Config, InstantiateMsg};
use ballast_types::version::migrate_version;

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
    let from = migrate_version::<ContractError>(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from)
        .add_attribute("to_version", CONTRACT_VERSION))
}
