//! Health: what an account's collateral and debt are worth, for liquidation (health factor at
//! Liquidation prices, Exact rule 8) and for borrowing (max LTV at Default prices, valued
//! conservatively: collateral at price − k·conf, debt at price + k·conf).

use cosmwasm_std::{Decimal, Decimal256, Uint128};

use ballast_types::math::{
    dec256, dec_div, dec_mul, health_factor, value_of, MathResult, Rounding,
};

use crate::error::ContractResult;
use crate::ledger::{debt_amount, supply_amount, Ledger};
use crate::prices::{Prices, Refusal};
use crate::state::Account;

/// One holding valued at a price, with the weight it carries (a threshold or an LTV).
#[derive(Clone, Debug, PartialEq)]
pub struct Holding {
    pub denom: String,
    pub amount: Uint128,
    pub price: Decimal256,
    pub weight: Decimal,
}

/// Sums of value and weighted value over holdings.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Totals {
    pub value: Decimal256,
    pub weighted: Decimal256,
}

pub fn totals(holdings: &[Holding]) -> MathResult<Totals> {
    let mut totals = Totals::default();
    for h in holdings {
        let value = value_of(h.amount, h.price)?;
        let weighted = dec_mul(value, dec256(h.weight), Rounding::Down)?;
        totals.value = totals.value.checked_add(value).map_err(|_| overflow())?;
        totals.weighted = totals
            .weighted
            .checked_add(weighted)
            .map_err(|_| overflow())?;
    }
    Ok(totals)
}

fn overflow() -> ballast_types::math::MathError {
    ballast_types::math::MathError::Overflow {
        operation: "health",
    }
}

/// An account seen at Liquidation prices.
#[derive(Clone, Debug, PartialEq)]
pub struct Valuation {
    pub collateral: Vec<Holding>,
    pub debts: Vec<Holding>,
    /// Σ collateral value.
    pub collateral_value: Decimal256,
    /// Σ collateral value × liquidation threshold.
    pub weighted_collateral: Decimal256,
    pub debt_value: Decimal256,
    /// Collateral denoms counted as zero (their price says they are worth nothing).
    pub zeroed: Vec<String>,
}

impl Valuation {
    pub fn from_holdings(collateral: Vec<Holding>, debts: Vec<Holding>) -> MathResult<Self> {
        let c = totals(&collateral)?;
        let d = totals(&debts)?;
        Ok(Valuation {
            collateral,
            debts,
            collateral_value: c.value,
            weighted_collateral: c.weighted,
            debt_value: d.value,
            zeroed: vec![],
        })
    }

    /// Σ(collateral × threshold) / Σ debt; `None` without debt.
    pub fn health_factor(&self) -> MathResult<Option<Decimal256>> {
        health_factor(self.weighted_collateral, self.debt_value)
    }

    pub fn is_liquidatable(&self) -> MathResult<bool> {
        Ok(self
            .health_factor()?
            .is_some_and(|hf| hf < Decimal256::one()))
    }

    /// Leverage for the ADL score: debt / (collateral − debt); `None` when the account has no
    /// net value left (it is being liquidated, not deleveraged).
    pub fn leverage(&self) -> MathResult<Option<Decimal256>> {
        if self.debt_value.is_zero() {
            return Ok(Some(Decimal256::zero()));
        }
        if self.collateral_value <= self.debt_value {
            return Ok(None);
        }
        dec_div(
            self.debt_value,
            self.collateral_value - self.debt_value,
            Rounding::Up,
        )
        .map(Some)
    }
}

/// Values the account's collateral-enabled supply and its debt at the prices given, with
/// liquidation thresholds in force at the ledger's time. Supply that is not collateral needs no
/// price. Collateral whose price counts as zero for `prices.kind` (`Prices::collateral`) is left
/// out and named in `zeroed`; a debt without a price fails the valuation.
pub fn valuation(ledger: &Ledger, account: &Account, prices: &Prices) -> ContractResult<Valuation> {
    let mut collateral = vec![];
    let mut zeroed = vec![];
    for position in account
        .supplies
        .iter()
        .filter(|p| p.collateral && !p.scaled.is_zero())
    {
        let Some(price) = prices.collateral(&position.denom)? else {
            zeroed.push(position.denom.clone());
            continue;
        };
        let asset = ledger.get(&position.denom)?;
        collateral.push(Holding {
            denom: position.denom.clone(),
            amount: supply_amount(ledger, account, &position.denom)?,
            price: price.price,
            weight: asset.liquidation_threshold(ledger.now),
        });
    }
    let mut valuation =
        Valuation::from_holdings(collateral, debt_holdings(ledger, account, prices, false)?)?;
    valuation.zeroed = zeroed;
    Ok(valuation)
}

