//! Auto-deleveraging: scores, the bucket index, and the arithmetic of one write-down.
//!
//! The index holds only suppliers that owe debt (an account without debt has leverage 0 and is
//! reached by socialisation alone). Entries are `(denom, bucket, account) → score`, with the
//! scaled supply filed per `(denom, bucket)` kept beside them, so a step finds its candidates
//! and its pro-rata fraction without scanning accounts.

use crate::small_map::SmallMap;

use cosmwasm_std::{Addr, Decimal, Decimal256, Order, Storage, Uint128};

use ballast_types::backstop::AdlParams;
use ballast_types::math::{
    dec256, dec_div, dec_mul, dec_saturating, dec_to_uint, MathResult, Rounding,
};

use crate::error::ContractResult;
use crate::health::Valuation;
use crate::ledger::Ledger;
use crate::state::{Account, ADL_BUCKET_SUPPLY, ADL_INDEX};

/// Score = leverage × (1 + yield), where yield is the growth of the liquidity index since the
/// supply's (weighted) entry, never below zero.
pub fn score(
    leverage: Decimal256,
    liquidity_index: Decimal256,
    entry_index: Decimal256,
) -> MathResult<Decimal256> {
    let growth = if entry_index.is_zero() || liquidity_index <= entry_index {
        Decimal256::one()
    } else {
        dec_div(liquidity_index, entry_index, Rounding::Down)?
    };
    dec_mul(leverage, growth, Rounding::Down)
}

/// The score of each of the account's supplies, for an account that owes debt and still has
/// net value; empty otherwise (such an account is not filed).
pub fn scores(
    ledger: &Ledger,
    account: &Account,
    valuation: &Valuation,
) -> ContractResult<SmallMap<Decimal>> {
    let mut out = SmallMap::new();
    if !account.has_debt() {
        return Ok(out);
    }
    let Some(leverage) = valuation.leverage()? else {
        return Ok(out);
    };
    for position in account.supplies.iter().filter(|p| !p.scaled.is_zero()) {
        let asset = ledger.get(&position.denom)?;
        let s = score(leverage, asset.state.liquidity_index, position.entry_index)?;
        out.insert(position.denom.clone(), dec_saturating(s));
    }
    Ok(out)
}

/// How a change refiles an account's supplies in the ADL index.
#[derive(Clone, Copy)]
pub enum Filing<'a> {
    /// Every supply keeps its bucket and only the filed amount follows its balance (deposits
    /// and repays only lower a score, so a stale entry overestimates and never lets an account
    /// dodge ADL). A new supply of an account with debt joins its lowest filing: its score is
    /// the account's leverage with no yield yet, at most that of any other supply it files.
    Kept,
    /// As `Kept`, except that the supply of this denom leaves the index (an ADL candidate that
    /// could not be judged).
    KeptExcept(&'a str),
    /// Every supply is refiled by its fresh score; a denom without one leaves the index.
    Scored {
        params: &'a AdlParams,
        scores: &'a SmallMap<Decimal>,
    },
}

