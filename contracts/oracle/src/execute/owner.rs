//! Two-step ownership transfer: the owner proposes, the proposed address accepts.

use cosmwasm_std::{DepsMut, MessageInfo, Response};

use super::{ensure_no_funds, ensure_owner, validate_addr};
use crate::error::{ContractError, ContractResult};
use crate::state::CONFIG;

/// Owner: proposes `owner` as the next owner (replacing any earlier proposal). Nothing changes
/// until that address accepts.
pub fn propose_owner(deps: DepsMut, info: MessageInfo, owner: String) -> ContractResult<Response> {
    ensure_no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "propose an owner")?;
    let proposed = validate_addr(deps.api, "owner", &owner)?;
    config.pending_owner = Some(proposed.clone());
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "propose_owner")
        .add_attribute("owner", config.owner)
        .add_attribute("pending_owner", proposed))
}

/// The proposed owner: takes over ownership.
pub fn accept_owner(deps: DepsMut, info: MessageInfo) -> ContractResult<Response> {
    ensure_no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    match &config.pending_owner {
        None => return Err(ContractError::NoPendingOwner {}),
        Some(pending) if *pending != info.sender => {
            return Err(ContractError::Unauthorized {
                sender: info.sender.to_string(),
                action: "accept ownership".to_string(),
            })
        }
        Some(_) => {}
    }
    let previous = std::mem::replace(&mut config.owner, info.sender.clone());
    config.pending_owner = None;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "accept_owner")
        .add_attribute("previous_owner", previous)
        .add_attribute("owner", info.sender))
}
