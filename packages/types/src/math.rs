//! Fixed-point math shared by every contract.
//!
//! Amounts are `Uint128` in a denom's smallest unit; prices, indices and values are `Decimal256`.
//! Every operation is checked: an overflow is a [`MathError`], never a wrap and never a panic.
//! Every conversion names its rounding direction, and the protocol always takes the side that
//! favours it: supply and collateral round down, debt, fees and penalties round up.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};
use thiserror::Error;

/// Seconds in the 365-day year that interest rates are quoted for (as Mars does).
pub const SECONDS_PER_YEAR: u64 = 31_536_000;

/// 10^18, the scale of `Decimal256`'s atomics.
const DECIMAL_FRACTIONAL: u128 = 1_000_000_000_000_000_000;

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum MathError {
    #[error("overflow in {operation}")]
    Overflow { operation: &'static str },
    #[error("division by zero in {operation}")]
    DivideByZero { operation: &'static str },
}

pub type MathResult<T> = Result<T, MathError>;

fn overflow(operation: &'static str) -> MathError {
    MathError::Overflow { operation }
}

/// Which way a conversion rounds. Named at every call site so that a reader can check that the
/// protocol, not the user, keeps the remainder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Down,
    Up,
}

/// `Uint256` → `Uint128`, an error when it does not fit.
pub fn to_u128(value: Uint256, operation: &'static str) -> MathResult<Uint128> {
    Uint128::try_from(value).map_err(|_| overflow(operation))
}

/// `amount × factor`, rounded as asked.
pub fn mul_dec(amount: Uint128, factor: Decimal256, rounding: Rounding) -> MathResult<Uint128> {
    let product = Uint256::from(amount)
        .checked_mul(factor.atomics())
        .map_err(|_| overflow("mul_dec"))?;
    let denominator = Uint256::from(DECIMAL_FRACTIONAL);
    to_u128(div_round(product, denominator, rounding)?, "mul_dec")
}

/// `amount / divisor`, rounded as asked.
pub fn div_dec(amount: Uint128, divisor: Decimal256, rounding: Rounding) -> MathResult<Uint128> {
    if divisor.is_zero() {
        return Err(MathError::DivideByZero {
            operation: "div_dec",
        });
    }
    let numerator = Uint256::from(amount)
        .checked_mul(Uint256::from(DECIMAL_FRACTIONAL))
        .map_err(|_| overflow("div_dec"))?;
    to_u128(
        div_round(numerator, divisor.atomics(), rounding)?,
        "div_dec",
    )
}

/// `amount × numerator / denominator` in 256-bit intermediate precision, rounded as asked.
pub fn mul_ratio(
    amount: Uint128,
    numerator: Uint128,
    denominator: Uint128,
    rounding: Rounding,
) -> MathResult<Uint128> {
    if denominator.is_zero() {
        return Err(MathError::DivideByZero {
            operation: "mul_ratio",
        });
    }
    let product = Uint256::from(amount)
        .checked_mul(Uint256::from(numerator))
        .map_err(|_| overflow("mul_ratio"))?;
    to_u128(
        div_round(product, Uint256::from(denominator), rounding)?,
        "mul_ratio",
    )
}

fn div_round(numerator: Uint256, denominator: Uint256, rounding: Rounding) -> MathResult<Uint256> {
    if denominator.is_zero() {
        return Err(MathError::DivideByZero {
            operation: "div_round",
        });
    }
    let quotient = numerator / denominator;
    match rounding {
        Rounding::Down => Ok(quotient),
        Rounding::Up => {
            if (numerator % denominator).is_zero() {
                Ok(quotient)
            } else {
                quotient
                    .checked_add(Uint256::one())
                    .map_err(|_| overflow("div_round"))
            }
        }
    }
}

/// The value of `amount` at `price`, as an exact `Decimal256` (no rounding below 10^-18).
pub fn value_of(amount: Uint128, price: Decimal256) -> MathResult<Decimal256> {
    Decimal256::from_atomics(Uint256::from(amount), 0)
        .map_err(|_| overflow("value_of"))?
        .checked_mul(price)
        .map_err(|_| overflow("value_of"))
}

/// A `Decimal256` value in whole quote units, rounded as asked.
pub fn dec_to_uint(value: Decimal256, rounding: Rounding) -> MathResult<Uint128> {
    let whole = match rounding {
        Rounding::Down => value.to_uint_floor(),
        Rounding::Up => value.to_uint_ceil(),
    };
    to_u128(whole, "dec_to_uint")
}

/// Whole units of a `Uint128` as a `Decimal256`.
pub fn uint_to_dec(amount: Uint128) -> Decimal256 {
    // A u128 is below 3.5e38, far inside Decimal256's range of 1.1e59.
    Decimal256::from_atomics(Uint256::from(amount), 0).unwrap_or(Decimal256::MAX)
}

pub fn dec256(value: Decimal) -> Decimal256 {
    Decimal256::from(value)
}

/// `Decimal256` → `Decimal`, saturating at `Decimal::MAX` (used only for ratios shown to users,
/// such as a health factor of an account with almost no debt).
pub fn dec_saturating(value: Decimal256) -> Decimal {
    Decimal::try_from(value).unwrap_or(Decimal::MAX)
}

/// `value / divisor` in `Decimal256`, rounded as asked at the 18th decimal.
pub fn dec_div(
    value: Decimal256,
    divisor: Decimal256,
    rounding: Rounding,
) -> MathResult<Decimal256> {
    if divisor.is_zero() {
        return Err(MathError::DivideByZero {
            operation: "dec_div",
        });
    }
    let numerator = value
        .atomics()
        .checked_mul(Uint256::from(DECIMAL_FRACTIONAL))
        .map_err(|_| overflow("dec_div"))?;
    let atomics = div_round(numerator, divisor.atomics(), rounding)?;
    Ok(Decimal256::new(atomics))
}

/// `a × b` in `Decimal256`, rounded as asked at the 18th decimal.
pub fn dec_mul(a: Decimal256, b: Decimal256, rounding: Rounding) -> MathResult<Decimal256> {
    let product = a
        .atomics()
        .checked_mul(b.atomics())
        .map_err(|_| overflow("dec_mul"))?;
    let atomics = div_round(product, Uint256::from(DECIMAL_FRACTIONAL), rounding)?;
    Ok(Decimal256::new(atomics))
}

/// `10^exponent` as a `Decimal256`; `None` when it is out of range (above 10^59 or below 10^-18).
pub fn pow10(exponent: i32) -> Option<Decimal256> {
    if exponent >= 0 {
        let whole = Uint256::from(10u8).checked_pow(exponent as u32).ok()?;
        Decimal256::from_atomics(whole, 0).ok()
    } else if exponent >= -18 {
        Some(Decimal256::from_atomics(Uint256::one(), (-exponent) as u32).ok()?)
    } else {
        None
    }
}

/// `base^exponent` by repeated squaring, every step rounded down (a decaying auction price only
/// ever errs low by at most one atomic unit per multiplication).
pub fn dec_pow(base: Decimal256, mut exponent: u64) -> MathResult<Decimal256> {
    let mut result = Decimal256::one();
    let mut square = base;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = dec_mul(result, square, Rounding::Down)?;
        }
        exponent >>= 1;
        if exponent > 0 {
            square = dec_mul(square, square, Rounding::Down)?;
        }
        if result.is_zero() {
            break;
        }
    }
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// Scaled balances
// ---------------------------------------------------------------------------------------------

