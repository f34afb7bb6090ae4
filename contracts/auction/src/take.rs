//! What a bid buys and pays (Maker's `take`), as a plain function over values.
//!
//! - slice = min(lot collateral, max_collateral, ⌊funds / price⌋);
//! - owe = ⌈slice × price⌉ (Exact rule 2);
//! - a liquidation lot never collects more than its tab: when owe > tab, owe = tab and
//!   slice = ⌊tab / price⌋ (Exact rule 1); a bid whose funds cover the tab and which asks for at
//!   least ⌊tab / price⌋ takes the tab in the same way (without this, ⌊tab / price⌋ × price
//!   rounding below the tab would make a whole-tab bid a partial one, and a lot whose tab is
//!   at most `min_debt` could never be bought);
//! - a partial bid may not leave less than `min_debt` owing (Exact rule 4): when it would,
//!   owe = tab − min_debt and slice = ⌊owe / price⌋, or, if the tab is at most `min_debt`, the
//!   bid must take the whole lot (`DustLeft`);
//! - the proceeds repay the debt first, the rest is penalty (Exact rule 1).

use cosmwasm_std::{Decimal256, Uint128};

use ballast_types::math::{div_dec, mul_dec, MathError, Rounding};

use crate::error::{ContractError, ContractResult};

/// What is left in a lot, as a bid sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remaining {
    pub collateral: Uint128,
    /// Owed to the market.
    pub debt: Uint128,
    /// Owed to the fund.
    pub penalty: Uint128,
    pub min_debt: Uint128,
    /// A sale lot has no tab: it sells until its collateral is gone.
    pub sale: bool,
}

impl Remaining {
    pub fn tab(&self) -> ContractResult<Uint128> {
        self.debt
            .checked_add(self.penalty)
            .map_err(|_| MathError::Overflow { operation: "tab" }.into())
    }
}

/// What a bid takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Take {
    /// Collateral bought.
    pub slice: Uint128,
    /// Debt-denom units paid (the rest of the funds is refunded).
    pub owe: Uint128,
    /// Of `owe`, what repays the market's debt …
    pub debt_part: Uint128,
    /// … and what goes to the fund as penalty.
    pub penalty_part: Uint128,
}

/// `⌊amount / price⌋`, saturating (a tiny price makes any amount worth "all the collateral").
fn collateral_for(amount: Uint128, price: Decimal256) -> ContractResult<Uint128> {
    match div_dec(amount, price, Rounding::Down) {
        Ok(c) => Ok(c),
        Err(MathError::Overflow { .. }) => Ok(Uint128::MAX),
        Err(e) => Err(e.into()),
    }
}

