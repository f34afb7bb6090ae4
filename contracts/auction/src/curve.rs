//! The price of a lot as time passes: plain functions over values, unit-tested at their
//! boundaries (after Maker's `abaci.sol` and `Clipper.status`).
//!
//! Prices are `Decimal256`s in debt-denom smallest units per collateral smallest unit. A curve
//! price is rounded down at the 18th decimal; a start price (oracle × `buf`) is rounded up.
//! Either way a bid then pays `⌈collateral × price⌉` (Exact rule 2).

use cosmwasm_std::{Decimal, Decimal256, Uint256};

use ballast_types::auction::Curve;
use ballast_types::math::{dec256, dec_mul, dec_pow, MathError, MathResult, Rounding};

/// 10^18, the scale of `Decimal`/`Decimal256` atomics.
const FRACTIONAL: u128 = 1_000_000_000_000_000_000;

/// A lot's start price: the oracle price × `buf`, rounded up (bidders, not the protocol, give
/// up the 10^-18 remainder).
pub fn start_price(oracle_price: Decimal256, buf: Decimal) -> MathResult<Decimal256> {
    dec_mul(oracle_price, dec256(buf), Rounding::Up)
}

/// The price `elapsed` seconds after a lot (re)started at `start`:
/// - `Linear { tau }`: `start × (tau − elapsed) / tau`, zero from `tau` on;
/// - `Exponential { cut, step }`: `start × cut^⌊elapsed / step⌋`.
///
/// Both round down at the 18th decimal.
pub fn price_at(start: Decimal256, curve: &Curve, elapsed: u64) -> MathResult<Decimal256> {
    match curve {
        Curve::Linear { tau } => {
            if elapsed >= *tau {
                return Ok(Decimal256::zero());
            }
            let atomics = start
                .atomics()
                .checked_multiply_ratio(*tau - elapsed, *tau)
                .map_err(|_| MathError::Overflow {
                    operation: "linear price",
                })?;
            Ok(Decimal256::new(atomics))
        }
        Curve::Exponential { cut, step } => {
            if *step == 0 {
                return Err(MathError::DivideByZero {
                    operation: "exponential price",
                });
            }
            let factor = dec_pow(dec256(*cut), elapsed / step)?;
            dec_mul(start, factor, Rounding::Down)
        }
    }
}

/// Whether `price` is strictly below `cusp × start`, compared exactly (in 512 bits, with no
/// rounding of the product): a price equal to cusp × start does not need a reset (Exact rule 10).
pub fn below_cusp(price: Decimal256, start: Decimal256, cusp: Decimal) -> bool {
    let lhs = price.atomics().full_mul(Uint256::from(FRACTIONAL));
    let rhs = start.atomics().full_mul(Uint256::from(cusp.atomics()));
    lhs < rhs
}