/// Converts between underlying amounts and balances scaled by an index
/// (`scaled = amount / index`). Supply uses the liquidity index, debt the borrow index.
pub mod scaled {
    use super::*;

    /// Scaled supply minted for a deposit: rounded down, so a depositor never gets more
    /// than they paid in.
    pub fn supply_minted(amount: Uint128, liquidity_index: Decimal256) -> MathResult<Uint128> {
        div_dec(amount, liquidity_index, Rounding::Down)
    }

    /// Scaled supply burnt for a withdrawal of `amount`: rounded up.
    pub fn supply_burnt(amount: Uint128, liquidity_index: Decimal256) -> MathResult<Uint128> {
        div_dec(amount, liquidity_index, Rounding::Up)
    }

    /// What a scaled supply balance is worth: rounded down.
    pub fn supply_amount(scaled: Uint128, liquidity_index: Decimal256) -> MathResult<Uint128> {
        mul_dec(scaled, liquidity_index, Rounding::Down)
    }

    /// Scaled debt minted for a borrow of `amount`: rounded up.
    pub fn debt_minted(amount: Uint128, borrow_index: Decimal256) -> MathResult<Uint128> {
        div_dec(amount, borrow_index, Rounding::Up)
    }

    /// Scaled debt burnt by a repayment of `amount`: rounded down.
    pub fn debt_burnt(amount: Uint128, borrow_index: Decimal256) -> MathResult<Uint128> {
        div_dec(amount, borrow_index, Rounding::Down)
    }

