//! How much of an unhealthy account goes to auction, and in which lots.
//!
//! Plain functions over values (no storage), so every boundary is unit-tested:
//! - the debt that restores `target_hf` (all of it below `full_liquidation_hf`, or when the
//!   account is under water, Exact rule 3, or when less than `min_debt` would be left);
//! - the collateral worth `debt × (1 + penalty)` at the Liquidation price, largest collateral
//!   first; one lot per (collateral, debt) pair;
//! - the in-auction caps: a lot that does not fit shrinks to what does (Maker's `hole`/`Hole`).

use cosmwasm_std::{Decimal, Decimal256, Uint128};

use ballast_types::math::{
    dec256, dec_div, dec_mul, dec_to_uint, div_dec, mul_dec, uint_to_dec, value_of, MathError,
    MathResult, Rounding,
};

/// A collateral holding as liquidation sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct CollateralInput {
    pub denom: String,
    /// What the account holds (underlying).
    pub amount: Uint128,
    /// What the pool can hand over now (its cash): collateral that is lent out cannot move.
    pub movable: Uint128,
    /// Liquidation price, quote units per unit.
    pub price: Decimal256,
    pub liquidation_threshold: Decimal,
    pub liquidation_penalty: Decimal,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DebtInput {
    pub denom: String,
    pub amount: Uint128,
    pub price: Decimal256,
    pub min_debt: Uint128,
}

/// Room under the auction's caps, in quote value.
#[derive(Clone, Debug, PartialEq)]
pub struct Room {
    pub global: Uint128,
    /// Per collateral denom; a denom without its own cap is limited by the global room only.
    pub per_denom: Vec<(String, Option<Uint128>)>,
}

impl Room {
    fn for_denom(&self, denom: &str) -> Uint128 {
        let own = self
            .per_denom
            .iter()
            .find(|(d, _)| d == denom)
            .and_then(|(_, r)| *r)
            .unwrap_or(Uint128::MAX);
        own.min(self.global)
    }