/// Maker's `status`: a lot needs a reset when it is older than `tail` (strictly), when its price
/// fell strictly below `cusp × start`, or when its price is zero (nothing can be sold at zero).
pub fn needs_reset(
    start: Decimal256,
    price: Decimal256,
    cusp: Decimal,
    tail: u64,
    elapsed: u64,
) -> bool {
    elapsed > tail || price.is_zero() || below_cusp(price, start, cusp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn start_price_is_oracle_times_buf_rounded_up() {
        assert_eq!(start_price(d("10"), dec("1.2")).unwrap(), d("12"));
        // 0.000000000000000001 × 1.5 = 1.5e-18 → 2e-18
        assert_eq!(
            start_price(d("0.000000000000000001"), dec("1.5")).unwrap(),
            d("0.000000000000000002")
        );
        assert_eq!(start_price(d("7.5"), Decimal::one()).unwrap(), d("7.5"));
    }

    #[test]
    fn linear_falls_to_zero_at_tau_and_stays_there() {
        let curve = Curve::Linear { tau: 1_000 };
        assert_eq!(price_at(d("12"), &curve, 0).unwrap(), d("12"));
        assert_eq!(price_at(d("12"), &curve, 250).unwrap(), d("9"));
        assert_eq!(price_at(d("12"), &curve, 500).unwrap(), d("6"));
        assert_eq!(price_at(d("12"), &curve, 999).unwrap(), d("0.012"));
        assert_eq!(
            price_at(d("12"), &curve, 1_000).unwrap(),
            Decimal256::zero()
        );
        assert_eq!(
            price_at(d("12"), &curve, 1_001).unwrap(),
            Decimal256::zero()
        );
        assert_eq!(
            price_at(d("12"), &curve, u64::MAX).unwrap(),
            Decimal256::zero()
        );
    }

    #[test]
    fn linear_rounds_down_at_the_last_atomic_unit() {
        // 1e-18 × 2/3 = 0.67e-18 → 0; 10e-18 × 2/3 = 6.67e-18 → 6e-18
        let curve = Curve::Linear { tau: 3 };
        assert_eq!(
            price_at(d("0.000000000000000001"), &curve, 1).unwrap(),
            Decimal256::zero()
        );
        assert_eq!(
            price_at(d("0.00000000000000001"), &curve, 1).unwrap(),
            d("0.000000000000000006")
        );
        // 1 × 2/3 = 0.666666666666666666 (floor, not …667)
        assert_eq!(
            price_at(Decimal256::one(), &curve, 1).unwrap(),
            d("0.666666666666666666")
        );
    }

    #[test]
    fn linear_handles_the_largest_start_price_without_overflow() {
        let curve = Curve::Linear { tau: u64::MAX };
        let p = price_at(Decimal256::MAX, &curve, 1).unwrap();
        assert!(p < Decimal256::MAX);
    }

    #[test]
    fn exponential_steps_only_at_whole_steps() {
        let curve = Curve::Exponential {
            cut: dec("0.99"),
            step: 60,
        };
        assert_eq!(price_at(d("12"), &curve, 0).unwrap(), d("12"));
        assert_eq!(price_at(d("12"), &curve, 59).unwrap(), d("12"));
        assert_eq!(price_at(d("12"), &curve, 60).unwrap(), d("11.88"));
        assert_eq!(price_at(d("12"), &curve, 119).unwrap(), d("11.88"));
        assert_eq!(price_at(d("12"), &curve, 120).unwrap(), d("11.7612"));
        // 0.5^10 = 1/1024
        let halving = Curve::Exponential {
            cut: dec("0.5"),
            step: 1,
        };
        assert_eq!(
            price_at(d("1024"), &halving, 10).unwrap(),
            Decimal256::one()
        );
        // it decays to zero without overflow, never negative
        assert_eq!(
            price_at(d("1024"), &halving, u64::MAX).unwrap(),
            Decimal256::zero()
        );
    }

    #[test]
    fn exponential_rounds_down() {
        // 1 × 0.3^3 = 0.027 exactly; 0.000000000000000005 × 0.3 = 1.5e-18 → 1e-18
        let curve = Curve::Exponential {
            cut: dec("0.3"),
            step: 1,
        };
        assert_eq!(price_at(Decimal256::one(), &curve, 3).unwrap(), d("0.027"));
        assert_eq!(
            price_at(d("0.000000000000000005"), &curve, 1).unwrap(),
            d("0.000000000000000001")
        );
        let zero_step = Curve::Exponential {
            cut: dec("0.3"),
            step: 0,
        };
        assert!(price_at(Decimal256::one(), &zero_step, 3).is_err());
    }

    #[test]
    fn cusp_is_strict_and_exact() {
        let cusp = dec("0.4");
        // equal to cusp × start: no reset
        assert!(!below_cusp(d("4.8"), d("12"), cusp));
        assert!(!needs_reset(d("12"), d("4.8"), cusp, 100, 10));
        // one atomic unit below: reset
        assert!(below_cusp(d("4.799999999999999999"), d("12"), cusp));
        assert!(needs_reset(
            d("12"),
            d("4.799999999999999999"),
            cusp,
            100,
            10
        ));
        // cusp × start below 10^-18 is compared exactly: 0.4 × 1e-18 = 0.4e-18 > 0 …
        assert!(!below_cusp(
            d("0.000000000000000001"),
            d("0.000000000000000001"),
            cusp
        ));
        // … and a zero price always needs a reset
        assert!(needs_reset(
            d("0.000000000000000001"),
            Decimal256::zero(),
            cusp,
            100,
            10
        ));
        // huge values do not overflow
        assert!(!below_cusp(Decimal256::MAX, Decimal256::MAX, cusp));
        assert!(below_cusp(Decimal256::zero(), Decimal256::MAX, cusp));
    }

    #[test]
    fn tail_is_strict() {
        let cusp = dec("0.4");
        assert!(!needs_reset(d("12"), d("12"), cusp, 3_600, 3_600));
        assert!(needs_reset(d("12"), d("12"), cusp, 3_600, 3_601));
    }

    #[test]
    fn a_linear_curve_reaches_cusp_exactly_where_the_formula_says() {
        // start 10, tau 100, cusp 0.4: price 4 at elapsed 60 (not below), 3.9 at 61 (below)
        let curve = Curve::Linear { tau: 100 };
        let start = d("10");
        let at = |t| price_at(start, &curve, t).unwrap();
        assert_eq!(at(60), d("4"));
        assert!(!needs_reset(start, at(60), dec("0.4"), 1_000, 60));
        assert_eq!(at(61), d("3.9"));
        assert!(needs_reset(start, at(61), dec("0.4"), 1_000, 61));
    }
}
