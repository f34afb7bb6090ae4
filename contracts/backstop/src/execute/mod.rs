//! Execute handlers, one module per group. Shared reads of the fund and its siblings live here.

pub mod admin;
pub mod cover;
pub mod fund;
pub mod stake;

use cosmwasm_std::{Addr, Coin, Decimal256, Deps, Env, QuerierWrapper, Uint128};

use ballast_types::auction::OPEN_SALES;
use ballast_types::circuit::{GatedAction, CIRCUIT};
use ballast_types::market::{ASSET_LIST, PENDING_DEFICITS};
use ballast_types::math::{dec_to_uint, value_of, Rounding};
use ballast_types::may_query_item;
use ballast_types::oracle::{query_prices, PriceKind};

use crate::error::{ContractError, ContractResult};
use crate::state::{Config, MarketWiring, ABSORBED, MARKET_WIRING, PARAMS, STAKE_POOL};

/// The market's wiring to its siblings (the registry), read raw.
pub(crate) fn market_config(
    querier: &QuerierWrapper,
    config: &Config,
) -> ContractResult<MarketWiring> {
    Ok(MARKET_WIRING.query(querier, config.market.clone())?)
}

pub(crate) fn unauthorized(sender: &Addr, action: &str) -> ContractError {
    ContractError::Unauthorized {
        sender: sender.to_string(),
        action: action.to_string(),
    }
}

/// A denom's Liquidation price, or `None` when the oracle refuses it.
pub(crate) fn price_of(
    querier: &QuerierWrapper,
    oracle: &Addr,
    denom: &str,
    now: u64,
) -> Option<Decimal256> {
    query_prices(
        querier,
        oracle,
        &[denom.to_string()],
        PriceKind::Liquidation,
        now,
    )
    .ok()
    .and_then(|p| p.into_iter().next())
    .map(|p| p.price)
}

/// What the fund holds of each denom it may hold (every market asset and the stake denom):
/// the backstop's bank balance less the stakers' pool and less `incoming` (coins that arrived
/// with the current message and are not the fund's yet).
pub(crate) fn fund_balances(
    deps: Deps,
    env: &Env,
    config: &Config,
    incoming: &[Coin],
) -> ContractResult<Vec<(String, Uint128)>> {
    let params = PARAMS.load(deps.storage)?;
    let pool = STAKE_POOL.may_load(deps.storage)?.unwrap_or_default();
    let mut denoms =
        may_query_item(&deps.querier, &config.market, &ASSET_LIST)?.unwrap_or_default();
    if !denoms.contains(&params.stake_denom) {
        denoms.push(params.stake_denom.clone());
    }
    let mut out = vec![];
    for denom in denoms {
        let held = deps
            .querier
            .query_balance(&env.contract.address, &denom)?
            .amount;
        let mut amount = Uint128::try_from(held).unwrap_or(Uint128::MAX);
        if denom == params.stake_denom {
            amount = amount.saturating_sub(pool.tokens);
        }
        for coin in incoming.iter().filter(|c| c.denom == denom) {
            amount = amount.saturating_sub(Uint128::try_from(coin.amount).unwrap_or(Uint128::MAX));
        }
        out.push((denom, amount));
    }
    Ok(out)
}

/// What the fund holds of one denom: the bank balance less the stakers' pool if it is the
/// stake denom.
pub(crate) fn fund_balance(deps: Deps, env: &Env, denom: &str) -> ContractResult<Uint128> {
    let held = deps
        .querier
        .query_balance(&env.contract.address, denom)?
        .amount;
    let mut amount = Uint128::try_from(held).unwrap_or(Uint128::MAX);
    let params = PARAMS.load(deps.storage)?;
    if params.stake_denom == denom {
        let pool = STAKE_POOL.may_load(deps.storage)?.unwrap_or_default();
        amount = amount.saturating_sub(pool.tokens);
    }
    Ok(amount)
}

/// Quote value of balances at Liquidation prices (assets without a price count as zero).
pub(crate) fn value_of_balances(
    querier: &QuerierWrapper,
    oracle: &Addr,
    now: u64,
    balances: &[(String, Uint128)],
) -> ContractResult<Uint128> {
    let mut total = Decimal256::zero();
    for (denom, amount) in balances.iter().filter(|(_, a)| !a.is_zero()) {
        if let Some(price) = price_of(querier, oracle, denom, now) {
            total = total.saturating_add(value_of(*amount, price)?);
        }
    }
    Ok(dec_to_uint(total, Rounding::Down)?)
}

/// Stakers may not exit while a deficit is pending or absorbed collateral is unsold
/// (Exact rule 6): they are first loss, and a known loss must reach them first.
/// Refuses `action` when the market's circuit level stops it (read raw from the market).
pub(crate) fn ensure_market_allows(
    querier: &cosmwasm_std::QuerierWrapper,
    config: &Config,
    now: u64,
    action: GatedAction,
) -> ContractResult<()> {
    let circuit = may_query_item(querier, &config.market, &CIRCUIT)?.unwrap_or_default();
    Ok(circuit.ensure_allows(now, action)?)
}

/// Stakers may leave only when no loss is pending or unsold, and not during a halt.
pub(crate) fn ensure_exit_open(deps: Deps, config: &Config, now: u64) -> ContractResult<()> {
    ensure_market_allows(&deps.querier, config, now, GatedAction::PayOut)?;
    let pending = may_query_item(&deps.querier, &config.market, &PENDING_DEFICITS)?.unwrap_or(0);
    if pending > 0 {
        return Err(ContractError::ExitGated {
            reason: format!("{pending} deficit(s) are pending"),
        });
    }
    if ABSORBED
        .range(deps.storage, None, None, cosmwasm_std::Order::Ascending)
        .next()
        .is_some()
    {
        return Err(ContractError::ExitGated {
            reason: "absorbed collateral is unsold".into(),
        });
    }
    let market = market_config(&deps.querier, config)?;
    if let Some(auction) = market.auction {
        let open = may_query_item(&deps.querier, &auction, &OPEN_SALES)?.unwrap_or(0);
        if open > 0 {
            return Err(ContractError::ExitGated {
                reason: format!("{open} sale lot(s) of absorbed collateral are running"),
            });
        }
    }
    Ok(())
}
