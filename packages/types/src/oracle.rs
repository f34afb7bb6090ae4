//! Oracle adapter: messages, price sources, validation, and the per-denom circuit.
//!
//! The validation rules live here, in plain functions, because two kinds of caller run them:
//! the oracle contract when it answers `Price`/`Prices`, and the market, auction and backstop,
//! which read the oracle's `sources`/`circuits` records with raw queries (no oracle instance,
//! about 1,000 gas instead of 60,000) and validate the same way. See `docs/PROTOCOL.md`,
//! "Storage that siblings read".

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, Decimal256, QuerierWrapper, Uint128, Uint256};
use cw_storage_plus::{Item, Map};
use thiserror::Error;

use crate::math::{dec256, dec_div, dec_mul, pow10, Rounding};
use crate::pyth::{parse_feed_id, PriceFeed, PriceFeedResponse, PythPrice, PythQueryMsg};

/// Hard caps on source configuration: no owner can configure a feed that accepts a confidence
/// interval or an EMA deviation wider than this.
pub const MAX_CONFIDENCE_CAP: Decimal = Decimal::percent(20);
pub const MAX_DEVIATION_CAP: Decimal = Decimal::percent(20);
/// A price older than a day is never fresh, whatever the configuration says.
pub const MAX_STALENESS_CAP: u64 = 86_400;
/// Conservative valuation never widens a price by more than 10 confidence intervals.
pub const MAX_CONF_MULTIPLIER: Decimal = Decimal::new(Uint128::new(10_000_000_000_000_000_000));
/// Observations kept per denom for the circuit's move window.
pub const MAX_OBSERVATIONS: usize = 32;

#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    /// The protocol's quote currency, e.g. `uusd`; prices are in its smallest unit.
    pub quote_denom: String,
    /// Decimals of the quote currency's display unit (6 for `uusd`).
    pub quote_decimals: u8,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Owner: sets (or replaces) the price source of a denom.
    SetSource { denom: String, source: PriceSource },
    /// Owner: removes a denom's source (and its circuit).
    RemoveSource { denom: String },
    /// Owner: configures the denom's circuit breaker.
    UpdateCircuitParams {
        denom: String,
        max_move: Decimal,
        move_window: u64,
        cooldown: u64,
    },
    /// Anyone (keepers): records each denom's current Liquidation price for the move window.
    Observe { denoms: Vec<String> },
    /// Owner: first step of an ownership transfer.
    ProposeOwner { owner: String },
    /// The proposed owner: second step.
    AcceptOwner {},
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(PriceResponse)]
    Price {
        denom: String,
        kind: Option<PriceKind>,
    },
    #[returns(PricesResponse)]
    Prices {
        denoms: Vec<String>,
        kind: Option<PriceKind>,
    },
    #[returns(SourceResponse)]
    Source { denom: String },
    #[returns(SourcesResponse)]
    Sources {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(CircuitResponse)]
    Circuit { denom: String },
}

/// Which checks a price must pass. `Default` (borrow, withdraw) runs every check; `Liquidation`
/// only freshness and positivity, so liquidations keep working when a deviation check trips.
#[cw_serde]
#[derive(Copy, Default, Eq)]
pub enum PriceKind {
    #[default]
    Default,
    Liquidation,
}

#[cw_serde]
pub enum PriceSource {
    /// A constant price (tests, and assets pegged by construction such as the quote denom).
    Fixed { price: Decimal256 },
    /// A Pyth price feed, read from the Pyth contract with its own `PriceFeed { id }` query.
    Pyth {
        contract: String,
        /// 32-byte feed id in hex (with or without `0x`).
        feed_id: String,
        /// Seconds after its publish time that a price stays fresh.
        max_staleness: u64,
        /// Largest accepted conf / price for `Default` prices (at most 20%).
        max_confidence: Decimal,
        /// Largest accepted |price − EMA| / EMA for `Default` prices (at most 20%).
        max_deviation: Decimal,
        /// k in conservative valuation: collateral at price − k·conf, debt at price + k·conf.
        conf_multiplier: Decimal,
        /// Decimals of the denom's display unit (6 for `uatom`, 18 for `aevmos`).
        denom_decimals: u8,
    },
}

impl PriceSource {
    /// The conservative-valuation multiplier (zero for fixed prices, which have no interval).
    pub fn conf_multiplier(&self) -> Decimal {
        match self {
            PriceSource::Fixed { .. } => Decimal::zero(),
            PriceSource::Pyth {
                conf_multiplier, ..
            } => *conf_multiplier,
        }
    }