/// The take of a bid at `price` with `funds` for at most `max_collateral`. `price` must be
/// positive (a lot at a zero price needs a reset and takes no bids).
pub fn take(
    lot: &Remaining,
    price: Decimal256,
    max_collateral: Uint128,
    funds: Uint128,
) -> ContractResult<Take> {
    if price.is_zero() {
        return Err(MathError::DivideByZero {
            operation: "take at a zero price",
        }
        .into());
    }
    let too_small = || ContractError::BidTooSmall {
        price,
        funds,
        max_collateral,
    };
    let mut slice = lot
        .collateral
        .min(max_collateral)
        .min(collateral_for(funds, price)?);
    // slice ≤ funds / price, so owe ≤ funds.
    let mut owe = mul_dec(slice, price, Rounding::Up)?;
    if !lot.sale {
        let tab = lot.tab()?;
        // The collateral the whole tab buys, rounded down (Exact rule 2).
        let for_tab = collateral_for(tab, price)?;
        let pays_whole_tab = funds >= tab && max_collateral >= for_tab && for_tab < lot.collateral;
        if owe > tab || pays_whole_tab {
            // The whole tab is paid, never more (when owe > tab, for_tab < slice).
            owe = tab;
            slice = for_tab;
        } else if owe < tab && slice < lot.collateral && tab - owe < lot.min_debt {
            if tab <= lot.min_debt {
                return Err(ContractError::DustLeft {
                    tab,
                    min_debt: lot.min_debt,
                });
            }
            owe = tab - lot.min_debt;
            slice = collateral_for(owe, price)?;
        }
    }
    if slice.is_zero() || owe.is_zero() {
        return Err(too_small());
    }
    let debt_part = if lot.sale { owe } else { owe.min(lot.debt) };
    Ok(Take {
        slice,
        owe,
        debt_part,
        penalty_part: owe - debt_part,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funds_for_the_whole_tab_take_it_even_when_its_collateral_rounds_down() {
        // tab 945 at 9: ⌊945 / 9⌋ = 105 units cost exactly 945; at 9.1 they cost ⌈103 × 9.1⌉ =
        // 938 < 945, which alone would be a partial bid leaving 7 < min_debt 1,000
        let small = lot(200, 900, 45, 1_000);
        assert_eq!(
            take(&small, d("9.1"), u(200), u(945)).unwrap(),
            t(103, 945, 900, 45)
        );
        assert_eq!(
            take(&small, d("9"), u(200), u(945)).unwrap(),
            t(105, 945, 900, 45)
        );
        // asking for less collateral than the tab buys keeps it a partial bid
        assert!(matches!(
            take(&small, d("9.1"), u(100), u(945)),
            Err(ContractError::DustLeft { .. })
        ));
        // funds short of the tab: still refused, the rest would be dust
        assert!(matches!(
            take(&small, d("9.1"), u(200), u(944)),
            Err(ContractError::DustLeft { .. })
        ));
    }
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn u(n: u128) -> Uint128 {
        Uint128::new(n)
    }

    fn lot(collateral: u128, debt: u128, penalty: u128, min_debt: u128) -> Remaining {
        Remaining {
            collateral: u(collateral),
            debt: u(debt),
            penalty: u(penalty),
            min_debt: u(min_debt),
            sale: false,
        }
    }

    fn t(slice: u128, owe: u128, debt_part: u128, penalty_part: u128) -> Take {
        Take {
            slice: u(slice),
            owe: u(owe),
            debt_part: u(debt_part),
            penalty_part: u(penalty_part),
        }
    }

    #[test]
    fn a_bid_pays_the_ceiling_of_collateral_times_price() {
        // 100 collateral at 2.5 = 250 exactly; 33 at 2.5 = 82.5 → 83 (Exact rule 2)
        let l = lot(1_000, 10_000, 500, 0);
        assert_eq!(
            take(&l, d("2.5"), u(100), u(1_000)).unwrap(),
            t(100, 250, 250, 0)
        );
        assert_eq!(
            take(&l, d("2.5"), u(33), u(1_000)).unwrap(),
            t(33, 83, 83, 0)
        );
    }

    #[test]
    fn the_collateral_for_the_funds_rounds_down() {
        // 101 paid at 2.5 buys ⌊40.4⌋ = 40 for 100; the extra 1 is refunded
        let l = lot(1_000, 10_000, 500, 0);
        assert_eq!(
            take(&l, d("2.5"), u(1_000), u(101)).unwrap(),
            t(40, 100, 100, 0)
        );
        // 2 paid at 2.5 buys nothing
        assert!(matches!(
            take(&l, d("2.5"), u(1_000), u(2)),
            Err(ContractError::BidTooSmall { .. })
        ));
        assert!(matches!(
            take(&l, d("2.5"), Uint128::zero(), u(1_000)),
            Err(ContractError::BidTooSmall { .. })
        ));
    }

    #[test]
    fn a_bid_never_collects_more_than_the_tab() {
        // tab 1_050 at 2.5: all 1_000 collateral would cost 2_500; pay 1_050 for ⌊420⌋
        let l = lot(1_000, 1_000, 50, 0);
        let taken = take(&l, d("2.5"), u(1_000), u(5_000)).unwrap();
        assert_eq!(taken, t(420, 1_050, 1_000, 50));
        // a tab not divisible by the price: 1_051 / 2.5 = 420.4 → 420, still paying 1_051
        let l = lot(1_000, 1_000, 51, 0);
        assert_eq!(
            take(&l, d("2.5"), u(1_000), u(5_000)).unwrap(),
            t(420, 1_051, 1_000, 51)
        );
    }

    #[test]
    fn debt_is_repaid_before_the_penalty() {
        let l = lot(2_000, 1_000, 50, 0);
        // 1_020 of 1_050: debt 1_000, penalty 20
        assert_eq!(
            take(&l, d("1"), u(1_020), u(1_020)).unwrap(),
            t(1_020, 1_020, 1_000, 20)
        );
        // a lot whose debt is already repaid pays only penalty
        let l = lot(100, 0, 30, 0);
        assert_eq!(take(&l, d("1"), u(100), u(100)).unwrap(), t(30, 30, 0, 30));
    }

    #[test]
    fn a_partial_bid_may_not_leave_less_than_min_debt() {
        // tab 1_050, min_debt 100. Paying 1_000 would leave 50 < 100: trimmed to 950.
        let l = lot(2_000, 1_000, 50, 100);
        assert_eq!(
            take(&l, d("1"), u(1_000), u(5_000)).unwrap(),
            t(950, 950, 950, 0)
        );
        // leaving exactly min_debt is allowed
        assert_eq!(
            take(&l, d("1"), u(950), u(5_000)).unwrap(),
            t(950, 950, 950, 0)
        );
        // one more is trimmed back to leave min_debt
        assert_eq!(
            take(&l, d("1"), u(951), u(5_000)).unwrap(),
            t(950, 950, 950, 0)
        );
        // taking the whole tab is always allowed
        assert_eq!(
            take(&l, d("1"), u(1_050), u(5_000)).unwrap(),
            t(1_050, 1_050, 1_000, 50)
        );
        // the trimmed slice rounds down: 950 / 3 = 316.67 → 316
        assert_eq!(
            take(&l, d("3"), u(333), u(5_000)).unwrap(),
            t(316, 950, 950, 0)
        );
    }

    #[test]
    fn with_a_tab_at_most_min_debt_only_the_whole_lot_sells() {
        let l = lot(2_000, 90, 10, 100);
        assert!(matches!(
            take(&l, d("1"), u(50), u(5_000)).unwrap_err(),
            ContractError::DustLeft { tab, min_debt } if tab == u(100) && min_debt == u(100)
        ));
        // the whole tab clears it
        assert_eq!(
            take(&l, d("1"), u(2_000), u(5_000)).unwrap(),
            t(100, 100, 90, 10)
        );
        // so does all the collateral, even below the tab
        let short = lot(40, 90, 10, 100);
        assert_eq!(
            take(&short, d("1"), u(40), u(5_000)).unwrap(),
            t(40, 40, 40, 0)
        );
    }

    #[test]
    fn taking_all_the_collateral_is_never_a_dust_violation() {
        // 10 collateral at 1 for a tab of 1_050: leaves 1_040 owed with no collateral; allowed
        let l = lot(10, 1_000, 50, 100);
        assert_eq!(take(&l, d("1"), u(10), u(10)).unwrap(), t(10, 10, 10, 0));
    }

    #[test]
    fn a_sale_lot_sells_until_its_collateral_is_gone() {
        let sale = Remaining {
            collateral: u(1_000),
            debt: Uint128::zero(),
            penalty: Uint128::zero(),
            min_debt: Uint128::zero(),
            sale: true,
        };
        assert_eq!(
            take(&sale, d("0.5"), u(600), u(10_000)).unwrap(),
            t(600, 300, 300, 0)
        );
        assert_eq!(
            take(&sale, d("0.5"), u(5_000), u(10_000)).unwrap(),
            t(1_000, 500, 500, 0)
        );
        assert_eq!(
            take(&sale, d("0.3"), u(5_000), u(100)).unwrap(),
            t(333, 100, 100, 0)
        );
    }

    #[test]
    fn tiny_prices_and_huge_funds_do_not_overflow() {
        let l = lot(1_000, 1_000, 50, 0);
        let taken = take(&l, d("0.000000000000000001"), Uint128::MAX, Uint128::MAX).unwrap();
        assert_eq!(taken.slice, u(1_000));
        assert_eq!(taken.owe, u(1));
        assert!(take(&l, Decimal256::zero(), u(1), u(1)).is_err());
    }

    proptest::proptest! {
        #[test]
        fn a_take_stays_within_funds_tab_and_collateral(
            collateral in 1u128..1_000_000_000,
            debt in 0u128..1_000_000_000,
            penalty in 0u128..100_000_000,
            min_debt in 0u128..10_000_000,
            price_atomics in 1u128..100_000_000_000_000_000_000,
            max_collateral in 0u128..2_000_000_000,
            funds in 1u128..10_000_000_000,
        ) {
            let l = lot(collateral, debt, penalty, min_debt);
            let price = Decimal256::new(price_atomics.into());
            if let Ok(taken) = take(&l, price, u(max_collateral), u(funds)) {
                let tab = debt + penalty;
                proptest::prop_assert!(taken.slice.u128() <= collateral);
                proptest::prop_assert!(taken.slice.u128() <= max_collateral);
                proptest::prop_assert!(taken.owe.u128() <= funds);
                proptest::prop_assert!(taken.owe.u128() <= tab);
                // the bidder pays at least the price of what it gets (rounding to the protocol)
                proptest::prop_assert!(taken.owe >= mul_dec(taken.slice, price, Rounding::Up).unwrap());
                proptest::prop_assert_eq!(taken.debt_part + taken.penalty_part, taken.owe);
                proptest::prop_assert!(taken.debt_part.u128() <= debt);
                proptest::prop_assert!(taken.penalty_part.u128() <= penalty);
                // never leaves 0 < tab < min_debt unless the collateral is gone
                let left = tab - taken.owe.u128();
                let all_collateral = taken.slice.u128() == collateral;
                proptest::prop_assert!(left == 0 || left >= min_debt || all_collateral);
            }
        }
    }
}