/// The account's debts at their prices (`conservative`: price + k·conf, for borrowing power).
fn debt_holdings(
    ledger: &Ledger,
    account: &Account,
    prices: &Prices,
    conservative: bool,
) -> ContractResult<Vec<Holding>> {
    let mut debts = vec![];
    for position in account.debts.iter().filter(|p| !p.scaled.is_zero()) {
        let price = prices.get(&position.denom)?;
        debts.push(Holding {
            denom: position.denom.clone(),
            amount: debt_amount(ledger, account, &position.denom)?,
            price: if conservative {
                price.debt_price()
            } else {
                price.price
            },
            weight: Decimal::one(),
        });
    }
    Ok(debts)
}

/// Borrowing power and debt at Default prices, conservatively valued.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    /// Σ collateral × (price − k·conf) × max LTV.
    pub borrow_power: Decimal256,
    /// Σ debt × (price + k·conf).
    pub debt_value: Decimal256,
    /// Collateral counted as zero because its Default price was refused or its circuit is
    /// open, with the first such refusal (what a failed check reports).
    pub zeroed: Option<Refusal>,
}

impl Capacity {
    pub fn is_within(&self) -> bool {
        self.debt_value <= self.borrow_power
    }

    /// What may still be borrowed, in quote units (rounded down).
    pub fn headroom(&self) -> Decimal256 {
        self.borrow_power.saturating_sub(self.debt_value)
    }
}

/// Borrowing power at `prices` (Default): collateral whose price is refused, or whose oracle
/// circuit is open, counts as zero, so it neither blocks nor backs a borrow; a debt without a
/// price fails the check.
pub fn capacity(ledger: &Ledger, account: &Account, prices: &Prices) -> ContractResult<Capacity> {
    let mut collateral = vec![];
    let mut zeroed = None;
    for position in account
        .supplies
        .iter()
        .filter(|p| p.collateral && !p.scaled.is_zero())
    {
        let Some(price) = prices.collateral(&position.denom)? else {
            zeroed = zeroed.or_else(|| prices.refusal(&position.denom).cloned());
            continue;
        };
        let asset = ledger.get(&position.denom)?;
        collateral.push(Holding {
            denom: position.denom.clone(),
            amount: supply_amount(ledger, account, &position.denom)?,
            price: price.collateral_price(),
            weight: asset.params().max_ltv,
        });
    }
    let debts = debt_holdings(ledger, account, prices, true)?;
    Ok(Capacity {
        borrow_power: totals(&collateral)?.weighted,
        debt_value: totals(&debts)?.value,
        zeroed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn holding(amount: u128, price: &str, weight: u64) -> Holding {
        Holding {
            denom: "x".into(),
            amount: Uint128::new(amount),
            price: d(price),
            weight: Decimal::percent(weight),
        }
    }

    #[test]
    fn health_factor_weights_collateral_by_threshold() {
        // 100 ATOM at 10 with LT 80% against 640 of debt: 800 / 640 = 1.25
        let v =
            Valuation::from_holdings(vec![holding(100, "10", 80)], vec![holding(640, "1", 100)])
                .unwrap();
        assert_eq!(v.collateral_value, d("1000"));
        assert_eq!(v.weighted_collateral, d("800"));
        assert_eq!(v.health_factor().unwrap(), Some(d("1.25")));
        assert!(!v.is_liquidatable().unwrap());
        // the same at a price of 7.99: 639.2 / 640 < 1
        let v =
            Valuation::from_holdings(vec![holding(100, "7.99", 80)], vec![holding(640, "1", 100)])
                .unwrap();
        assert!(v.is_liquidatable().unwrap());
        // exactly HF 1 is not liquidatable
        let v = Valuation::from_holdings(vec![holding(100, "8", 80)], vec![holding(640, "1", 100)])
            .unwrap();
        assert_eq!(v.health_factor().unwrap(), Some(Decimal256::one()));
        assert!(!v.is_liquidatable().unwrap());
    }

    #[test]
    fn leverage_is_debt_over_net_value() {
        let v =
            Valuation::from_holdings(vec![holding(100, "10", 80)], vec![holding(600, "1", 100)])
                .unwrap();
        // 600 / (1000 − 600) = 1.5
        assert_eq!(v.leverage().unwrap(), Some(d("1.5")));
        let none = Valuation::from_holdings(vec![holding(100, "10", 80)], vec![]).unwrap();
        assert_eq!(none.leverage().unwrap(), Some(Decimal256::zero()));
        assert_eq!(none.health_factor().unwrap(), None);
        let under =
            Valuation::from_holdings(vec![holding(100, "10", 80)], vec![holding(1000, "1", 100)])
                .unwrap();
        assert_eq!(under.leverage().unwrap(), None);
    }

    #[test]
    fn capacity_compares_debt_with_ltv_weighted_collateral() {
        let cap = Capacity {
            borrow_power: d("700"),
            debt_value: d("700"),
            zeroed: None,
        };
        assert!(cap.is_within());
        assert_eq!(cap.headroom(), Decimal256::zero());
        let over = Capacity {
            borrow_power: d("700"),
            debt_value: d("700.000000000000000001"),
            zeroed: None,
        };
        assert!(!over.is_within());
    }
}
