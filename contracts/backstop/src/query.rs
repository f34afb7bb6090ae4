use cosmwasm_std::{Coin, Deps, Env, Order, StdResult};

use ballast_types::backstop::{
    AbsorbedResponse, AdlQueueResponse, ConfigResponse, DeficitResponse, DeficitsResponse,
    FundResponse, StakerResponse, Unbonding,
};
use ballast_types::market::QueryMsg as MarketQuery;

use crate::error::ContractResult;
use crate::execute::cover::fund_value;
use crate::execute::stake::shares_value;
use crate::state::{ABSORBED, CONFIG, HIGH_WATER_MARK, PARAMS, STAKERS, STAKE_POOL};

pub fn fund(deps: Deps, env: &Env) -> ContractResult<FundResponse> {
    let config = CONFIG.load(deps.storage)?;
    let (balances, value) = fund_value(deps, env, &config)?;
    let pool = STAKE_POOL.may_load(deps.storage)?.unwrap_or_default();
    Ok(FundResponse {
        balances: balances
            .into_iter()
            .filter(|(_, a)| !a.is_zero())
            .map(|(d, a)| Coin::new(a, d))
            .collect(),
        value,
        high_water_mark: HIGH_WATER_MARK
            .may_load(deps.storage)?
            .unwrap_or_default()
            .value,
        stake_pool: pool.tokens,
        total_shares: pool.shares,
    })
}

/// Deficits live in the market (they are holes in its books); these answer from there.
pub fn deficit(deps: Deps, denom: String) -> StdResult<DeficitResponse> {
    let config = CONFIG.load(deps.storage)?;
    deps.querier
        .query_wasm_smart(config.market, &MarketQuery::Deficit { denom })
}

pub fn deficits(deps: Deps) -> StdResult<DeficitsResponse> {
    let config = CONFIG.load(deps.storage)?;
    deps.querier
        .query_wasm_smart(config.market, &MarketQuery::Deficits {})
}

pub fn adl_queue(deps: Deps, denom: String, limit: Option<u32>) -> StdResult<AdlQueueResponse> {
    let config = CONFIG.load(deps.storage)?;
    deps.querier
        .query_wasm_smart(config.market, &MarketQuery::AdlQueue { denom, limit })
}

pub fn staker(deps: Deps, address: String) -> ContractResult<StakerResponse> {
    let addr = deps.api.addr_validate(&address)?;
    let staker = STAKERS.may_load(deps.storage, &addr)?.unwrap_or_default();
    let pool = STAKE_POOL.may_load(deps.storage)?.unwrap_or_default();
    let unbonding = staker
        .unbonding
        .iter()
        .map(|u| {
            Ok(Unbonding {
                amount: shares_value(&pool, u.shares)?,
                claimable_at: u.claimable_at,
            })
        })
        .collect::<ContractResult<Vec<_>>>()?;
    Ok(StakerResponse {
        address: addr.to_string(),
        shares: staker.shares,
        value: shares_value(&pool, staker.shares)?,
        unbonding,
    })
}

pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        owner: config.owner,
        pending_owner: config.pending_owner,
        market: config.market,
        oracle: config.oracle,
        params: PARAMS.load(deps.storage)?,
    })
}

pub fn absorbed(deps: Deps) -> StdResult<AbsorbedResponse> {
    let collateral = ABSORBED
        .range(deps.storage, None, None, Order::Ascending)
        .map(|r| r.map(|(denom, a)| Coin::new(a.amount, denom)))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(AbsorbedResponse { collateral })
}