/// Brings the index in line with an account's change from `before` (as stored) to `after`.
/// Only the gate (`crate::gate`) calls it, on the way to storing the account.
pub fn sync(
    storage: &mut dyn Storage,
    account_addr: &Addr,
    before: &Account,
    after: &mut Account,
    filing: Filing,
) -> ContractResult<()> {
    let mut denoms: Vec<String> = before
        .supplies
        .iter()
        .chain(after.supplies.iter())
        .map(|p| p.denom.clone())
        .collect();
    denoms.sort();
    denoms.dedup();
    let has_debt = after.has_debt();
    for denom in denoms {
        let old = before
            .supply(&denom)
            .and_then(|p| p.adl_bucket.map(|b| (b, p.scaled)));
        let new_scaled = after.supply(&denom).map(|p| p.scaled).unwrap_or_default();
        let kept_bucket = after.supply(&denom).and_then(|p| p.adl_bucket);
        let (new_bucket, new_score) = if new_scaled.is_zero() || !has_debt {
            (None, None)
        } else {
            match filing {
                Filing::Scored { params, scores } => match scores.get(&denom) {
                    Some(s) => (Some(params.bucket_of(*s)), Some(*s)),
                    None => (None, None),
                },
                Filing::KeptExcept(dropped) if dropped == denom => (None, None),
                Filing::Kept | Filing::KeptExcept(_) if before.supply(&denom).is_none() => {
                    match lowest_filing(storage, account_addr, before)? {
                        Some((bucket, score)) => (Some(bucket), Some(score)),
                        None => (None, None),
                    }
                }
                Filing::Kept | Filing::KeptExcept(_) => (kept_bucket, None),
            }
        };
        let old_score = match old {
            Some((bucket, _)) => ADL_INDEX.may_load(storage, (&denom, bucket, account_addr))?,
            None => None,
        };
        let score_to_file = new_score.or(old_score).unwrap_or_default();
        let unchanged = old.map(|(b, _)| b) == new_bucket
            && old.map(|(_, s)| s).unwrap_or_default() == new_scaled
            && (new_score.is_none() || new_score == old_score);
        if !unchanged {
            if let Some((bucket, scaled)) = old {
                ADL_INDEX.remove(storage, (&denom, bucket, account_addr));
                adjust_bucket(storage, &denom, bucket, scaled, false)?;
            }
            if let Some(bucket) = new_bucket {
                ADL_INDEX.save(storage, (&denom, bucket, account_addr), &score_to_file)?;
                adjust_bucket(storage, &denom, bucket, new_scaled, true)?;
            }
        }
        if let Some(position) = after.supply_mut(&denom) {
            position.adl_bucket = new_bucket;
        }
    }
    Ok(())
}

/// The account's lowest filed (bucket, score) as stored, if it has any filing.
fn lowest_filing(
    storage: &dyn Storage,
    account_addr: &Addr,
    stored: &Account,
) -> ContractResult<Option<(u8, Decimal)>> {
    let Some(position) = stored
        .supplies
        .iter()
        .filter(|p| p.adl_bucket.is_some())
        .min_by_key(|p| p.adl_bucket)
    else {
        return Ok(None);
    };
    let bucket = position.adl_bucket.unwrap_or_default();
    let score = ADL_INDEX
        .may_load(storage, (&position.denom, bucket, account_addr))?
        .unwrap_or_default();
    Ok(Some((bucket, score)))
}

fn adjust_bucket(
    storage: &mut dyn Storage,
    denom: &str,
    bucket: u8,
    scaled: Uint128,
    add: bool,
) -> ContractResult<()> {
    let key = (denom, bucket);
    let current = ADL_BUCKET_SUPPLY
        .may_load(storage, key)?
        .unwrap_or_default();
    let next = if add {
        crate::ledger::checked_add(current, scaled)?
    } else {
        current.saturating_sub(scaled)
    };
    if next.is_zero() {
        ADL_BUCKET_SUPPLY.remove(storage, key);
    } else {
        ADL_BUCKET_SUPPLY.save(storage, key, &next)?;
    }
    Ok(())
}

/// The highest bucket of `denom` with supply filed, and that supply (scaled).
pub fn top_bucket(
    storage: &dyn Storage,
    denom: &str,
    bucket_count: usize,
) -> ContractResult<Option<(u8, Uint128)>> {
    for bucket in (0..=bucket_count as u8).rev() {
        if let Some(supply) = ADL_BUCKET_SUPPLY.may_load(storage, (denom, bucket))? {
            if !supply.is_zero() {
                return Ok(Some((bucket, supply)));
            }
        }
    }
    Ok(None)
}

/// The next filed account in `(denom, bucket)` after `after` (address order).
pub fn next_candidate(
    storage: &dyn Storage,
    denom: &str,
    bucket: u8,
    after: Option<&Addr>,
) -> ContractResult<Option<Addr>> {
    let start = after.map(cw_storage_plus::Bound::exclusive);
    let next = ADL_INDEX
        .prefix((denom, bucket))
        .keys(storage, start, None, Order::Ascending)
        .next()
        .transpose()?;
    Ok(next)
}

