use cosmwasm_std::{DepsMut, MessageInfo, Response};

use ballast_types::backstop::BackstopParams;
use ballast_types::funds::no_funds;

use crate::error::{ContractError, ContractResult};
use crate::execute::unauthorized;
use crate::state::{ADL_PARAMS, CONFIG, PARAMS};

pub fn update_params(
    deps: DepsMut,
    info: MessageInfo,
    params: BackstopParams,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.owner {
        return Err(unauthorized(&info.sender, "update parameters"));
    }
    params
        .validate()
        .map_err(|reason| ContractError::InvalidParams { reason })?;
    let current = PARAMS.load(deps.storage)?;
    if current.stake_denom != params.stake_denom {
        return Err(ContractError::InvalidParams {
            reason: "stake_denom cannot change once set".into(),
        });
    }
    PARAMS.save(deps.storage, &params)?;
    ADL_PARAMS.save(deps.storage, &params.adl())?;
    Ok(Response::new().add_attribute("action", "update_params"))
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
