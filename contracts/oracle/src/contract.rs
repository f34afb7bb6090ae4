//! Entry points: instantiate, then dispatch.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::no_funds;
use ballast_types::oracle::{Config, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::{ContractError, ContractResult};
use crate::state::CONFIG;
use crate::{execute, query};

pub const CONTRACT_NAME: &str = "crates.io:ballast-oracle";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult<Response> {
    no_funds(&info)?;
    if msg.quote_denom.is_empty() {
        return Err(ContractError::InvalidConfig {
            reason: "quote_denom must not be empty".into(),
        });
    }
    if msg.quote_decimals > 18 {
        return Err(ContractError::InvalidConfig {
            reason: format!(
                "quote_decimals must be at most 18, got {}",
                msg.quote_decimals
            ),
        });
    }
    let config = Config {
        owner: deps.api.addr_validate(&msg.owner)?,
        pending_owner: None,
        quote_denom: msg.quote_denom,
        quote_decimals: msg.quote_decimals,
    };
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", config.owner)
        .add_attribute("quote_denom", config.quote_denom))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> ContractResult<Response> {
    match msg {
        ExecuteMsg::SetSource { denom, source } => execute::set_source(deps, info, denom, source),
        ExecuteMsg::RemoveSource { denom } => execute::remove_source(deps, info, denom),
        ExecuteMsg::UpdateCircuitParams {
            denom,
            max_move,
            move_window,
            cooldown,
        } => execute::update_circuit_params(deps, info, denom, max_move, move_window, cooldown),
        ExecuteMsg::Observe { denoms } => execute::observe(deps, env, info, denoms),
        ExecuteMsg::ProposeOwner { owner } => execute::propose_owner(deps, info, owner),
        ExecuteMsg::AcceptOwner {} => execute::accept_owner(deps, info),
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
            denoms,
            kind.unwrap_or_default(),
        )?)?,
        QueryMsg::Source { denom } => to_json_binary(&query::source(deps, denom)?)?,
        QueryMsg::Sources { start_after, limit } => {
            to_json_binary(&query::sources(deps, start_after, limit)?)?
        }
        QueryMsg::Circuit { denom } => to_json_binary(&query::circuit(deps, &env, denom)?)?,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult<Response> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME || stored.version.as_str() > CONTRACT_VERSION {
        return Err(ContractError::InvalidMigration {
            name: stored.contract,
            version: stored.version,
        });
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("version", CONTRACT_VERSION))
}
