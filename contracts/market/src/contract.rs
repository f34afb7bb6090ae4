//! Entry points: validation of the instantiate message, then dispatch.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::no_funds;
use ballast_types::market::{Config, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use ballast_types::version::migrate_version;

use crate::error::{ContractError, ContractResult};
use crate::execute::{
    adl, admin, borrow, collateral, cover, deposit, liquidate, lots, repay, reserves, withdraw,
};
use crate::query;
use crate::state::{CircuitState, ASSET_LIST, CIRCUIT, CONFIG, PENDING_DEFICITS};

pub const CONTRACT_NAME: &str = "crates.io:ballast-market";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let validate = |a: Option<String>| -> ContractResult<_> {
        a.map(|a| deps.api.addr_validate(&a))
            .transpose()
            .map_err(ContractError::from)
    };
    let config = Config {
        owner: deps.api.addr_validate(&msg.owner)?,
        pending_owner: None,
        guardian: validate(msg.guardian)?,
        oracle: deps.api.addr_validate(&msg.oracle)?,
        auction: validate(msg.auction)?,
        backstop: validate(msg.backstop)?,
        quote_denom: msg.quote_denom,
        target_hf: msg.target_hf,
        full_liquidation_hf: msg.full_liquidation_hf,
        ramp_duration: msg.ramp_duration,
        grace_period: msg.grace_period,
        dust_value: msg.dust_value,
    };
    admin::validate_config(&config)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    CIRCUIT.save(deps.storage, &CircuitState::default())?;
    PENDING_DEFICITS.save(deps.storage, &0)?;
    ASSET_LIST.save(deps.storage, &vec![])?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", config.owner)
        .add_attribute("oracle", config.oracle))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> ContractResult<Response> {
    match msg {
        ExecuteMsg::Deposit { on_behalf_of } => deposit::deposit(deps, env, info, on_behalf_of),
        ExecuteMsg::Withdraw {
            denom,
            amount,
            recipient,
        } => withdraw::withdraw(deps, env, info, denom, amount, recipient),
        ExecuteMsg::Borrow {
            denom,
            amount,
            recipient,
        } => borrow::borrow(deps, env, info, denom, amount, recipient),
        ExecuteMsg::Repay { on_behalf_of } => repay::repay(deps, env, info, on_behalf_of),
        ExecuteMsg::SetCollateral { denom, enable } => {
            collateral::set_collateral(deps, env, info, denom, enable)
        }
        ExecuteMsg::Liquidate { borrower } => liquidate::liquidate(deps, env, info, borrower),
        ExecuteMsg::RepayFromAuction {
            borrower,
            lot_id,
            close,
            penalty_collected,
        } => lots::repay_from_auction(deps, env, info, borrower, lot_id, close, penalty_collected),
        ExecuteMsg::ReturnCollateral {
            borrower,
            lot_id,
            penalty_collected,
        } => lots::return_collateral(deps, env, info, borrower, lot_id, penalty_collected),
        ExecuteMsg::Poke { account } => adl::poke(deps, env, info, account),
        ExecuteMsg::InitAsset { denom, params } => {
            admin::init_asset(deps, env, info, denom, params)
        }
        ExecuteMsg::UpdateAssetParams { denom, params } => {
            admin::update_asset_params(deps, env, info, denom, params)
        }
        ExecuteMsg::SetCircuitLevel { level } => admin::set_circuit_level(deps, env, info, level),
        ExecuteMsg::UpdateConfig {
            guardian,
            oracle,
            auction,
            backstop,
            target_hf,
            full_liquidation_hf,
            ramp_duration,
            grace_period,
            dust_value,
        } => admin::update_config(
            deps,
            info,
            guardian,
            oracle,
            auction,
            backstop,
            target_hf,
            full_liquidation_hf,
            ramp_duration,
            grace_period,
            dust_value,
        ),
        ExecuteMsg::ProposeOwner { owner } => admin::propose_owner(deps, info, owner),
        ExecuteMsg::AcceptOwner {} => admin::accept_owner(deps, info),
        ExecuteMsg::ApplyCover {
            denom,
            borrower,
            lot_id,
        } => cover::apply_cover(deps, env, info, denom, borrower, lot_id),
        ExecuteMsg::RunAdl { denom, limit } => adl::run_adl(deps, env, info, denom, limit),
        ExecuteMsg::TripBreaker { level, until } => {
            admin::trip_breaker(deps, env, info, level, until)
        }
        ExecuteMsg::ClaimReserves { denoms } => reserves::claim_reserves(deps, env, info, denoms),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Asset { denom } => to_json_binary(&query::asset(deps, &env, &denom)?)?,
        QueryMsg::Assets { start_after, limit } => {
            to_json_binary(&query::assets(deps, &env, start_after, limit)?)?
        }
        QueryMsg::Position { account } => to_json_binary(&query::position(deps, &env, account)?)?,
        QueryMsg::Liquidatable { start_after, limit } => {
            to_json_binary(&query::liquidatable(deps, &env, start_after, limit)?)?
        }
        QueryMsg::CircuitLevel {} => to_json_binary(&query::circuit_level(deps, &env)?)?,
        QueryMsg::Deficit { denom } => to_json_binary(&query::deficit(deps, denom)?)?,
        QueryMsg::Deficits {} => to_json_binary(&query::deficits(deps)?)?,
        QueryMsg::AdlQueue { denom, limit } => {
            to_json_binary(&query::adl_queue(deps, &env, denom, limit)?)?
        }
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult<Response> {
    migrate_version::<ContractError>(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("version", CONTRACT_VERSION))
}
