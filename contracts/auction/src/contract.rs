//! Entry points: instantiate, then dispatch.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::auction::{Config, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use ballast_types::funds::no_funds;
use ballast_types::version::migrate_version;

use crate::error::{ContractError, ContractResult};
use crate::execute::start::StartAuction;
use crate::execute::{admin, bid, keeper, reset, sale, start};
use crate::query;
use crate::state::{CAPS, CONFIG, IN_AUCTION_TOTAL, NEXT_LOT_ID, OPEN_SALES, PARAMS};

pub const CONTRACT_NAME: &str = "crates.io:ballast-auction";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
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
    };
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    PARAMS.save(deps.storage, &msg.params)?;
    CAPS.save(deps.storage, &msg.params.caps())?;
    NEXT_LOT_ID.save(deps.storage, &1)?;
    IN_AUCTION_TOTAL.save(deps.storage, &Uint128::zero())?;
    OPEN_SALES.save(deps.storage, &0)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", config.owner)
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
        ExecuteMsg::StartAuction {
            borrower,
            debt_denom,
            debt,
            keeper,
            lot_id,
            penalty,
            price,
            debt_price,
            min_debt,
        } => start::start_auction(
            deps,
            env,
            info,
            StartAuction {
                borrower,
                debt_denom,
                debt,
                keeper,
                lot_id,
                penalty,
                price,
                debt_price,
                min_debt,
            },
        ),
        ExecuteMsg::StartSale { proceeds_denom } => {
            sale::start_sale(deps, env, info, proceeds_denom)
        }
        ExecuteMsg::Bid {
            lot_id,
            max_collateral,
            max_price,
            recipient,
        } => bid::bid(
            deps,
            env,
            info,
            lot_id,
            max_collateral,
            max_price,
            recipient,
        ),
        ExecuteMsg::Reset { lot_id } => reset::reset(deps, env, info, lot_id),
        ExecuteMsg::ClaimKeeperPay { denoms } => keeper::claim(deps, env, info, denoms),
        ExecuteMsg::UpdateParams { params } => admin::update_params(deps, info, params),
        ExecuteMsg::ProposeOwner { owner } => admin::propose_owner(deps, info, owner),
        ExecuteMsg::AcceptOwner {} => admin::accept_owner(deps, info),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> ContractResult<Binary> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Lot { lot_id } => to_json_binary(&query::lot(deps, &env, lot_id)?)?,
        QueryMsg::Lots { start_after, limit } => {
            to_json_binary(&query::lots(deps, &env, start_after, limit)?)?
        }
        QueryMsg::ActiveLots { start_after, limit } => {
            to_json_binary(&query::active_lots(deps, &env, start_after, limit)?)?
        }
        QueryMsg::InAuction {} => to_json_binary(&query::in_auction(deps)?)?,
        QueryMsg::KeeperPay { keeper } => to_json_binary(&query::keeper_pay(deps, keeper)?)?,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> ContractResult<Response> {
    migrate_version::<ContractError>(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("version", CONTRACT_VERSION))
}
