//! Execute handlers, one module per action, and the reads and book-keeping they share: the
//! market's registry (read raw), the in-auction caps, and a lot's price at the block time.

pub mod admin;
pub mod bid;
pub mod keeper;
pub mod reset;
pub mod sale;
pub mod start;

use cosmwasm_std::{Addr, Coin, Decimal256, QuerierWrapper, Storage, Uint128};

use ballast_types::auction::{AuctionParams, Lot, LotStatus};
use ballast_types::circuit::{CircuitState, CIRCUIT};
use ballast_types::market::{Config as MarketConfig, CONFIG as MARKET_CONFIG};
use ballast_types::math::{dec_div, MathError, Rounding};
use ballast_types::may_query_item;
use ballast_types::oracle::{query_prices, PriceKind};

use crate::curve::{needs_reset, price_at};
use crate::error::{ContractError, ContractResult};
use crate::state::{IN_AUCTION_BY_DENOM, IN_AUCTION_TOTAL, LOTS};

pub(crate) fn unauthorized(sender: &Addr, action: &str) -> ContractError {
    ContractError::Unauthorized {
        sender: sender.to_string(),
        action: action.to_string(),
    }
}

/// The market's configuration (the protocol's registry), read raw.
pub(crate) fn market_config(
    querier: &QuerierWrapper,
    market: &Addr,
) -> ContractResult<MarketConfig> {
    Ok(MARKET_CONFIG.query(querier, market.clone())?)
}

/// The backstop's address, or `NotWired`.
pub(crate) fn backstop_of(market: &MarketConfig) -> ContractResult<Addr> {
    market
        .backstop
        .clone()
        .ok_or_else(|| ContractError::NotWired {
            what: "backstop".into(),
        })
}

pub(crate) fn status_name(status: LotStatus) -> &'static str {
    match status {
        LotStatus::Active => "active",
        LotStatus::NeedsReset => "needs_reset",
        LotStatus::Settled => "settled",
        LotStatus::Failed => "failed",
    }
}

pub(crate) fn load_lot(storage: &dyn Storage, lot_id: u64) -> ContractResult<Lot> {
    LOTS.may_load(storage, lot_id)?
        .ok_or(ContractError::UnknownLot { lot_id })
}

/// The market's circuit state (levels and the auction-clock pause), read raw.
pub(crate) fn market_circuit(
    querier: &QuerierWrapper,
    market: &Addr,
) -> ContractResult<CircuitState> {
    Ok(may_query_item(querier, market, &CIRCUIT)?.unwrap_or_default())
}

/// The lot's price at `now` and its status then: an `Active` lot that is older than its tail,
/// below its cusp, or at a zero price `NeedsReset`. Closed lots have no price (zero). A lot's
/// age leaves out the time the market's halts paused the auction clocks since it started.
pub(crate) fn lot_view(
    lot: &Lot,
    now: u64,
    circuit: &CircuitState,
) -> ContractResult<(Decimal256, LotStatus)> {
    if lot.status != LotStatus::Active {
        return Ok((Decimal256::zero(), lot.status));
    }
    let paused = circuit
        .clock_paused(now)
        .saturating_sub(lot.paused_at_start);
    let elapsed = now.saturating_sub(lot.started_at).saturating_sub(paused);
    let price = price_at(lot.start_price, &lot.curve, elapsed)?;
    let status = if needs_reset(lot.start_price, price, lot.cusp, lot.tail, elapsed) {
        LotStatus::NeedsReset
    } else {
        LotStatus::Active
    };
    Ok((price, status))
}

/// Liquidation prices of the collateral and the debt (or proceeds) denom, and their ratio: the
/// auction price in debt units per collateral unit (Exact rule 2), rounded down as the market
/// rounds it.
pub(crate) struct OraclePrices {
    pub collateral: Decimal256,
    pub debt: Decimal256,
    pub ratio: Decimal256,
}

