//! Interest: index accrual and rate updates on an asset's books.
//!
//! Between two actions both indices grow linearly at the rates set by the earlier action. The
//! supply rate is set so that suppliers earn exactly `(1 − reserve_factor)` of what accruing
//! debt pays; whatever debt interest exceeds supply interest (the reserve share, plus rounding)
//! is minted as reserve supply, so the books balance by construction (docs/ARCHITECTURE.md,
//! identity A).

use cosmwasm_std::{Decimal256, Uint128};

use ballast_types::market::AssetParams;
use ballast_types::math::{
    accrue_index, dec_div, scaled, supply_rate, uint_to_dec, utilization, MathError, MathResult,
    Rounding,
};

use crate::state::AssetState;

impl AssetState {
    pub fn new(now: u64) -> Self {
        AssetState {
            liquidity_index: Decimal256::one(),
            borrow_index: Decimal256::one(),
            borrow_rate: Decimal256::zero(),
            supply_rate: Decimal256::zero(),
            total_supply_scaled: Uint128::zero(),
            total_debt_scaled: Uint128::zero(),
            reserve_scaled: Uint128::zero(),
            cash: Uint128::zero(),
            debt_in_auction: Uint128::zero(),
            last_updated: now,
            social_per_scaled: vec![],
            social_unclaimed: vec![],
        }
    }

    /// Brings both indices to `now` and mints the reserve's share of the interest.
    pub fn accrue(&mut self, now: u64) -> MathResult<()> {
        if now <= self.last_updated {
            return Ok(());
        }
        let elapsed = now - self.last_updated;
        self.last_updated = now;
        if self.total_debt_scaled.is_zero() {
            return Ok(());
        }
        let old_borrow_index = self.borrow_index;
        let old_liquidity_index = self.liquidity_index;
        let new_borrow_index =
            accrue_index(old_borrow_index, self.borrow_rate, elapsed, Rounding::Up)?;
        let mut new_liquidity_index = accrue_index(
            old_liquidity_index,
            self.supply_rate,
            elapsed,
            Rounding::Down,
        )?;

        let debt = uint_to_dec(self.total_debt_scaled);
        let supply = uint_to_dec(self.total_supply_scaled);
        let debt_interest = debt
            .checked_mul(new_borrow_index - old_borrow_index)
            .map_err(|_| MathError::Overflow {
                operation: "accrue",
            })?;
        let mut supply_interest = supply
            .checked_mul(new_liquidity_index - old_liquidity_index)
            .map_err(|_| MathError::Overflow {
                operation: "accrue",
            })?;
        if supply_interest > debt_interest {
            // Rates are set from the totals of the last action, so this only happens through
            // rounding; suppliers may never be credited more than borrowers owe.
            let step = dec_div(debt_interest, supply, Rounding::Down)?;
            new_liquidity_index = old_liquidity_index + step;
            supply_interest = supply * step;
        }
        let reserve_value = debt_interest - supply_interest;
        let reserve_minted = scaled::supply_minted(
            reserve_value
                .to_uint_floor()
                .try_into()
                .map_err(|_| MathError::Overflow {
                    operation: "accrue",
                })?,
            new_liquidity_index,
        )?;
        self.borrow_index = new_borrow_index;
        self.liquidity_index = new_liquidity_index;
        self.total_supply_scaled = self
            .total_supply_scaled
            .checked_add(reserve_minted)
            .map_err(|_| MathError::Overflow {
                operation: "accrue",
            })?;
        self.reserve_scaled += reserve_minted;
        Ok(())
    }

    /// Underlying amount of all supply, reserves included (rounded down).
    pub fn total_supply(&self) -> MathResult<Uint128> {
        scaled::supply_amount(self.total_supply_scaled, self.liquidity_index)
    }

    /// Underlying amount of accruing debt (rounded up).
    pub fn total_debt(&self) -> MathResult<Uint128> {
        scaled::debt_amount(self.total_debt_scaled, self.borrow_index)
    }

    pub fn reserves(&self) -> MathResult<Uint128> {
        scaled::supply_amount(self.reserve_scaled, self.liquidity_index)
    }

    /// Borrowed share of the pool's liquidity; debt in auction counts as lent out.
    pub fn utilization(&self) -> MathResult<Decimal256> {
        let borrowed = self
            .total_debt()?
            .checked_add(self.debt_in_auction)
            .map_err(|_| MathError::Overflow {
                operation: "utilization",
            })?;
        Ok(utilization(borrowed, self.cash))
    }

