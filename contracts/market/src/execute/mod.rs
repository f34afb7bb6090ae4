//! Execute handlers, one module per action or group. Shared helpers live here.

pub mod adl;
pub mod admin;
pub mod borrow;
pub mod collateral;
pub mod cover;
pub mod deposit;
pub mod liquidate;
pub mod lots;
pub mod repay;
pub mod reserves;
pub mod withdraw;

use cosmwasm_std::{Addr, Api};

use crate::error::{ContractError, ContractResult};

pub(crate) fn validate_optional(
    api: &dyn Api,
    addr: Option<String>,
    default: &Addr,
) -> ContractResult<Addr> {
    match addr {
        Some(a) => Ok(api.addr_validate(&a)?),
        None => Ok(default.clone()),
    }
}

pub(crate) fn unauthorized(sender: &Addr, action: &str) -> ContractError {
    ContractError::Unauthorized {
        sender: sender.to_string(),
        action: action.to_string(),
    }
}
