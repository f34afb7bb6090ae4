//! Queries. A lot's price and status are computed at the block time, so a lot that is due for
//! a reset reads `needs_reset` before anyone resets it.

use cosmwasm_std::{Coin, Deps, Env, Order, StdResult, Uint128};
use cw_storage_plus::Bound;

use ballast_types::auction::{
    ConfigResponse, InAuctionResponse, KeeperPayResponse, Lot, LotResponse, LotsResponse,
};
use ballast_types::circuit::CircuitState;
use ballast_types::page_limit;

use crate::error::ContractResult;
use crate::execute::{load_lot, lot_view, market_circuit};
use crate::state::{
    ACTIVE_LOTS, CONFIG, IN_AUCTION_BY_DENOM, IN_AUCTION_TOTAL, LOTS, NEXT_LOT_ID, PARAMS,
};

pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        owner: config.owner,
        pending_owner: config.pending_owner,
        market: config.market,
        params: PARAMS.load(deps.storage)?,
        next_lot_id: NEXT_LOT_ID.load(deps.storage)?,
    })
}

pub fn lot_response(
    lot_id: u64,
    lot: &Lot,
    now: u64,
    circuit: &CircuitState,
) -> ContractResult<LotResponse> {
    let (current_price, status) = lot_view(lot, now, circuit)?;
    let tab = lot.debt.checked_add(lot.penalty).unwrap_or(Uint128::MAX);
    Ok(LotResponse {
        lot_id,
        kind: lot.kind,
        borrower: lot.borrower.to_string(),
        collateral: Coin::new(lot.collateral, &lot.collateral_denom),
        debt: Coin::new(lot.debt, &lot.debt_denom),
        penalty: Coin::new(lot.penalty, &lot.debt_denom),
        tab: Coin::new(tab, &lot.debt_denom),
        start_price: lot.start_price,
        current_price,
        started_at: lot.started_at,
        resets: lot.resets,
        status,
        min_debt: lot.min_debt,
    })
}

pub fn lot(deps: Deps, env: &Env, lot_id: u64) -> ContractResult<LotResponse> {
    let lot = load_lot(deps.storage, lot_id)?;
    let circuit = market_circuit(&deps.querier, &CONFIG.load(deps.storage)?.market)?;
    lot_response(lot_id, &lot, env.block.time.seconds(), &circuit)
}

/// Every lot, by id.
pub fn lots(
    deps: Deps,
    env: &Env,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> ContractResult<LotsResponse> {
    let now = env.block.time.seconds();
    let circuit = market_circuit(&deps.querier, &CONFIG.load(deps.storage)?.market)?;
    let lots = LOTS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| {
            let (id, lot) = item?;
            lot_response(id, &lot, now, &circuit)
        })
        .collect::<ContractResult<Vec<_>>>()?;
    Ok(LotsResponse { lots })
}

/// The lots still open (`active` and `needs_reset`), by id.
pub fn active_lots(
    deps: Deps,
    env: &Env,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> ContractResult<LotsResponse> {
    let now = env.block.time.seconds();
    let circuit = market_circuit(&deps.querier, &CONFIG.load(deps.storage)?.market)?;
    let lots = ACTIVE_LOTS
        .keys(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|id| {
            let id = id?;
            let lot = load_lot(deps.storage, id)?;
            lot_response(id, &lot, now, &circuit)
        })
        .collect::<ContractResult<Vec<_>>>()?;
    Ok(LotsResponse { lots })
}

pub fn in_auction(deps: Deps) -> StdResult<InAuctionResponse> {
    let per_denom = IN_AUCTION_BY_DENOM
        .range(deps.storage, None, None, Order::Ascending)
        .filter(|item| !matches!(item, Ok((_, v)) if v.is_zero()))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(InAuctionResponse {
        total_value: IN_AUCTION_TOTAL.may_load(deps.storage)?.unwrap_or_default(),
        per_denom,
    })
}

/// What a keeper has earned and not claimed yet.
pub fn keeper_pay(deps: Deps, keeper: String) -> ContractResult<KeeperPayResponse> {
    let addr = deps.api.addr_validate(&keeper)?;
    Ok(KeeperPayResponse {
        keeper: addr.to_string(),
        owed: crate::execute::keeper::owed(deps.storage, &addr)?,
    })
}