    fn take(&mut self, denom: &str, value: Uint128) {
        self.global = self.global.saturating_sub(value);
        if let Some((_, Some(room))) = self.per_denom.iter_mut().find(|(d, _)| d == denom) {
            *room = room.saturating_sub(value);
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LotPlan {
    pub collateral_denom: String,
    pub collateral: Uint128,
    pub debt_denom: String,
    pub debt: Uint128,
    /// debt × penalty rounded up, so that tab = debt + penalty = ⌈debt × (1 + penalty)⌉.
    pub penalty: Uint128,
    /// Quote value of the tab at the debt's Liquidation price (what the lot holds of the caps).
    pub tab_value: Uint128,
    /// Collateral price in debt units per collateral unit.
    pub price: Decimal256,
    pub debt_price: Decimal256,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// To the target health factor.
    Partial,
    /// All debt: health factor below `full_liquidation_hf`, or under `min_debt` left.
    Full,
    /// All debt and all collateral (Exact rule 3).
    UnderWater,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub mode: Mode,
    pub lots: Vec<LotPlan>,
    /// The caps (or the pool's cash) cut the plan short.
    pub limited: bool,
}

/// The quote value of debt that brings the health factor back to `target_hf` when it is repaid
/// with collateral carrying `threshold` and `penalty`:
/// `(target × debt − weighted) / (target − threshold × (1 + penalty))`, rounded up; `None` when
/// the denominator is not positive (seizing that collateral cannot restore the target).
pub fn debt_value_to_target(
    weighted_collateral: Decimal256,
    debt_value: Decimal256,
    target_hf: Decimal,
    threshold: Decimal,
    penalty: Decimal,
) -> MathResult<Option<Decimal256>> {
    let target = dec256(target_hf);
    let seized_weight = dec_mul(
        dec256(threshold),
        Decimal256::one() + dec256(penalty),
        Rounding::Up,
    )?;
    if target <= seized_weight {
        return Ok(None);
    }
    let needed = dec_mul(target, debt_value, Rounding::Up)?;
    if needed <= weighted_collateral {
        return Ok(Some(Decimal256::zero()));
    }
    dec_div(
        needed - weighted_collateral,
        target - seized_weight,
        Rounding::Up,
    )
    .map(Some)
}

fn overflow() -> MathError {
    MathError::Overflow {
        operation: "liquidation",
    }
}

/// Plans the lots of one liquidation.
pub fn plan(
    mut collateral: Vec<CollateralInput>,
    mut debts: Vec<DebtInput>,
    target_hf: Decimal,
    full_liquidation_hf: Decimal,
    mut room: Room,
) -> MathResult<Plan> {
    // Largest value first, for both sides (ties by denom, so the order is deterministic).
    let by_value =
        |amount: Uint128, price: Decimal256| value_of(amount, price).unwrap_or(Decimal256::MAX);
    collateral.sort_by(|a, b| {
        by_value(b.amount, b.price)
            .cmp(&by_value(a.amount, a.price))
            .then(a.denom.cmp(&b.denom))
    });
    debts.sort_by(|a, b| {
        by_value(b.amount, b.price)
            .cmp(&by_value(a.amount, a.price))
            .then(a.denom.cmp(&b.denom))
    });

    let mut collateral_value = Decimal256::zero();
    let mut weighted = Decimal256::zero();
    let mut coverable = Decimal256::zero();
    for c in &collateral {
        let value = value_of(c.amount, c.price)?;
        collateral_value = collateral_value
            .checked_add(value)
            .map_err(|_| overflow())?;
        weighted = weighted
            .checked_add(dec_mul(
                value,
                dec256(c.liquidation_threshold),
                Rounding::Down,
            )?)
            .map_err(|_| overflow())?;
        coverable = coverable
            .checked_add(dec_div(
                value,
                Decimal256::one() + dec256(c.liquidation_penalty),
                Rounding::Down,
            )?)
            .map_err(|_| overflow())?;
    }
    let mut debt_value = Decimal256::zero();
    for d in &debts {
        debt_value = debt_value
            .checked_add(value_of(d.amount, d.price)?)
            .map_err(|_| overflow())?;
    }
    if debt_value.is_zero() || collateral.is_empty() {
        return Ok(Plan {
            mode: Mode::Partial,
            lots: vec![],
            limited: false,
        });
    }

    let health = dec_div(weighted, debt_value, Rounding::Down)?;
    let (mode, mut to_repay) = if coverable < debt_value {
        (Mode::UnderWater, debt_value)
    } else if health < dec256(full_liquidation_hf) {
        (Mode::Full, debt_value)
    } else {
        let first = &collateral[0];
        match debt_value_to_target(
            weighted,
            debt_value,
            target_hf,
            first.liquidation_threshold,
            first.liquidation_penalty,
        )? {
            Some(value) if value < debt_value => (Mode::Partial, value),
            _ => (Mode::Full, debt_value),
        }
    };

    // Debt per denom, largest first; never leave less than min_debt of a denom behind.
    let mut portions: Vec<(usize, Uint128)> = vec![];
    for (index, d) in debts.iter().enumerate() {
        if to_repay.is_zero() {
            break;
        }
        let mut amount = if mode == Mode::Partial {
            div_dec(dec_to_uint(to_repay, Rounding::Up)?, d.price, Rounding::Up)
                .unwrap_or(d.amount)
                .min(d.amount)
        } else {
            d.amount
        };
        let left = d.amount - amount;
        if !left.is_zero() && left < d.min_debt {
            amount = d.amount;
        }
        to_repay = to_repay.saturating_sub(value_of(amount, d.price)?);
        portions.push((index, amount));
    }

    // Collateral for each portion, largest collateral first.
    let mut remaining: Vec<Uint128> = collateral.iter().map(|c| c.amount).collect();
    let mut movable: Vec<Uint128> = collateral.iter().map(|c| c.movable.min(c.amount)).collect();
    let mut lots: Vec<LotPlan> = vec![];
    let mut limited = false;
    for (debt_index, portion) in portions {
        let d = &debts[debt_index];
        let mut owed = portion;
        for (ci, c) in collateral.iter().enumerate() {
            if owed.is_zero() {
                break;
            }
            if remaining[ci].is_zero() {
                continue;
            }
            let last_collateral = remaining
                .iter()
                .enumerate()
                .all(|(j, r)| j <= ci || r.is_zero());
            let one_plus_penalty = Decimal256::one() + dec256(c.liquidation_penalty);
            // collateral worth owed × (1 + penalty) at Liquidation prices, rounded up
            let tab_value = dec_mul(value_of(owed, d.price)?, one_plus_penalty, Rounding::Up)?;
            let needed = dec_to_uint(dec_div(tab_value, c.price, Rounding::Up)?, Rounding::Up)?;
            let (take, debt) = if needed <= remaining[ci] {
                (needed, owed)
            } else if mode == Mode::UnderWater && last_collateral {
                // The last collateral carries all debt that is left: the shortfall is measured
                // when the lot settles, never estimated now (Exact rule 3).
                (remaining[ci], owed)
            } else {
                let covered_value = dec_div(
                    value_of(remaining[ci], c.price)?,
                    one_plus_penalty,
                    Rounding::Down,
                )?;
                let covered = dec_to_uint(
                    dec_div(covered_value, d.price, Rounding::Down)?,
                    Rounding::Down,
                )?
                .min(owed);
                (remaining[ci], covered)
            };
            if debt.is_zero() {
                continue;
            }
            let lot = size_lot(c, d, take, debt, &mut room, &mut movable[ci])?;
            match lot {
                Some(lot) => {
                    if lot.debt < debt || lot.collateral < take {
                        limited = true;
                    }
                    remaining[ci] = remaining[ci].saturating_sub(lot.collateral);
                    owed -= lot.debt;
                    if lot.debt < debt {
                        // the caps or the pool's cash stop this collateral here
                        remaining[ci] = Uint128::zero();
                    }
                    lots.push(lot);
                }
                None => {
                    limited = true;
                    remaining[ci] = Uint128::zero();
                }
            }
        }
    }
    Ok(Plan {
        mode,
        lots,
        limited,
    })
}

/// Fits one lot under the room left and the collateral the pool can move: shrinks its debt to
/// what fits and its collateral in proportion. `None` when nothing fits.
fn size_lot(
    c: &CollateralInput,
    d: &DebtInput,
    collateral: Uint128,
    debt: Uint128,
    room: &mut Room,
    movable: &mut Uint128,
) -> MathResult<Option<LotPlan>> {
    let one_plus_penalty = Decimal256::one() + dec256(c.liquidation_penalty);
    let available = room.for_denom(&c.denom);
    let mut debt = debt;
    let mut collateral = collateral;
    let tab = |debt: Uint128| mul_dec(debt, one_plus_penalty, Rounding::Up);
    let value = |tab: Uint128| dec_to_uint(value_of(tab, d.price)?, Rounding::Up);

    if value(tab(debt)?)? > available {
        // the largest tab whose value fits, then the debt whose tab is at most that
        let max_tab = dec_to_uint(
            dec_div(uint_to_dec(available), d.price, Rounding::Down)?,
            Rounding::Down,
        )?;
        let fitted = div_dec(max_tab, one_plus_penalty, Rounding::Down)?;
        collateral = proportional(collateral, fitted, debt)?;
        debt = fitted;
    }
    if collateral > *movable {
        // the debt that the movable collateral backs, rounded down (the lot stays covered)
        let fitted = ballast_types::math::mul_ratio(debt, *movable, collateral, Rounding::Down)?;
        collateral = *movable;
        debt = fitted.min(debt);
    }
    if debt.is_zero() || collateral.is_zero() {
        return Ok(None);
    }
    let tab_amount = tab(debt)?;
    let tab_value = value(tab_amount)?;
    room.take(&c.denom, tab_value);
    *movable -= collateral;
    Ok(Some(LotPlan {
        collateral_denom: c.denom.clone(),
        collateral,
        debt_denom: d.denom.clone(),
        debt,
        penalty: tab_amount - debt,
        tab_value,
        price: dec_div(c.price, d.price, Rounding::Down)?,
        debt_price: d.price,
    }))
}

/// `amount × numerator / denominator` rounded up (the lot keeps enough collateral for its debt).
fn proportional(amount: Uint128, numerator: Uint128, denominator: Uint128) -> MathResult<Uint128> {
    if denominator.is_zero() {
        return Ok(Uint128::zero());
    }
    ballast_types::math::mul_ratio(amount, numerator, denominator, Rounding::Up)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn atom(amount: u128, price: &str) -> CollateralInput {
        CollateralInput {
            denom: "uatom".into(),
            amount: Uint128::new(amount),
            movable: Uint128::MAX,
            price: d(price),
            liquidation_threshold: Decimal::percent(80),
            liquidation_penalty: Decimal::percent(5),
        }
    }

    fn usd(amount: u128) -> DebtInput {
        DebtInput {
            denom: "uusd".into(),
            amount: Uint128::new(amount),
            price: Decimal256::one(),
            min_debt: Uint128::new(100),
        }
    }

    fn open_room() -> Room {
        Room {
            global: Uint128::MAX,
            per_denom: vec![],
        }
    }

    #[test]
    fn target_formula_restores_the_target_exactly() {
        // 1,000 of collateral at LT 80% (weighted 800) against 820 of debt: HF 0.9756
        // V = (1.05 × 820 − 800) / (1.05 − 0.8 × 1.05) = 61 / 0.21 = 290.47…
        let v = debt_value_to_target(
            d("800"),
            d("820"),
            Decimal::percent(105),
            Decimal::percent(80),
            Decimal::percent(5),
        )
        .unwrap()
        .unwrap();
        assert_eq!(v.to_uint_ceil().to_string(), "291");
        // after repaying V and seizing V × 1.05: HF = (800 − V × 1.05 × 0.8) / (820 − V) = 1.05
        let hf = (d("800") - v * d("1.05") * d("0.8")) / (d("820") - v);
        assert!(
            hf >= d("1.049999999999999999") && hf <= d("1.050000000000000001"),
            "{hf}"
        );
        // a threshold × (1 + penalty) at or above the target cannot restore it
        assert_eq!(
            debt_value_to_target(
                d("800"),
                d("820"),
                Decimal::percent(84),
                Decimal::percent(80),
                Decimal::percent(5)
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn partial_liquidation_seizes_debt_times_one_plus_penalty() {
        // 100 ATOM at 10 (LT 80%), 820 debt: HF 0.9756, above full_liquidation_hf 0.95
        let plan = plan(
            vec![atom(100, "10")],
            vec![usd(820)],
            Decimal::percent(105),
            Decimal::percent(95),
            open_room(),
        )
        .unwrap();
        assert_eq!(plan.mode, Mode::Partial);
        assert_eq!(plan.lots.len(), 1);
        let lot = &plan.lots[0];
        assert_eq!(lot.debt, Uint128::new(291));
        // tab ⌈291 × 1.05⌉ = 306 (305.55), collateral ⌈306 / 10⌉ = 31 ATOM (30.6 rounded up)
        assert_eq!(lot.penalty, Uint128::new(15));
        assert_eq!(lot.collateral, Uint128::new(31));
        assert_eq!(lot.tab_value, Uint128::new(306));
        assert_eq!(lot.price, d("10"));
    }

    #[test]
    fn below_full_liquidation_hf_all_debt_goes() {
        // HF 800/850 = 0.941 < 0.95
        let plan = plan(
            vec![atom(100, "10")],
            vec![usd(850)],
            Decimal::percent(105),
            Decimal::percent(95),
            open_room(),
        )
        .unwrap();
        assert_eq!(plan.mode, Mode::Full);
        assert_eq!(plan.lots[0].debt, Uint128::new(850));
        // 850 × 1.05 = 892.5 → tab 893 → 89.3 ATOM → 90
        assert_eq!(plan.lots[0].collateral, Uint128::new(90));
    }

    #[test]
    fn under_water_puts_all_debt_and_all_collateral_in_lots() {
        // 100 ATOM at 9 = 900 / 1.05 = 857 < 880 debt
        let plan = plan(
            vec![atom(100, "9")],
            vec![usd(880)],
            Decimal::percent(105),
            Decimal::percent(95),
            open_room(),
        )
        .unwrap();
        assert_eq!(plan.mode, Mode::UnderWater);
        assert_eq!(plan.lots.len(), 1);
        assert_eq!(plan.lots[0].collateral, Uint128::new(100));
        assert_eq!(plan.lots[0].debt, Uint128::new(880));
    }

    #[test]
    fn less_than_min_debt_is_never_left_behind() {
        // to the target, 291 of 820 would go and 529 stay; with min_debt 529 that is allowed
        let mut debt = usd(820);
        debt.min_debt = Uint128::new(529);
        let plan = plan(
            vec![atom(100, "10")],
            vec![debt.clone()],
            Decimal::percent(105),
            Decimal::percent(95),
            open_room(),
        )
        .unwrap();
        assert_eq!(plan.lots[0].debt, Uint128::new(291));
        // with min_debt 530 the 529 left would be dust: all 820 goes
        debt.min_debt = Uint128::new(530);
        let plan = super::plan(
            vec![atom(100, "10")],
            vec![debt],
            Decimal::percent(105),
            Decimal::percent(95),
            open_room(),
        )
        .unwrap();
        assert_eq!(plan.lots[0].debt, Uint128::new(820));
    }

    #[test]
    fn largest_collateral_is_seized_first_and_spills_to_the_next() {
        let mut osmo = atom(1_000, "0.5");
        osmo.denom = "uosmo".into();
        // ATOM 30 × 10 = 300 (largest), OSMO 1,000 × 0.5 = 500 → OSMO is first
        let plan = plan(
            vec![atom(30, "10"), osmo],
            vec![usd(700)],
            Decimal::percent(105),
            Decimal::percent(95),
            open_room(),
        )
        .unwrap();
        // HF = 640 / 700 = 0.914 < 0.95: all 700 goes; OSMO covers 500/1.05 = 476, ATOM the rest
        assert_eq!(plan.mode, Mode::Full);
        assert_eq!(plan.lots[0].collateral_denom, "uosmo");
        assert_eq!(plan.lots[0].collateral, Uint128::new(1_000));
        assert_eq!(plan.lots[0].debt, Uint128::new(476));
        assert_eq!(plan.lots[1].collateral_denom, "uatom");
        assert_eq!(plan.lots[1].debt, Uint128::new(224));
        // ⌈224 × 1.05⌉ = 236 (235.2) → 23.6 → 24 ATOM
        assert_eq!(plan.lots[1].collateral, Uint128::new(24));
    }

    #[test]
    fn caps_shrink_the_lot_to_what_fits_and_refuse_when_nothing_does() {
        let room = Room {
            global: Uint128::new(1_000),
            per_denom: vec![("uatom".into(), Some(Uint128::new(105)))],
        };
        let plan = plan(
            vec![atom(100, "10")],
            vec![usd(850)],
            Decimal::percent(105),
            Decimal::percent(95),
            room,
        )
        .unwrap();
        assert!(plan.limited);
        let lot = &plan.lots[0];
        // tab value ≤ 105: debt ⌊105 / 1.05⌋ = 100, tab 105
        assert_eq!(lot.debt, Uint128::new(100));
        assert_eq!(lot.tab_value, Uint128::new(105));
        // collateral in proportion, rounded up: 90 × 100 / 850 = 10.59 → 11
        assert_eq!(lot.collateral, Uint128::new(11));
        let none = Room {
            global: Uint128::zero(),
            per_denom: vec![],
        };
        let plan = super::plan(
            vec![atom(100, "10")],
            vec![usd(850)],
            Decimal::percent(105),
            Decimal::percent(95),
            none,
        )
        .unwrap();
        assert!(plan.lots.is_empty());
        assert!(plan.limited);
    }

    #[test]
    fn collateral_the_pool_has_lent_out_cannot_move() {
        let mut c = atom(100, "10");
        c.movable = Uint128::new(45);
        let plan = plan(
            vec![c],
            vec![usd(850)],
            Decimal::percent(105),
            Decimal::percent(95),
            open_room(),
        )
        .unwrap();
        assert!(plan.limited);
        assert_eq!(plan.lots[0].collateral, Uint128::new(45));
        // debt in proportion, rounded up: 850 × 45 / 90 = 425
        assert_eq!(plan.lots[0].debt, Uint128::new(425));
    }
}