/// The largest write-down of `denom` supply that keeps the account's health factor at or above
/// `min_hf`, given that each unit written down removes `denom_weight` (its price × threshold, if
/// it is collateral) and brings `in_kind_weight` of in-kind collateral (price × threshold per
/// unit written down), and that rounding may cost the account up to `margin` of weight (see
/// `rounding_margin`). `None` means no limit.
pub fn max_write_down(
    weighted_collateral: Decimal256,
    margin: Decimal256,
    debt_value: Decimal256,
    min_hf: Decimal,
    denom_weight: Decimal256,
    in_kind_weight: Decimal256,
) -> MathResult<Option<Uint128>> {
    if debt_value.is_zero() {
        return Ok(None);
    }
    let floor = dec_mul(dec256(min_hf), debt_value, Rounding::Up)?;
    let spendable = weighted_collateral.saturating_sub(margin);
    // At, below or within rounding of the floor the account takes no write-down, even one whose
    // in-kind credit weighs as much as what it loses: rounding alone could weaken it, and an
    // account already below `adl_min_hf` is the last that ADL should touch.
    if spendable <= floor {
        return Ok(Some(Uint128::zero()));
    }
    if in_kind_weight >= denom_weight {
        return Ok(None);
    }
    let per_unit = denom_weight - in_kind_weight;
    let room = dec_div(spendable - floor, per_unit, Rounding::Down)?;
    Ok(Some(
        dec_to_uint(room, Rounding::Down).unwrap_or(Uint128::MAX),
    ))
}

/// Weight to hold back from an account's weighted collateral before `max_write_down`, for the
/// units that rounding moves against the account: burning the written-down supply rounds its
/// scaled amount up (up to one index's worth, below 2 units while the index is below 2) and
/// revaluing it rounds down (1 more), and each in-kind credit is rounded down three times (its
/// pro-rata share, the minted scaled amount, its valuation). Without it a write-down to exactly
/// `adl_min_hf` can land a few units below.
pub fn rounding_margin(
    denom_unit_weight: Decimal256,
    in_kind_unit_weights: &[Decimal256],
) -> Decimal256 {
    let in_kind = in_kind_unit_weights
        .iter()
        .fold(Decimal256::zero(), |sum, w| sum.saturating_add(*w));
    let units = Decimal256::from_ratio(3u128, 1u128);
    denom_unit_weight
        .saturating_add(in_kind)
        .saturating_mul(units)
}

