//! Owner actions: parameters and the two-step ownership transfer.

use cosmwasm_std::{DepsMut, MessageInfo, Response};

use ballast_types::auction::AuctionParams;
use ballast_types::funds::no_funds;

use crate::error::{ContractError, ContractResult};
use crate::execute::unauthorized;
use crate::state::{CAPS, CONFIG, PARAMS};

/// New lots start with the new parameters; running lots keep their `buf`, curve, `tail`, `cusp`
/// and `max_resets`, while caps, `tip` and `chip` apply at once (Exact rule 10).
pub fn update_params(
    deps: DepsMut,
    info: MessageInfo,
    params: AuctionParams,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.owner {
        return Err(unauthorized(&info.sender, "update parameters"));
    }
    params
        .validate()
        .map_err(|reason| ContractError::InvalidParams { reason })?;
    PARAMS.save(deps.storage, &params)?;
    CAPS.save(deps.storage, &params.caps())?;
    Ok(Response::new()
        .add_attribute("action", "update_params")
        .add_attribute("buf", params.buf.to_string())
        .add_attribute("tail", params.tail.to_string())
        .add_attribute("cusp", params.cusp.to_string())
        .add_attribute("max_resets", params.max_resets.to_string())
        .add_attribute("tip", params.tip)
        .add_attribute("chip", params.chip.to_string())
        .add_attribute("max_in_auction", params.max_in_auction))
}

pub fn propose_owner(deps: DepsMut, info: MessageInfo, owner: String) -> ContractResult<Response> {
    no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    if info.sender != config.owner {
        return Err(unauthorized(&info.sender, "propose an owner"));
    }
    let proposed = deps.api.addr_validate(&owner)?;
    config.pending_owner = Some(proposed.clone());
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "propose_owner")
        .add_attribute("proposed", proposed))
}

pub fn accept_owner(deps: DepsMut, info: MessageInfo) -> ContractResult<Response> {
    no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    match &config.pending_owner {
        None => return Err(ContractError::NoPendingOwner {}),
        Some(p) if *p != info.sender => return Err(unauthorized(&info.sender, "accept ownership")),
        Some(_) => {}
    }
    config.owner = info.sender.clone();
    config.pending_owner = None;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "accept_owner")
        .add_attribute("owner", info.sender))
}