    /// What a scaled debt balance owes: rounded up.
    pub fn debt_amount(scaled: Uint128, borrow_index: Decimal256) -> MathResult<Uint128> {
        mul_dec(scaled, borrow_index, Rounding::Up)
    }
}

// ---------------------------------------------------------------------------------------------
// Interest
// ---------------------------------------------------------------------------------------------

/// The kink ("jump rate") model: the borrow rate rises by `slope_1` up to the optimal
/// utilization, then steeply by `slope_2` to 100%. All rates are yearly.
#[cw_serde]
pub struct InterestModel {
    pub base: Decimal,
    pub slope_1: Decimal,
    pub slope_2: Decimal,
    pub optimal_utilization: Decimal,
}

impl InterestModel {
    /// The yearly borrow rate at `utilization` (clamped to 100%).
    pub fn borrow_rate(&self, utilization: Decimal256) -> MathResult<Decimal256> {
        let utilization = utilization.min(Decimal256::one());
        let optimal = dec256(self.optimal_utilization);
        let base = dec256(self.base);
        let slope_1 = dec256(self.slope_1);
        if utilization <= optimal {
            if optimal.is_zero() {
                return Ok(base);
            }
            let ramp = dec_div(utilization, optimal, Rounding::Up)?;
            let rate = dec_mul(slope_1, ramp, Rounding::Up)?;
            base.checked_add(rate).map_err(|_| overflow("borrow_rate"))
        } else {
            let excess = utilization - optimal;
            let span = Decimal256::one() - optimal;
            let ramp = dec_div(excess, span, Rounding::Up)?;
            let steep = dec_mul(dec256(self.slope_2), ramp, Rounding::Up)?;
            base.checked_add(slope_1)
                .and_then(|r| r.checked_add(steep))
                .map_err(|_| overflow("borrow_rate"))
        }
    }

    /// Checks the model's shape: the optimal utilization strictly inside (0, 1), and rates that
    /// cannot run away (each term at most 10,000% a year).
    pub fn validate(&self) -> Result<(), String> {
        if self.optimal_utilization.is_zero() || self.optimal_utilization >= Decimal::one() {
            return Err(format!(
                "optimal_utilization must be in (0, 1), got {}",
                self.optimal_utilization
            ));
        }
        let ceiling = Decimal::percent(10_000);
        for (name, value) in [
            ("base", self.base),
            ("slope_1", self.slope_1),
            ("slope_2", self.slope_2),
        ] {
            if value > ceiling {
                return Err(format!("{name} must be at most {ceiling}, got {value}"));
            }
        }
        Ok(())
    }
}

/// Share of the pool that is lent out: `borrowed / (borrowed + cash)`. Zero for an empty pool.
/// It can never exceed 100%, because the market lends only what it holds.
pub fn utilization(borrowed: Uint128, cash: Uint128) -> Decimal256 {
    let total = Uint256::from(borrowed) + Uint256::from(cash);
    if total.is_zero() {
        return Decimal256::zero();
    }
    Decimal256::from_ratio(Uint256::from(borrowed), total)
}

/// The supply rate that pays suppliers exactly `(1 − reserve_factor)` of the interest that
/// accruing debt earns: `borrow_rate × accruing_debt / total_supply × (1 − reserve_factor)`.
/// Rounded down, so suppliers are never credited more than borrowers pay.
pub fn supply_rate(
    borrow_rate: Decimal256,
    accruing_debt: Uint128,
    total_supply: Uint128,
    reserve_factor: Decimal,
) -> MathResult<Decimal256> {
    if total_supply.is_zero() || accruing_debt.is_zero() {
        return Ok(Decimal256::zero());
    }
    let share = Decimal256::from_ratio(
        Uint256::from(accruing_debt.min(total_supply)),
        Uint256::from(total_supply),
    );
    let kept = Decimal256::one() - dec256(reserve_factor.min(Decimal::one()));
    let rate = dec_mul(borrow_rate, share, Rounding::Down)?;
    dec_mul(rate, kept, Rounding::Down)
}