    /// Sets the rates that hold until the next action, from the totals after this one.
    pub fn update_rates(&mut self, params: &AssetParams) -> MathResult<()> {
        self.borrow_rate = params.interest.borrow_rate(self.utilization()?)?;
        let accruing = scaled::supply_amount(self.total_debt_scaled, self.borrow_index)?;
        self.supply_rate = supply_rate(
            self.borrow_rate,
            accruing,
            self.total_supply()?,
            params.reserve_factor,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_types::market::InterestModel;
    use ballast_types::math::SECONDS_PER_YEAR;
    use cosmwasm_std::Decimal;
    use std::str::FromStr;

    fn params(reserve_factor: u64) -> AssetParams {
        AssetParams {
            max_ltv: Decimal::percent(70),
            liquidation_threshold: Decimal::percent(80),
            liquidation_penalty: Decimal::percent(5),
            reserve_factor: Decimal::percent(reserve_factor),
            interest: InterestModel {
                base: Decimal::zero(),
                slope_1: Decimal::percent(10),
                slope_2: Decimal::percent(100),
                optimal_utilization: Decimal::percent(80),
            },
            supply_cap: Uint128::zero(),
            borrow_cap: Uint128::zero(),
            min_debt: Uint128::zero(),
            deposit_enabled: true,
            borrow_enabled: true,
            collateral_enabled: true,
        }
    }

    fn book(supply: u128, debt: u128) -> AssetState {
        let mut state = AssetState::new(0);
        state.total_supply_scaled = Uint128::new(supply);
        state.total_debt_scaled = Uint128::new(debt);
        state.cash = Uint128::new(supply - debt);
        state
    }

    #[test]
    fn rates_follow_the_kink_model_and_pay_suppliers_less_the_reserve() {
        // 1,000 supplied, 400 lent: utilization 40% → borrow 5%, supply 5% × 0.4 × 0.9 = 1.8%
        let mut state = book(1_000_000, 400_000);
        state.update_rates(&params(10)).unwrap();
        assert_eq!(state.borrow_rate, Decimal256::from_str("0.05").unwrap());
        assert_eq!(state.supply_rate, Decimal256::from_str("0.018").unwrap());
    }

    #[test]
    fn a_year_of_interest_is_split_between_suppliers_and_the_reserve_to_the_unit() {
        let mut state = book(1_000_000, 400_000);
        state.update_rates(&params(10)).unwrap();
        state.accrue(SECONDS_PER_YEAR).unwrap();
        // debt grows 5%: 400,000 → 420,000
        assert_eq!(state.total_debt().unwrap(), Uint128::new(420_000));
        // suppliers' index grows 1.8%: their 1,000,000 → 1,018,000
        assert_eq!(
            state.liquidity_index,
            Decimal256::from_str("1.018").unwrap()
        );
        // the other 2,000 of the 20,000 interest is the reserve's, as scaled supply at 1.018
        assert_eq!(state.reserve_scaled, Uint128::new(1_964)); // ⌊2,000 / 1.018⌋
        assert_eq!(state.reserves().unwrap(), Uint128::new(1_999));
        // identity A: cash + debt ≥ supply (reserves included)
        let total_supply = state.total_supply().unwrap();
        assert!(state.cash + state.total_debt().unwrap() >= total_supply);
        assert_eq!(
            state.cash + state.total_debt().unwrap() - total_supply,
            Uint128::one()
        );
    }

    #[test]
    fn no_debt_means_no_interest_and_no_reserve() {
        let mut state = book(1_000, 0);
        state.update_rates(&params(10)).unwrap();
        state.accrue(SECONDS_PER_YEAR).unwrap();
        assert_eq!(state.liquidity_index, Decimal256::one());
        assert_eq!(state.reserve_scaled, Uint128::zero());
        assert_eq!(state.last_updated, SECONDS_PER_YEAR);
    }

    #[test]
    fn accrual_never_runs_backwards() {
        let mut state = book(1_000, 500);
        state.update_rates(&params(10)).unwrap();
        state.accrue(100).unwrap();
        let snapshot = state.clone();
        state.accrue(50).unwrap();
        assert_eq!(state, snapshot);
    }

    #[test]
    fn full_utilization_is_the_ceiling() {
        let mut state = book(1_000, 1_000);
        assert_eq!(state.utilization().unwrap(), Decimal256::one());
        state.update_rates(&params(0)).unwrap();
        // 10% + 100% at full utilization; suppliers earn it all with no reserve factor
        assert_eq!(state.borrow_rate, Decimal256::from_str("1.1").unwrap());
        assert_eq!(state.supply_rate, Decimal256::from_str("1.1").unwrap());
    }

    proptest::proptest! {
        #[test]
        fn books_balance_after_any_accrual(
            supply in 1u128..1_000_000_000_000,
            lent_pct in 0u128..=100,
            reserve_factor in 0u64..100,
            elapsed in 0u64..10 * SECONDS_PER_YEAR,
        ) {
            let debt = supply * lent_pct / 100;
            let mut state = book(supply, debt);
            state.update_rates(&params(reserve_factor)).unwrap();
            state.accrue(elapsed).unwrap();
            let owed = state.total_supply().unwrap();
            let held = state.cash + state.total_debt().unwrap();
            proptest::prop_assert!(held >= owed, "held {} < owed {}", held, owed);
            // the slack is rounding only: the reserve mint rounds down by less than one index unit
            let bound = Uint128::try_from(state.liquidity_index.to_uint_ceil()).unwrap() + Uint128::new(2);
            proptest::prop_assert!(held - owed <= bound, "slack {} above {}", held - owed, bound);
        }
    }
}