    /// Checks the configuration against the hard caps. `contract` must already be validated.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            PriceSource::Fixed { price } => {
                if price.is_zero() {
                    return Err("a fixed price must be positive".to_string());
                }
            }
            PriceSource::Pyth {
                feed_id,
                max_staleness,
                max_confidence,
                max_deviation,
                conf_multiplier,
                denom_decimals,
                ..
            } => {
                parse_feed_id(feed_id)?;
                if *max_staleness == 0 || *max_staleness > MAX_STALENESS_CAP {
                    return Err(format!(
                        "max_staleness must be in 1..={MAX_STALENESS_CAP} seconds, got {max_staleness}"
                    ));
                }
                if max_confidence.is_zero() || *max_confidence > MAX_CONFIDENCE_CAP {
                    return Err(format!(
                        "max_confidence must be in (0, {MAX_CONFIDENCE_CAP}], got {max_confidence}"
                    ));
                }
                if max_deviation.is_zero() || *max_deviation > MAX_DEVIATION_CAP {
                    return Err(format!(
                        "max_deviation must be in (0, {MAX_DEVIATION_CAP}], got {max_deviation}"
                    ));
                }
                if *conf_multiplier > MAX_CONF_MULTIPLIER {
                    return Err(format!(
                        "conf_multiplier must be at most {MAX_CONF_MULTIPLIER}, got {conf_multiplier}"
                    ));
                }
                if *denom_decimals > 36 {
                    return Err(format!(
                        "denom_decimals must be at most 36, got {denom_decimals}"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub quote_denom: String,
    pub quote_decimals: u8,
}

/// A validated price: quote smallest units per smallest unit of `denom`, with its confidence
/// interval in the same units.
#[cw_serde]
pub struct PriceResponse {
    pub denom: String,
    pub price: Decimal256,
    pub conf: Decimal256,
    pub publish_time: u64,
}

#[cw_serde]
pub struct PricesResponse {
    pub prices: Vec<PriceResponse>,
}

#[cw_serde]
pub struct SourceResponse {
    pub denom: String,
    pub source: PriceSource,
}

#[cw_serde]
pub struct SourcesResponse {
    pub sources: Vec<SourceResponse>,
}

#[cw_serde]
pub struct CircuitResponse {
    pub open: bool,
    pub opened_at: Option<u64>,
    pub closes_at: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// Storage that siblings read with raw queries. The oracle contract's `state.rs` uses these very
// constants, so the layout cannot drift between the writer and its readers.
// ---------------------------------------------------------------------------------------------

/// The oracle's configuration record.
#[cw_serde]
pub struct Config {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub quote_denom: String,
    pub quote_decimals: u8,
}

/// A denom's circuit: its parameters, the prices observed inside the move window, and when it
/// last opened.
///
/// The window is kept as `CIRCUIT_SLOTS` slots of `move_window / CIRCUIT_SLOTS` seconds, each
/// holding the lowest and highest price observed in it. A breach of any observation is a breach
/// of its slot's low or high, so nothing is lost by keeping only those two; and however often
/// anyone calls `Observe`, the record stays bounded and the window cannot be flushed. A slot
/// counts until it has left the window entirely (up to one slot longer than `move_window`, which
/// only ever keeps the circuit more careful).
#[cw_serde]
pub struct CircuitRecord {
    pub max_move: Decimal,
    pub move_window: u64,
    pub cooldown: u64,
    pub slots: Vec<PriceSlot>,
    pub opened_at: Option<u64>,
}

/// The extremes of the prices published in `[start, start + slot width)`.
#[cw_serde]
#[derive(Copy)]
pub struct PriceSlot {
    pub start: u64,
    pub low: Decimal256,
    pub high: Decimal256,
}

/// Slots per move window.
pub const CIRCUIT_SLOTS: u64 = 32;

pub const CONFIG: Item<Config> = Item::new("config");
pub const SOURCES: Map<&str, PriceSource> = Map::new("sources");
pub const CIRCUITS: Map<&str, CircuitRecord> = Map::new("circuits");

impl CircuitRecord {
    pub fn new(max_move: Decimal, move_window: u64, cooldown: u64) -> Self {
        CircuitRecord {
            max_move,
            move_window,
            cooldown,
            slots: vec![],
            opened_at: None,
        }
    }

    /// Seconds per slot (at least one).
    pub fn slot_width(&self) -> u64 {
        self.move_window.div_ceil(CIRCUIT_SLOTS).max(1)
    }

    fn in_window(&self, slot: &PriceSlot, now: u64) -> bool {
        slot.start.saturating_add(self.slot_width()) > now.saturating_sub(self.move_window)
    }

    /// Whether `price` differs from any observation inside the move window by more than
    /// `max_move`, relative to that observation: above the lowest by more than `max_move` × the
    /// lowest, or below the highest by more than `max_move` × the highest.
    pub fn breached_by(&self, price: Decimal256, now: u64) -> bool {
        let max_move = dec256(self.max_move);
        let beyond = |observed: Decimal256, gap: Decimal256| {
            dec_mul(max_move, observed, Rounding::Down)
                .map(|limit| gap > limit)
                .unwrap_or(true)
        };
        self.slots
            .iter()
            .filter(|slot| self.in_window(slot, now))
            .any(|slot| {
                (price > slot.low && beyond(slot.low, price - slot.low))
                    || (price < slot.high && beyond(slot.high, slot.high - price))
            })
    }

    /// When the last opening closes (`opened_at + cooldown`).
    pub fn closes_at(&self) -> Option<u64> {
        self.opened_at.map(|t| t.saturating_add(self.cooldown))
    }

    /// Open when the last opening is still within its cooldown, or when `current_price` (if
    /// known) breaches the window right now, even before anyone has called `Observe`.
    pub fn is_open(&self, now: u64, current_price: Option<Decimal256>) -> bool {
        let cooling = self.closes_at().is_some_and(|closes| now < closes);
        cooling || current_price.is_some_and(|p| self.breached_by(p, now))
    }

    /// Records an observation: opens the circuit if it breaches, folds the price into its slot,
    /// and drops the slots that left the window. Returns whether it opened now.
    pub fn observe(&mut self, price: Decimal256, publish_time: u64, now: u64) -> bool {
        let breached = self.breached_by(price, now);
        if breached {
            self.opened_at = Some(now);
        }
        let width = self.slot_width();
        let start = publish_time - publish_time % width;
        match self.slots.iter_mut().find(|s| s.start == start) {
            Some(slot) => {
                slot.low = slot.low.min(price);
                slot.high = slot.high.max(price);
            }
            None => {
                let at = self.slots.partition_point(|s| s.start < start);
                self.slots.insert(
                    at,
                    PriceSlot {
                        start,
                        low: price,
                        high: price,
                    },
                );
            }
        }
        let kept: Vec<PriceSlot> = self
            .slots
            .iter()
            .copied()
            .filter(|s| self.in_window(s, now))
            .collect();
        self.slots = kept;
        // A window spans at most CIRCUIT_SLOTS + 1 aligned slots (publish times slightly ahead
        // of the block time aside); the oldest go first.
        while self.slots.len() as u64 > CIRCUIT_SLOTS + 1 {
            self.slots.remove(0);
        }
        breached
    }

    pub fn to_response(&self, now: u64, current_price: Option<Decimal256>) -> CircuitResponse {
        let open = self.is_open(now, current_price);
        let breaching = current_price.is_some_and(|p| self.breached_by(p, now));
        let closes_at = if breaching {
            // A live breach keeps it open at least one cooldown from now.
            Some(
                now.saturating_add(self.cooldown)
                    .max(self.closes_at().unwrap_or(0)),
            )
        } else if open {
            self.closes_at()
        } else {
            None
        };
        CircuitResponse {
            open,
            opened_at: if breaching && self.closes_at().is_none_or(|c| now >= c) {
                Some(now)
            } else {
                self.opened_at
            },
            closes_at,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Why a price was refused. Every variant names the denom and the values that failed.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    #[error("no price source for denom {denom}")]
    NoSource { denom: String },

    #[error("price of {denom} is stale: published at {publish_time}, now {now}, max staleness {max_staleness}s")]
    PriceStale {
        denom: String,
        publish_time: i64,
        now: u64,
        max_staleness: u64,
    },

    #[error("price of {denom} is unavailable: {reason}")]
    PriceUnavailable { denom: String, reason: String },

    /// The source answers with a positive price, and it is below the smallest step the
    /// conversion can express (less than 10^-18 quote units per smallest unit): the denom is
    /// worth less than anything the protocol can count.
    #[error("price of {denom} has no value: {reason}")]
    NoValue { denom: String, reason: String },

    #[error("price of {denom} has too wide a confidence interval: conf {conf} on price {price} exceeds {max_confidence}")]
    PriceLowConfidence {
        denom: String,
        price: Decimal256,
        conf: Decimal256,
        max_confidence: Decimal,
    },

    #[error("price of {denom} deviates from its EMA: price {price}, EMA {ema_price}, max deviation {max_deviation}")]
    PriceDeviation {
        denom: String,
        price: Decimal256,
        ema_price: Decimal256,
        max_deviation: Decimal,
    },
}

impl PriceError {
    /// Whether the refusal says the denom is worth nothing, rather than that its worth is not
    /// known now: no source at all (the owner removed it), or a positive price too small to
    /// express (`NoValue`). Such collateral counts as zero in a liquidation. Any other refusal
    /// blocks the judgement instead: a stale price is cured by fresh data (valuing it at zero
    /// would let a keeper that withheld a pull update liquidate a healthy account), and a zero
    /// or negative print is a broken feed, not a worth.
    pub fn means_worthless(&self) -> bool {
        matches!(
            self,
            PriceError::NoSource { .. } | PriceError::NoValue { .. }
        )
    }
}

/// A validated price together with what conservative valuation needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedPrice {
    pub denom: String,
    pub price: Decimal256,
    pub conf: Decimal256,
    pub publish_time: u64,
    pub conf_multiplier: Decimal,
}

impl ResolvedPrice {
    /// price − k·conf, floored at zero: what collateral is worth when borrowing against it.
    pub fn collateral_price(&self) -> Decimal256 {
        let spread =
            dec_mul(self.conf, dec256(self.conf_multiplier), Rounding::Up).unwrap_or(self.price);
        self.price.saturating_sub(spread)
    }

    /// price + k·conf: what debt costs when checking a borrow.
    pub fn debt_price(&self) -> Decimal256 {
        let spread = dec_mul(self.conf, dec256(self.conf_multiplier), Rounding::Up)
            .unwrap_or(Decimal256::MAX);
        self.price.saturating_add(spread)
    }

    pub fn to_response(&self) -> PriceResponse {
        PriceResponse {
            denom: self.denom.clone(),
            price: self.price,
            conf: self.conf,
            publish_time: self.publish_time,
        }
    }
}

/// Converts a Pyth fixed-point number into quote smallest units per denom smallest unit:
/// `value × 10^(expo + quote_decimals − denom_decimals)`, exactly. `None` when the result is out
/// of `Decimal256`'s range.
pub fn convert_pyth_value(
    value: u64,
    expo: i32,
    quote_decimals: u8,
    denom_decimals: u8,
) -> Option<Decimal256> {
    let exponent = expo
        .checked_add(quote_decimals as i32)?
        .checked_sub(denom_decimals as i32)?;
    let value = Uint256::from(value);
    if exponent >= 0 {
        let factor = pow10(exponent)?;
        Decimal256::from_atomics(value, 0)
            .ok()?
            .checked_mul(factor)
            .ok()
    } else {
        // from_atomics divides exactly for up to 18 places and rounds down beyond; beyond 36
        // places every u64 is zero, which validation then refuses as a zero price.
        let places = (-exponent) as u32;
        if places > 36 {
            return Some(Decimal256::zero());
        }
        if places <= 18 {
            Decimal256::from_atomics(value, places).ok()
        } else {
            let shifted = Decimal256::from_atomics(value, 18).ok()?;
            let divisor = pow10(places as i32 - 18)?;
            dec_div(shifted, divisor, Rounding::Down).ok()
        }
    }
}

fn unavailable(denom: &str, reason: impl Into<String>) -> PriceError {
    PriceError::PriceUnavailable {
        denom: denom.to_string(),
        reason: reason.into(),
    }
}

/// A zero or negative price (or EMA) is a broken print, not a worth: it is refused
/// (`PriceUnavailable`) and blocks what needs it until a good price is pushed. Valuing it as
/// nothing would let one bad print liquidate every account holding the denom.
fn positive(denom: &str, what: &str, price: &PythPrice) -> Result<u64, PriceError> {
    if price.price < 0 {
        return Err(unavailable(
            denom,
            format!("{what} is negative ({})", price.price),
        ));
    }
    if price.price == 0 {
        return Err(unavailable(denom, format!("{what} is zero")));
    }
    Ok(price.price as u64)
}

/// Validates a Pyth feed for `kind` at block time `now` (the rules of PROTOCOL.md "Oracle adapter"
/// and Exact rule 11).
#[allow(clippy::too_many_arguments)]
pub fn validate_pyth_feed(
    denom: &str,
    feed: &PriceFeed,
    kind: PriceKind,
    now: u64,
    quote_decimals: u8,
    denom_decimals: u8,
    max_staleness: u64,
    max_confidence: Decimal,
    max_deviation: Decimal,
    conf_multiplier: Decimal,
) -> Result<ResolvedPrice, PriceError> {
    let current = &feed.price;
    // Freshness: a publish time more than max_staleness away from the block time, in either
    // direction, is refused (as pyth-sdk's get_price_no_older_than does).
    let age = (now as i128 - current.publish_time as i128).unsigned_abs();
    if age > max_staleness as u128 {
        return Err(PriceError::PriceStale {
            denom: denom.to_string(),
            publish_time: current.publish_time,
            now,
            max_staleness,
        });
    }
    let raw_price = positive(denom, "price", current)?;
    let price = convert_pyth_value(raw_price, current.expo, quote_decimals, denom_decimals)
        .ok_or_else(|| unavailable(denom, "price conversion overflows"))?;
    if price.is_zero() {
        return Err(PriceError::NoValue {
            denom: denom.to_string(),
            reason: "price is zero after conversion".into(),
        });
    }
    let conf = convert_pyth_value(current.conf, current.expo, quote_decimals, denom_decimals)
        .ok_or_else(|| unavailable(denom, "confidence conversion overflows"))?;

    if kind == PriceKind::Default {
        let conf_limit = dec_mul(price, dec256(max_confidence), Rounding::Down)
            .map_err(|_| unavailable(denom, "confidence check overflows"))?;
        if conf > conf_limit {
            return Err(PriceError::PriceLowConfidence {
                denom: denom.to_string(),
                price,
                conf,
                max_confidence,
            });
        }
        let raw_ema = positive(denom, "EMA price", &feed.ema_price)?;
        let ema_price =
            convert_pyth_value(raw_ema, feed.ema_price.expo, quote_decimals, denom_decimals)
                .ok_or_else(|| unavailable(denom, "EMA conversion overflows"))?;
        if ema_price.is_zero() {
            return Err(unavailable(denom, "EMA price is zero after conversion"));
        }
        let gap = if price > ema_price {
            price - ema_price
        } else {
            ema_price - price
        };
        let deviation_limit = dec_mul(ema_price, dec256(max_deviation), Rounding::Down)
            .map_err(|_| unavailable(denom, "deviation check overflows"))?;
        if gap > deviation_limit {
            return Err(PriceError::PriceDeviation {
                denom: denom.to_string(),
                price,
                ema_price,
                max_deviation,
            });
        }
    }

    Ok(ResolvedPrice {
        denom: denom.to_string(),
        price,
        conf,
        publish_time: current.publish_time.max(0) as u64,
        conf_multiplier,
    })
}

/// Resolves one denom's price from its source: a fixed price directly, a Pyth price by querying
/// the Pyth contract and validating the answer.
pub fn resolve_price(
    querier: &QuerierWrapper,
    denom: &str,
    source: &PriceSource,
    quote_decimals: u8,
    kind: PriceKind,
    now: u64,
) -> Result<ResolvedPrice, PriceError> {
    match source {
        PriceSource::Fixed { price } => Ok(ResolvedPrice {
            denom: denom.to_string(),
            price: *price,
            conf: Decimal256::zero(),
            publish_time: now,
            conf_multiplier: Decimal::zero(),
        }),
        PriceSource::Pyth {
            contract,
            feed_id,
            max_staleness,
            max_confidence,
            max_deviation,
            conf_multiplier,
            denom_decimals,
        } => {
            let id = parse_feed_id(feed_id).map_err(|e| unavailable(denom, e))?;
            let answer: PriceFeedResponse = querier
                .query_wasm_smart(contract, &PythQueryMsg::PriceFeed { id })
                .map_err(|e| unavailable(denom, format!("Pyth query failed: {e}")))?;
            validate_pyth_feed(
                denom,
                &answer.price_feed,
                kind,
                now,
                quote_decimals,
                *denom_decimals,
                *max_staleness,
                *max_confidence,
                *max_deviation,
                *conf_multiplier,
            )
        }
    }
}

/// Reads the oracle's configuration, sources and (optionally) circuits with raw queries and
/// resolves each denom's price. This is how the market, auction and backstop price assets: one
/// raw read per denom plus one Pyth query per Pyth-priced denom, and no oracle instance.
pub fn query_prices(
    querier: &QuerierWrapper,
    oracle: &Addr,
    denoms: &[String],
    kind: PriceKind,
    now: u64,
) -> Result<Vec<ResolvedPrice>, PriceError> {
    query_price_results(querier, oracle, denoms, kind, now)?
        .into_iter()
        .map(|(_, result)| result)
        .collect()
}

/// One denom's price, or why it has none.
pub type DenomPrice = (String, Result<ResolvedPrice, PriceError>);

/// Like `query_prices`, but one denom's refusal does not refuse the others: each denom comes
/// back with its own result. Fails only when the oracle's config cannot be read.
pub fn query_price_results(
    querier: &QuerierWrapper,
    oracle: &Addr,
    denoms: &[String],
    kind: PriceKind,
    now: u64,
) -> Result<Vec<DenomPrice>, PriceError> {
    if denoms.is_empty() {
        return Ok(vec![]);
    }
    let config = CONFIG
        .query(querier, oracle.clone())
        .map_err(|e| unavailable("*", format!("oracle config unreadable: {e}")))?;
    Ok(denoms
        .iter()
        .map(|denom| {
            let result = SOURCES
                .query(querier, oracle.clone(), denom.as_str())
                .map_err(|e| unavailable(denom, format!("oracle source unreadable: {e}")))
                .and_then(|source| {
                    source.ok_or_else(|| PriceError::NoSource {
                        denom: denom.clone(),
                    })
                })
                .and_then(|source| {
                    resolve_price(querier, denom, &source, config.quote_decimals, kind, now)
                });
            (denom.clone(), result)
        })
        .collect())
}

/// Reads one denom's circuit record with a raw query (`None` when the denom has no circuit).
pub fn query_circuit(
    querier: &QuerierWrapper,
    oracle: &Addr,
    denom: &str,
) -> Result<Option<CircuitRecord>, PriceError> {
    CIRCUITS
        .query(querier, oracle.clone(), denom)
        .map_err(|e| unavailable(denom, format!("oracle circuit unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::HexBinary;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn feed(price: i64, conf: u64, expo: i32, publish_time: i64, ema: i64) -> PriceFeed {
        PriceFeed {
            id: HexBinary::from(vec![7u8; 32]),
            price: PythPrice {
                price,
                conf,
                expo,
                publish_time,
            },
            ema_price: PythPrice {
                price: ema,
                conf,
                expo,
                publish_time,
            },
        }
    }

    fn check(f: &PriceFeed, kind: PriceKind, now: u64) -> Result<ResolvedPrice, PriceError> {
        // ATOM (6 decimals) in uusd (6 decimals), 60 s staleness, 2% conf, 5% deviation, k = 1
        validate_pyth_feed(
            "uatom",
            f,
            kind,
            now,
            6,
            6,
            60,
            Decimal::percent(2),
            Decimal::percent(5),
            Decimal::one(),
        )
    }

    #[test]
    fn conversion_applies_expo_and_both_decimals_exactly() {
        // $12.34567890 with expo −8, 6 → 6 decimals: 12.3456789 uusd per uatom
        assert_eq!(
            convert_pyth_value(1_234_567_890, -8, 6, 6).unwrap(),
            d("12.3456789")
        );
        // ETH at $3000 (expo −8), 18 decimals, quote 6 decimals: 3000e6 / 1e18 = 3e-9
        assert_eq!(
            convert_pyth_value(300_000_000_000, -8, 6, 18).unwrap(),
            d("0.000000003")
        );
        // a positive exponent multiplies
        assert_eq!(convert_pyth_value(5, 2, 6, 6).unwrap(), d("500"));
        // below 10^-18 rounds down to what Decimal256 can hold: 150 × 10^-20 = 1.5e-18
        assert_eq!(
            convert_pyth_value(150, -8, 0, 12).unwrap(),
            d("0.000000000000000001")
        );
        assert_eq!(
            convert_pyth_value(15, -8, 0, 12).unwrap(),
            Decimal256::zero()
        );
        // out of range is None, never a panic
        assert_eq!(convert_pyth_value(u64::MAX, i32::MAX, 6, 6), None);
        assert_eq!(convert_pyth_value(u64::MAX, 60, 18, 0), None);
        assert_eq!(
            convert_pyth_value(u64::MAX, -100, 0, 0),
            Some(Decimal256::zero())
        );
    }

    #[test]
    fn a_good_price_passes_both_kinds() {
        let f = feed(1_000_000_000, 1_000_000, -8, 1_000, 1_010_000_000);
        let p = check(&f, PriceKind::Default, 1_030).unwrap();
        assert_eq!(p.price, d("10"));
        assert_eq!(p.conf, d("0.01"));
        assert_eq!(p.publish_time, 1_000);
        assert_eq!(p.collateral_price(), d("9.99"));
        assert_eq!(p.debt_price(), d("10.01"));
        assert_eq!(check(&f, PriceKind::Liquidation, 1_030).unwrap(), p);
    }

    #[test]
    fn stale_prices_fail_for_both_kinds_at_one_second_past_the_limit() {
        let f = feed(1_000_000_000, 1_000_000, -8, 1_000, 1_000_000_000);
        assert!(check(&f, PriceKind::Default, 1_060).is_ok());
        for kind in [PriceKind::Default, PriceKind::Liquidation] {
            assert_eq!(
                check(&f, kind, 1_061).unwrap_err(),
                PriceError::PriceStale {
                    denom: "uatom".into(),
                    publish_time: 1_000,
                    now: 1_061,
                    max_staleness: 60
                }
            );
        }
        // a publish time too far in the future is refused as well
        assert!(matches!(
            check(&f, PriceKind::Liquidation, 900),
            Err(PriceError::PriceStale { .. })
        ));
    }

    #[test]
    fn zero_and_negative_prices_are_unavailable_for_both_kinds() {
        for price in [0, -5] {
            let f = feed(price, 1, -8, 1_000, 1_000_000_000);
            for kind in [PriceKind::Default, PriceKind::Liquidation] {
                assert!(matches!(
                    check(&f, kind, 1_000),
                    Err(PriceError::PriceUnavailable { .. })
                ));
            }
        }
    }

    #[test]
    fn wide_confidence_fails_default_only() {
        // conf 2.1% of the price
        let f = feed(1_000_000_000, 21_000_000, -8, 1_000, 1_000_000_000);
        assert!(matches!(
            check(&f, PriceKind::Default, 1_000),
            Err(PriceError::PriceLowConfidence { .. })
        ));
        assert_eq!(
            check(&f, PriceKind::Liquidation, 1_000).unwrap().price,
            d("10")
        );
        // exactly at the limit passes
        let f = feed(1_000_000_000, 20_000_000, -8, 1_000, 1_000_000_000);
        assert!(check(&f, PriceKind::Default, 1_000).is_ok());
    }

    #[test]
    fn deviation_from_the_ema_fails_default_only() {
        // price 10, EMA 9.5: 5.26% away from the EMA
        let f = feed(1_000_000_000, 1_000_000, -8, 1_000, 950_000_000);
        assert!(matches!(
            check(&f, PriceKind::Default, 1_000),
            Err(PriceError::PriceDeviation { .. })
        ));
        assert!(check(&f, PriceKind::Liquidation, 1_000).is_ok());
        // 5% exactly passes
        let f = feed(1_050_000_000, 1_000_000, -8, 1_000, 1_000_000_000);
        assert!(check(&f, PriceKind::Default, 1_000).is_ok());
    }

    #[test]
    fn source_validation_enforces_the_hard_caps() {
        let good = PriceSource::Pyth {
            contract: "pyth".into(),
            feed_id: "0x".to_string() + &"ab".repeat(32),
            max_staleness: 60,
            max_confidence: Decimal::percent(20),
            max_deviation: Decimal::percent(20),
            conf_multiplier: Decimal::one(),
            denom_decimals: 6,
        };
        assert!(good.validate().is_ok());
        let with = |f: &dyn Fn(&mut PriceSource)| {
            let mut s = good.clone();
            f(&mut s);
            s.validate()
        };
        assert!(
            with(&|s| if let PriceSource::Pyth { max_confidence, .. } = s {
                *max_confidence = Decimal::percent(21)
            })
            .unwrap_err()
            .contains("max_confidence")
        );
        assert!(
            with(&|s| if let PriceSource::Pyth { max_deviation, .. } = s {
                *max_deviation = Decimal::percent(21)
            })
            .unwrap_err()
            .contains("max_deviation")
        );
        assert!(
            with(&|s| if let PriceSource::Pyth { max_staleness, .. } = s {
                *max_staleness = 0
            })
            .unwrap_err()
            .contains("max_staleness")
        );
        assert!(with(&|s| if let PriceSource::Pyth { feed_id, .. } = s {
            *feed_id = "12".into()
        })
        .unwrap_err()
        .contains("32 bytes"));
        assert!(PriceSource::Fixed {
            price: Decimal256::zero()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn circuit_opens_on_a_move_beyond_max_move_within_the_window_and_cools_down() {
        let mut circuit = CircuitRecord::new(Decimal::percent(10), 320, 600);
        assert_eq!(circuit.slot_width(), 10);
        assert!(!circuit.observe(d("10"), 1_000, 1_000));
        // 10% exactly is not a breach
        assert!(!circuit.breached_by(d("9"), 1_100));
        assert!(!circuit.breached_by(d("11"), 1_100));
        // just beyond, in either direction
        assert!(circuit.breached_by(d("8.99"), 1_100));
        assert!(circuit.breached_by(d("11.01"), 1_100));
        // the slot [1000, 1010) leaves the window once 1010 ≤ now − 320
        assert!(circuit.breached_by(d("5"), 1_329));
        assert!(!circuit.breached_by(d("5"), 1_330));
        // a breaching observation opens it until cooldown passes
        assert!(circuit.observe(d("8"), 1_200, 1_200));
        assert_eq!(circuit.opened_at, Some(1_200));
        assert!(circuit.is_open(1_799, None));
        assert!(!circuit.is_open(1_800, None));
        assert_eq!(circuit.closes_at(), Some(1_800));
        // a live breach shows as open before anyone observes it
        let mut fresh = CircuitRecord::new(Decimal::percent(10), 300, 600);
        fresh.observe(d("10"), 5_000, 5_000);
        assert!(fresh.is_open(5_010, Some(d("7"))));
        assert!(!fresh.is_open(5_010, Some(d("9.5"))));
        let view = fresh.to_response(5_010, Some(d("7")));
        assert_eq!(
            view,
            CircuitResponse {
                open: true,
                opened_at: Some(5_010),
                closes_at: Some(5_610)
            }
        );
    }

    #[test]
    fn the_lowest_and_highest_in_a_slot_stand_for_every_observation_in_it() {
        let mut circuit = CircuitRecord::new(Decimal::percent(10), 320, 600);
        for (price, t) in [("10", 1_000), ("10.5", 1_003), ("9.8", 1_006)] {
            circuit.observe(d(price), t, t);
        }
        assert_eq!(
            circuit.slots,
            vec![PriceSlot {
                start: 1_000,
                low: d("9.8"),
                high: d("10.5")
            }]
        );
        // within 10% of every one of 10, 10.5 and 9.8: from 10.5 × 0.9 = 9.45 to 9.8 × 1.1 = 10.78
        assert!(!circuit.breached_by(d("9.45"), 1_010));
        assert!(!circuit.breached_by(d("10.78"), 1_010));
        // beyond 9.8 by more than 10% of 9.8, or below 10.5 by more than 10% of 10.5
        assert!(circuit.breached_by(d("10.781"), 1_010));
        assert!(circuit.breached_by(d("9.449"), 1_010));
    }

    #[test]
    fn however_often_anyone_observes_the_window_stays_whole_and_bounded() {
        let mut circuit = CircuitRecord::new(Decimal::percent(10), 300, 10);
        // an observation at 10, then 250 observations a second apart creeping down
        circuit.observe(d("10"), 0, 0);
        let mut price = d("10");
        for t in 1..=250u64 {
            price -= d("0.004");
            circuit.observe(price, t, t);
        }
        // 250 s later the first price is still in the window: 9.0 against 10 is −10% exactly,
        // one more step breaches it, however many observations came in between
        assert!(circuit.slots.len() as u64 <= CIRCUIT_SLOTS + 1);
        assert!(circuit.breached_by(d("8.99"), 250));
        assert!(circuit.breached_by(d("8.99"), 300));
        // once the whole window has passed with no new observation, it is forgotten
        assert!(!circuit.breached_by(d("8.99"), 1_000));
    }
}