/// The share of `amount` of in-kind collateral that a write-down of `written` out of a
/// deficit of `deficit` carries, rounded down (the last write-down takes what is left).
pub fn in_kind_share(amount: Uint128, written: Uint128, deficit: Uint128) -> MathResult<Uint128> {
    if written >= deficit {
        return Ok(amount);
    }
    ballast_types::math::mul_ratio(amount, written, deficit, Rounding::Down)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    #[test]
    fn score_is_leverage_times_one_plus_yield() {
        // leverage 2, index grew from 1.0 to 1.1: 2 × 1.1
        assert_eq!(score(d("2"), d("1.1"), d("1")).unwrap(), d("2.2"));
        // no yield: the leverage itself
        assert_eq!(score(d("2"), d("1"), d("1")).unwrap(), d("2"));
        // an index below the entry (after socialisation) counts as no yield, not negative
        assert_eq!(score(d("2"), d("0.9"), d("1")).unwrap(), d("2"));
        // no debt, no score
        assert_eq!(
            score(Decimal256::zero(), d("1.5"), d("1")).unwrap(),
            Decimal256::zero()
        );
    }

    #[test]
    fn the_rounding_margin_holds_back_three_units_of_the_denom_and_of_each_in_kind_coin() {
        assert_eq!(rounding_margin(d("0.8"), &[]), d("2.4"));
        assert_eq!(
            rounding_margin(d("0.8"), &[d("7.5"), d("0.01")]),
            d("24.93")
        );
        // a supply that is not collateral weighs nothing; the in-kind credit still rounds
        assert_eq!(rounding_margin(Decimal256::zero(), &[d("2")]), d("6"));
    }

    #[test]
    fn write_down_stops_at_the_minimum_health_factor() {
        // weighted 1,100 against debt 1,000; min HF 1.05 leaves 50 of room; each unit of D costs
        // 0.8 of weight and brings no in-kind collateral: 50 / 0.8 = 62.5 → 62
        assert_eq!(
            max_write_down(
                d("1100"),
                Decimal256::zero(),
                d("1000"),
                Decimal::percent(105),
                d("0.8"),
                Decimal256::zero()
            )
            .unwrap(),
            Some(Uint128::new(62))
        );
        // in-kind collateral worth 0.5 per unit halves the cost: 50 / 0.3 = 166.6 → 166
        assert_eq!(
            max_write_down(
                d("1100"),
                Decimal256::zero(),
                d("1000"),
                Decimal::percent(105),
                d("0.8"),
                d("0.5")
            )
            .unwrap(),
            Some(Uint128::new(166))
        );
        // in-kind worth as much as what is written down: no limit
        assert_eq!(
            max_write_down(
                d("1100"),
                Decimal256::zero(),
                d("1000"),
                Decimal::percent(105),
                d("0.8"),
                d("0.8")
            )
            .unwrap(),
            None
        );
        // already at or below the minimum: nothing
        assert_eq!(
            max_write_down(
                d("1050"),
                Decimal256::zero(),
                d("1000"),
                Decimal::percent(105),
                d("0.8"),
                Decimal256::zero()
            )
            .unwrap(),
            Some(Uint128::zero())
        );
        // no debt: no limit
        assert_eq!(
            max_write_down(
                d("10"),
                Decimal256::zero(),
                Decimal256::zero(),
                Decimal::percent(105),
                d("0.8"),
                Decimal256::zero()
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn the_rounding_margin_is_held_back_from_the_room() {
        let min_hf = Decimal::percent(105);
        // (1,100 - 2.4 - 1,050) / 0.8 = 59.5 → 59
        assert_eq!(
            max_write_down(d("1100"), d("2.4"), d("1000"), min_hf, d("0.8"), d("0")).unwrap(),
            Some(Uint128::new(59))
        );
        // in-kind worth as much as what is written down, but only 1 of room above the floor
        // and 2.4 of rounding: the rounding alone could cross the floor, so nothing
        assert_eq!(
            max_write_down(d("1051"), d("2.4"), d("1000"), min_hf, d("0.8"), d("0.8")).unwrap(),
            Some(Uint128::zero())
        );
        // exactly at the floor: nothing either
        assert_eq!(
            max_write_down(d("1050"), d("2.4"), d("1000"), min_hf, d("0.8"), d("0.9")).unwrap(),
            Some(Uint128::zero())
        );
        // room beyond the margin: no limit
        assert_eq!(
            max_write_down(d("1053"), d("2.4"), d("1000"), min_hf, d("0.8"), d("0.8")).unwrap(),
            None
        );
        // already below the floor: nothing, even for a write-down that brings more than it takes
        assert_eq!(
            max_write_down(d("1000"), d("2.4"), d("1000"), min_hf, d("0.8"), d("0.9")).unwrap(),
            Some(Uint128::zero())
        );
    }

    #[test]
    fn in_kind_share_is_pro_rata_and_the_last_takes_the_rest() {
        assert_eq!(
            in_kind_share(Uint128::new(100), Uint128::new(1), Uint128::new(3)).unwrap(),
            Uint128::new(33)
        );
        assert_eq!(
            in_kind_share(Uint128::new(100), Uint128::new(3), Uint128::new(3)).unwrap(),
            Uint128::new(100)
        );
        assert_eq!(
            in_kind_share(Uint128::new(100), Uint128::new(5), Uint128::new(3)).unwrap(),
            Uint128::new(100)
        );
    }
}