pub(crate) fn oracle_prices(
    querier: &QuerierWrapper,
    oracle: &Addr,
    collateral_denom: &str,
    debt_denom: &str,
    now: u64,
) -> ContractResult<OraclePrices> {
    let prices = query_prices(
        querier,
        oracle,
        &[collateral_denom.to_string(), debt_denom.to_string()],
        PriceKind::Liquidation,
        now,
    )?;
    let (collateral, debt) = match prices.as_slice() {
        [c, d] => (c.price, d.price),
        _ => {
            return Err(ContractError::Std(cosmwasm_std::StdError::msg(
                "the oracle answered the wrong number of prices",
            )))
        }
    };
    let ratio = dec_div(collateral, debt, Rounding::Down)?;
    Ok(OraclePrices {
        collateral,
        debt,
        ratio,
    })
}

/// Takes `value` of the caps for a new lot of `denom`, or refuses with `CapExceeded` (the
/// market sizes lots to the room it reads, so this is a defence, never the common path).
pub(crate) fn reserve_caps(
    storage: &mut dyn Storage,
    params: &AuctionParams,
    denom: &str,
    value: Uint128,
) -> ContractResult<()> {
    let total = IN_AUCTION_TOTAL.may_load(storage)?.unwrap_or_default();
    let new_total = total.checked_add(value).map_err(|_| MathError::Overflow {
        operation: "in_auction_total",
    })?;
    if new_total > params.max_in_auction {
        return Err(ContractError::CapExceeded {
            scope: "all denoms".into(),
            cap: params.max_in_auction,
            in_auction: total,
            requested: value,
        });
    }
    let used = IN_AUCTION_BY_DENOM
        .may_load(storage, denom)?
        .unwrap_or_default();
    let new_used = used.checked_add(value).map_err(|_| MathError::Overflow {
        operation: "in_auction_by_denom",
    })?;
    if let Some(cap) = params.denom_cap(denom) {
        if new_used > cap {
            return Err(ContractError::CapExceeded {
                scope: denom.to_string(),
                cap,
                in_auction: used,
                requested: value,
            });
        }
    }
    IN_AUCTION_TOTAL.save(storage, &new_total)?;
    IN_AUCTION_BY_DENOM.save(storage, denom, &new_used)?;
    Ok(())
}

/// Gives back `value` of the caps (a bid paid part of a tab, or a lot closed).
pub(crate) fn release_caps(
    storage: &mut dyn Storage,
    denom: &str,
    value: Uint128,
) -> ContractResult<()> {
    if value.is_zero() {
        return Ok(());
    }
    let total = IN_AUCTION_TOTAL.may_load(storage)?.unwrap_or_default();
    let total = total.checked_sub(value).map_err(|_| MathError::Overflow {
        operation: "in_auction_total release",
    })?;
    IN_AUCTION_TOTAL.save(storage, &total)?;
    let used = IN_AUCTION_BY_DENOM
        .may_load(storage, denom)?
        .unwrap_or_default();
    let used = used.checked_sub(value).map_err(|_| MathError::Overflow {
        operation: "in_auction_by_denom release",
    })?;
    if used.is_zero() {
        IN_AUCTION_BY_DENOM.remove(storage, denom);
    } else {
        IN_AUCTION_BY_DENOM.save(storage, denom, &used)?;
    }
    Ok(())
}

/// Coins as a chain accepts them as funds: zero amounts dropped, equal denoms merged, sorted.
pub(crate) fn coins(list: &[(&str, Uint128)]) -> ContractResult<Vec<Coin>> {
    let mut out: Vec<(String, Uint128)> = vec![];
    for (denom, amount) in list.iter().filter(|(_, a)| !a.is_zero()) {
        match out.iter_mut().find(|(d, _)| d == denom) {
            Some((_, a)) => {
                *a = a
                    .checked_add(*amount)
                    .map_err(|_| MathError::Overflow { operation: "coins" })?
            }
            None => out.push((denom.to_string(), *amount)),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(d, a)| Coin::new(a, d)).collect())
}

/// The id after `lot_id`.
pub(crate) fn next_id(lot_id: u64) -> ContractResult<u64> {
    lot_id.checked_add(1).ok_or_else(|| {
        MathError::Overflow {
            operation: "next_lot_id",
        }
        .into()
    })
}

/// `"12uatom"`.
pub(crate) fn fmt_coin(amount: Uint128, denom: &str) -> String {
    format!("{amount}{denom}")
}