/// Linear accrual between actions: `index × (1 + rate × Δt / year)`.
pub fn accrue_index(
    index: Decimal256,
    yearly_rate: Decimal256,
    elapsed_seconds: u64,
    rounding: Rounding,
) -> MathResult<Decimal256> {
    if elapsed_seconds == 0 || yearly_rate.is_zero() {
        return Ok(index);
    }
    let elapsed = Decimal256::from_ratio(elapsed_seconds, SECONDS_PER_YEAR);
    let growth = dec_mul(yearly_rate, elapsed, rounding)?;
    let factor = Decimal256::one()
        .checked_add(growth)
        .map_err(|_| overflow("accrue_index"))?;
    dec_mul(index, factor, rounding)
}

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

/// `Σ(collateral value × liquidation threshold) / Σ(debt value)`; `None` without debt.
pub fn health_factor(
    weighted_collateral: Decimal256,
    debt_value: Decimal256,
) -> MathResult<Option<Decimal256>> {
    if debt_value.is_zero() {
        return Ok(None);
    }
    dec_div(weighted_collateral, debt_value, Rounding::Down).map(Some)
}

/// A linear ramp from `from` to `to` over `[start, end]`, used so that lowering a liquidation
/// threshold never makes accounts liquidatable in one block.
#[cw_serde]
pub struct Ramp {
    pub from: Decimal,
    pub to: Decimal,
    pub start: u64,
    pub end: u64,
}

