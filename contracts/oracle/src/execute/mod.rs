//! Execute handlers, one module per group: price sources, the circuit (parameters and
//! `Observe`), and ownership. Checks that several groups share live here.

pub mod circuit;
pub mod owner;
pub mod sources;

use cosmwasm_std::{Addr, Api, MessageInfo};

use ballast_types::funds::no_funds;
use ballast_types::oracle::Config;

use crate::error::{ContractError, ContractResult};

/// The oracle takes no coins: any coin sent (a zero amount included) is refused.
pub(crate) fn ensure_no_funds(info: &MessageInfo) -> ContractResult<()> {
    Ok(no_funds(info)?)
}

/// Only the owner may `action`.
pub(crate) fn ensure_owner(
    config: &Config,
    info: &MessageInfo,
    action: &str,
) -> ContractResult<()> {
    if info.sender != config.owner {
        return Err(ContractError::Unauthorized {
            sender: info.sender.to_string(),
            action: action.to_string(),
        });
    }
    Ok(())
}

/// Validates an address a caller gave, naming the field and the address when it is refused.
pub(crate) fn validate_addr(api: &dyn Api, field: &str, address: &str) -> ContractResult<Addr> {
    api.addr_validate(address)
        .map_err(|e| ContractError::InvalidAddress {
            field: field.to_string(),
            address: address.to_string(),
            reason: bare_message(&e),
        })
}

/// A `StdError`'s message without its `kind: ..., error: ` prefix.
pub(crate) fn bare_message(e: &cosmwasm_std::StdError) -> String {
    let text = e.to_string();
    match text.split_once(", error: ") {
        Some((kind, message)) if kind.starts_with("kind: ") => message.to_string(),
        _ => text,
    }
}
