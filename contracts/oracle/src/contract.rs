//! Entry points. Each one dispatches to the module that does the work.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};

use ballast_types::oracle::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractResult;
use crate::execute::{circuit, owner, sources};
use crate::{lifecycle, query};

pub use crate::lifecycle::{CONTRACT_NAME, CONTRACT_VERSION};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult<Response> {
    lifecycle::instantiate(deps, info, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> ContractResult<Response> {
    match msg {
        ExecuteMsg::SetSource { denom, source } => sources::set_source(deps, info, denom, source),
        ExecuteMsg::RemoveSource { denom } => sources::remove_source(deps, info, denom),
        ExecuteMsg::UpdateCircuitParams {
            denom,
            max_move,
            move_window,
            cooldown,
        } => circuit::update_circuit_params(deps, info, denom, max_move, move_window, cooldown),
        ExecuteMsg::Observe { denoms } => circuit::observe(deps, env, info, denoms),
        ExecuteMsg::ProposeOwner { owner } => owner::propose_owner(deps, info, owner),
        ExecuteMsg::AcceptOwner {} => owner::accept_owner(deps, info),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Price { denom, kind } => {
            to_json_binary(&query::price(deps, &env, &denom, kind.unwrap_or_default())?)?
        }
        QueryMsg::Prices { denoms, kind } => to_json_binary(&query::prices(
            deps,
            &env,
            &denoms,
            kind.unwrap_or_default(),
        )?)?,
        QueryMsg::Source { denom } => to_json_binary(&query::source(deps, denom)?)?,
        QueryMsg::Sources { start_after, limit } => {
            to_json_binary(&query::sources(deps, start_after, limit)?)?
        }
        QueryMsg::Circuit { denom } => to_json_binary(&query::circuit(deps, &env, &denom)?)?,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult<Response> {
    lifecycle::migrate(deps)
}