impl Ramp {
    /// The value at `now`: `from` before `start`, `to` from `end` on, linear between. Rounded
    /// towards `from` (the old, higher threshold) so the ramp never runs ahead of its schedule.
    pub fn value_at(&self, now: u64) -> Decimal {
        if now >= self.end || self.end <= self.start {
            return self.to;
        }
        if now <= self.start {
            return self.from;
        }
        let elapsed = now - self.start;
        let span = self.end - self.start;
        if self.to >= self.from {
            let step = (self.to - self.from) * Decimal::from_ratio(elapsed, span);
            self.from + step
        } else {
            // from − (from − to) × elapsed / span, with the product rounded down so the result
            // stays at or above the exact value.
            let gap = self.from - self.to;
            let step = gap
                .checked_mul(Decimal::from_ratio(elapsed, span))
                .unwrap_or(gap);
            self.from - step
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    #[test]
    fn mul_and_div_round_in_the_named_direction() {
        // 10 × 0.15 = 1.5
        assert_eq!(
            mul_dec(10u128.into(), d("0.15"), Rounding::Down).unwrap(),
            Uint128::new(1)
        );
        assert_eq!(
            mul_dec(10u128.into(), d("0.15"), Rounding::Up).unwrap(),
            Uint128::new(2)
        );
        // exact products do not round up
        assert_eq!(
            mul_dec(10u128.into(), d("0.2"), Rounding::Up).unwrap(),
            Uint128::new(2)
        );
        // 10 / 3
        assert_eq!(
            div_dec(10u128.into(), d("3"), Rounding::Down).unwrap(),
            Uint128::new(3)
        );
        assert_eq!(
            div_dec(10u128.into(), d("3"), Rounding::Up).unwrap(),
            Uint128::new(4)
        );
        assert_eq!(
            div_dec(9u128.into(), d("3"), Rounding::Up).unwrap(),
            Uint128::new(3)
        );
        assert!(matches!(
            div_dec(1u128.into(), Decimal256::zero(), Rounding::Down),
            Err(MathError::DivideByZero { .. })
        ));
    }

    #[test]
    fn results_that_do_not_fit_are_errors_not_panics() {
        assert!(matches!(
            mul_dec(Uint128::MAX, d("2"), Rounding::Down),
            Err(MathError::Overflow { .. })
        ));
        assert!(matches!(
            div_dec(Uint128::MAX, d("0.5"), Rounding::Up),
            Err(MathError::Overflow { .. })
        ));
        assert_eq!(
            mul_dec(Uint128::MAX, Decimal256::one(), Rounding::Up).unwrap(),
            Uint128::MAX
        );
        assert!(value_of(Uint128::MAX, Decimal256::MAX).is_err());
    }

    #[test]
    fn mul_ratio_is_exact_in_256_bits() {
        let big = Uint128::MAX;
        assert_eq!(mul_ratio(big, big, big, Rounding::Down).unwrap(), big);
        assert_eq!(
            mul_ratio(7u128.into(), 1u128.into(), 2u128.into(), Rounding::Up).unwrap(),
            Uint128::new(4)
        );
        assert_eq!(
            mul_ratio(7u128.into(), 1u128.into(), 2u128.into(), Rounding::Down).unwrap(),
            Uint128::new(3)
        );
    }

    #[test]
    fn scaled_supply_rounds_down_and_debt_rounds_up_at_one_unit() {
        let index = d("1.5");
        // deposit 1 at index 1.5 → 0.666 scaled → 0 (the depositor gets no more than paid)
        assert_eq!(
            scaled::supply_minted(1u128.into(), index).unwrap(),
            Uint128::zero()
        );
        // withdrawing 1 burns 1 scaled unit (0.666 rounded up)
        assert_eq!(
            scaled::supply_burnt(1u128.into(), index).unwrap(),
            Uint128::one()
        );
        // 1 scaled unit is worth 1 (1.5 rounded down)
        assert_eq!(
            scaled::supply_amount(1u128.into(), index).unwrap(),
            Uint128::one()
        );
        // borrowing 1 mints 1 scaled unit (0.666 rounded up) that owes 2 (1.5 rounded up)
        assert_eq!(
            scaled::debt_minted(1u128.into(), index).unwrap(),
            Uint128::one()
        );
        assert_eq!(
            scaled::debt_amount(1u128.into(), index).unwrap(),
            Uint128::new(2)
        );
        // repaying 1 burns 0 scaled units (0.666 rounded down)
        assert_eq!(
            scaled::debt_burnt(1u128.into(), index).unwrap(),
            Uint128::zero()
        );
    }

    #[test]
    fn kink_model_matches_its_formula_at_the_boundaries() {
        let model = InterestModel {
            base: Decimal::percent(1),
            slope_1: Decimal::percent(4),
            slope_2: Decimal::percent(75),
            optimal_utilization: Decimal::percent(80),
        };
        assert_eq!(model.borrow_rate(Decimal256::zero()).unwrap(), d("0.01"));
        assert_eq!(model.borrow_rate(d("0.4")).unwrap(), d("0.03"));
        assert_eq!(model.borrow_rate(d("0.8")).unwrap(), d("0.05"));
        // 0.9 is halfway up the steep part: 0.05 + 0.75 / 2
        assert_eq!(model.borrow_rate(d("0.9")).unwrap(), d("0.425"));
        assert_eq!(model.borrow_rate(Decimal256::one()).unwrap(), d("0.8"));
        // utilization above 100% is clamped, never extrapolated
        assert_eq!(model.borrow_rate(d("1.5")).unwrap(), d("0.8"));
        assert!(model.validate().is_ok());
        let bad = InterestModel {
            optimal_utilization: Decimal::one(),
            ..model.clone()
        };
        assert!(bad.validate().is_err());
        let runaway = InterestModel {
            slope_2: Decimal::percent(10_001),
            ..model
        };
        assert!(runaway.validate().is_err());
    }

    #[test]
    fn utilization_is_borrowed_over_borrowed_plus_cash() {
        assert_eq!(
            utilization(Uint128::zero(), Uint128::zero()),
            Decimal256::zero()
        );
        assert_eq!(utilization(30u128.into(), 70u128.into()), d("0.3"));
        assert_eq!(
            utilization(100u128.into(), Uint128::zero()),
            Decimal256::one()
        );
    }

    #[test]
    fn supply_rate_passes_on_the_interest_less_the_reserve_factor() {
        // 10% borrow rate, half the supply lent, 20% reserve → 10% × 0.5 × 0.8 = 4%
        let rate = supply_rate(
            d("0.1"),
            50u128.into(),
            100u128.into(),
            Decimal::percent(20),
        )
        .unwrap();
        assert_eq!(rate, d("0.04"));
        assert_eq!(
            supply_rate(d("0.1"), Uint128::zero(), 100u128.into(), Decimal::zero()).unwrap(),
            Decimal256::zero()
        );
    }

    #[test]
    fn accrual_is_linear_over_the_interval() {
        // 10% a year for half a year → × 1.05
        let index = accrue_index(
            Decimal256::one(),
            d("0.1"),
            SECONDS_PER_YEAR / 2,
            Rounding::Down,
        )
        .unwrap();
        assert_eq!(index, d("1.05"));
        // a full year at 10% from 1.05 → 1.155
        let index = accrue_index(index, d("0.1"), SECONDS_PER_YEAR, Rounding::Down).unwrap();
        assert_eq!(index, d("1.155"));
        // one second at 10%: 1 × (1 + 0.1/31,536,000) rounded both ways differs by one atomic
        let down = accrue_index(Decimal256::one(), d("0.1"), 1, Rounding::Down).unwrap();
        let up = accrue_index(Decimal256::one(), d("0.1"), 1, Rounding::Up).unwrap();
        assert_eq!(up.atomics() - down.atomics(), Uint256::one());
        assert_eq!(
            accrue_index(d("1.2"), d("0.1"), 0, Rounding::Up).unwrap(),
            d("1.2")
        );
    }

    #[test]
    fn health_factor_is_none_without_debt() {
        assert_eq!(health_factor(d("100"), Decimal256::zero()).unwrap(), None);
        assert_eq!(health_factor(d("100"), d("80")).unwrap(), Some(d("1.25")));
    }

    #[test]
    fn pow10_covers_the_decimal_range_and_refuses_beyond() {
        assert_eq!(pow10(0).unwrap(), Decimal256::one());
        assert_eq!(pow10(3).unwrap(), d("1000"));
        assert_eq!(pow10(-18).unwrap(), d("0.000000000000000001"));
        assert_eq!(pow10(-19), None);
        assert!(pow10(59).is_some());
        assert_eq!(pow10(60), None);
    }

    #[test]
    fn dec_pow_squares_and_multiplies() {
        assert_eq!(dec_pow(d("0.5"), 0).unwrap(), Decimal256::one());
        assert_eq!(dec_pow(d("0.5"), 3).unwrap(), d("0.125"));
        assert_eq!(dec_pow(d("0.99"), 2).unwrap(), d("0.9801"));
        // decays to zero without overflow for large exponents
        assert_eq!(dec_pow(d("0.5"), 10_000).unwrap(), Decimal256::zero());
    }

    #[test]
    fn ramp_moves_linearly_and_never_ahead_of_schedule() {
        let ramp = Ramp {
            from: Decimal::percent(80),
            to: Decimal::percent(70),
            start: 100,
            end: 200,
        };
        assert_eq!(ramp.value_at(50), Decimal::percent(80));
        assert_eq!(ramp.value_at(100), Decimal::percent(80));
        assert_eq!(ramp.value_at(150), Decimal::percent(75));
        assert_eq!(ramp.value_at(200), Decimal::percent(70));
        assert_eq!(ramp.value_at(10_000), Decimal::percent(70));
        // a third of the way: 0.8 − 0.1/3 = 0.76666…67 exactly would round the wrong way
        let third = ramp.value_at(133);
        assert!(third >= Decimal::from_str("0.767").unwrap());
    }

    proptest::proptest! {
        #[test]
        fn deposit_then_withdraw_never_returns_more(amount in 0u128..1u128 << 100, index_bp in 10_000u64..1_000_000) {
            let index = Decimal256::from_ratio(index_bp, 10_000u64);
            let minted = scaled::supply_minted(amount.into(), index).unwrap();
            let worth = scaled::supply_amount(minted, index).unwrap();
            proptest::prop_assert!(worth <= Uint128::new(amount));
        }

        #[test]
        fn borrow_then_repay_always_owes_at_least_the_loan(amount in 0u128..1u128 << 100, index_bp in 10_000u64..1_000_000) {
            let index = Decimal256::from_ratio(index_bp, 10_000u64);
            let minted = scaled::debt_minted(amount.into(), index).unwrap();
            let owed = scaled::debt_amount(minted, index).unwrap();
            proptest::prop_assert!(owed >= Uint128::new(amount));
        }
    }
}
