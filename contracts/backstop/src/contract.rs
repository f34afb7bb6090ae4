//! Entry points: instantiate, then dispatch.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};

use ballast_types::backstop::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use ballast_types::funds::no_funds;
use ballast_types::version::migrate_version;

use crate::error::{ContractError, ContractResult};
use crate::execute::{admin, cover, fund, stake};
use crate::query;
use crate::state::{
    Config, HighWaterMark, StakePool, ADL_PARAMS, CONFIG, HIGH_WATER_MARK, PARAMS, STAKE_POOL,
};

pub const CONTRACT_NAME: &str = "crates.io:ballast-backstop";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult<Response> {
    no_funds(&info)?;
    msg.params
        .validate()
        .map_err(|reason| ContractError::InvalidParams { reason })?;
    let config = Config {
        owner: deps.api.addr_validate(&msg.owner)?,
        pending_owner: None,
        market: deps.api.addr_validate(&msg.market)?,
        oracle: deps.api.addr_validate(&msg.oracle)?,
    };
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    PARAMS.save(deps.storage, &msg.params)?;
    ADL_PARAMS.save(deps.storage, &msg.params.adl())?;
    STAKE_POOL.save(deps.storage, &StakePool::default())?;
    HIGH_WATER_MARK.save(
        deps.storage,
        &HighWaterMark {
            value: Default::default(),
            since: env.block.time.seconds(),
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("market", config.market))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> ContractResult<Response> {
    match msg {
        ExecuteMsg::Fund {} => fund::fund(deps, info),
        ExecuteMsg::Stake {} => stake::stake(deps, info),
        ExecuteMsg::Unstake { amount } => stake::unstake(deps, env, info, amount),
        ExecuteMsg::Claim {} => stake::claim(deps, env, info),
        ExecuteMsg::CoverShortfall {
            denom,
            amount,
            borrower,
            collateral,
            penalty_collected,
        } => cover::cover_shortfall(
            deps,
            env,
            info,
            denom,
            amount,
            borrower,
            collateral,
            penalty_collected,
        ),
        ExecuteMsg::AbsorbLot { lot_id } => cover::absorb_lot(deps, env, info, lot_id),
        ExecuteMsg::AdlStep { denom, limit } => cover::adl_step(deps, env, info, denom, limit),
        ExecuteMsg::SellAbsorbed {
            denom,
            amount,
            proceeds_denom,
        } => cover::sell_absorbed(deps, env, info, denom, amount, proceeds_denom),
        ExecuteMsg::PayKeeper { keeper, amount } => {
            fund::pay_keeper(deps, env, info, keeper, amount)
        }
        ExecuteMsg::UpdateParams { params } => admin::update_params(deps, info, params),
        ExecuteMsg::ProposeOwner { owner } => admin::propose_owner(deps, info, owner),
        ExecuteMsg::AcceptOwner {} => admin::accept_owner(deps, info),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    Ok(match msg {
        QueryMsg::Fund {} => to_json_binary(&query::fund(deps, &env)?)?,
        QueryMsg::Deficit { denom } => to_json_binary(&query::deficit(deps, denom)?)?,
        QueryMsg::Deficits {} => to_json_binary(&query::deficits(deps)?)?,
        QueryMsg::AdlQueue { denom, limit } => {
            to_json_binary(&query::adl_queue(deps, denom, limit)?)?
        }
        QueryMsg::Staker { address } => to_json_binary(&query::staker(deps, address)?)?,
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Absorbed {} => to_json_binary(&query::absorbed(deps)?)?,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult<Response> {
    migrate_version::<ContractError>(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("version", CONTRACT_VERSION))
}
