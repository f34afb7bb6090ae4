//! The loss waterfall of PROTOCOL.md, as one plain function over balances and prices.
//!
//! For a loss `L` in denom D that the account's collateral could not pay (step 1 happened in
//! the auction), the backstop pays in this order:
//! 2. the penalty collected from that account (from the fund's D), outside the cap;
//! 3. the fund's D balance, then its other assets at Liquidation prices, together at most
//!    `max_cover_per_event` × the fund's value before the event;
//! 4. the stakers' pool: cash if it is staked in D, in kind otherwise;
//! 5. what is left is the deficit, for ADL.
//!
//! D is paid in cash (the market's hole closes). Other assets join the deficit's in-kind
//! collateral, which ADL hands to the suppliers who absorb the deficit: they receive value
//! without anything being sold. In-kind contributions stop once the in-kind collateral is worth
//! the uncovered loss. The collateral that came with the loss is split: the backstop keeps the
//! share it paid for in cash; the rest joins the in-kind collateral.

use cosmwasm_std::{Decimal, Decimal256, Uint128};

use ballast_types::math::{
    dec256, dec_div, dec_mul, dec_to_uint, mul_ratio, value_of, MathResult, Rounding,
};

/// An amount of a denom with its Liquidation price (`None` when the oracle refuses it: such an
/// asset can neither be valued nor given in kind).
#[derive(Clone, Debug, PartialEq)]
pub struct Holding {
    pub denom: String,
    pub amount: Uint128,
    pub price: Option<Decimal256>,
}

impl Holding {
    fn value(&self) -> MathResult<Decimal256> {
        match self.price {
            Some(p) => value_of(self.amount, p),
            None => Ok(Decimal256::zero()),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Loss {
    pub denom: String,
    pub amount: Uint128,
    pub price: Option<Decimal256>,
    /// Collateral that came with the loss (dust, or a failed lot's).
    pub collateral: Vec<Holding>,
    /// Penalty in D that the account's lots paid into the fund.
    pub penalty_collected: Uint128,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pools {
    /// The fund's balances before the event (the collateral that came with it excluded).
    pub fund: Vec<Holding>,
    pub max_cover_per_event: Decimal,
    pub stake: Holding,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Cover {
    /// D paid to the market, in total.
    pub cash: Uint128,
    /// Of which: collateral that was itself D, the account's penalty, the fund, the stakers.
    pub from_collateral: Uint128,
    pub from_penalty: Uint128,
    pub from_fund: Uint128,
    pub from_stake: Uint128,
    /// Coins for the deficit's in-kind collateral (collateral share and contributions).
    pub in_kind: Vec<(String, Uint128)>,
    /// Of `in_kind`, what came out of the fund's own balances.
    pub fund_in_kind: Vec<(String, Uint128)>,
    /// Collateral the fund keeps (it paid for it), to sell later.
    pub kept: Vec<(String, Uint128)>,
    /// Tokens taken from the stakers' pool (cash or in kind).
    pub stake_loss: Uint128,
    /// What no one paid: the deficit left for ADL.
    pub deficit: Uint128,
}

fn add(list: &mut Vec<(String, Uint128)>, denom: &str, amount: Uint128) {
    if amount.is_zero() {
        return;
    }
    match list.iter_mut().find(|(d, _)| d == denom) {
        Some((_, a)) => *a += amount,
        None => list.push((denom.to_string(), amount)),
    }
}

/// Runs the waterfall for one loss event.
pub fn cover(loss: &Loss, pools: &Pools) -> MathResult<Cover> {
    let mut out = Cover::default();
    let mut remaining = loss.amount;

    // Collateral in D itself settles D at par.
    let collateral_d: Uint128 = loss
        .collateral
        .iter()
        .filter(|c| c.denom == loss.denom)
        .map(|c| c.amount)
        .sum();
    out.from_collateral = collateral_d.min(remaining);
    remaining -= out.from_collateral;
    add(
        &mut out.kept,
        &loss.denom,
        collateral_d - out.from_collateral,
    );

    let fund_d = pools
        .fund
        .iter()
        .find(|h| h.denom == loss.denom)
        .map(|h| h.amount)
        .unwrap_or_default();

    // Step 2: the account's own penalty, outside the cap.
    out.from_penalty = remaining.min(loss.penalty_collected).min(fund_d);
    remaining -= out.from_penalty;

    // Step 3: the fund's D, within the per-event cap.
    let mut fund_value = Decimal256::zero();
    for h in &pools.fund {
        fund_value = fund_value.saturating_add(h.value()?);
    }
    let mut cap_value = dec_mul(
        fund_value,
        dec256(pools.max_cover_per_event),
        Rounding::Down,
    )?;
    let cap_in_d = match loss.price {
        Some(p) if !p.is_zero() => {
            dec_to_uint(dec_div(cap_value, p, Rounding::Down)?, Rounding::Down)?
        }
        // Without D's price the cap is taken on the D balance alone.
        _ => {
            ballast_types::math::mul_dec(fund_d, dec256(pools.max_cover_per_event), Rounding::Down)?
        }
    };
    out.from_fund = remaining.min(fund_d - out.from_penalty).min(cap_in_d);
    remaining -= out.from_fund;
    let spent = match loss.price {
        Some(p) => value_of(out.from_fund, p)?,
        None => cap_value,
    };
    cap_value = cap_value.saturating_sub(spent);

    // Step 4 in cash: stakers staked in D.
    if pools.stake.denom == loss.denom {
        out.from_stake = remaining.min(pools.stake.amount);
        remaining -= out.from_stake;
        out.stake_loss += out.from_stake;
    }
    out.cash = out.from_collateral + out.from_penalty + out.from_fund + out.from_stake;

    // The collateral splits between the backstop (the share it paid for) and the deficit.
    let owed_after_collateral = loss.amount - out.from_collateral;
    let paid = out.from_penalty + out.from_fund + out.from_stake;
    let mut in_kind_value = Decimal256::zero();
    for c in loss.collateral.iter().filter(|c| c.denom != loss.denom) {
        let kept = if owed_after_collateral.is_zero() {
            c.amount
        } else {
            mul_ratio(c.amount, paid, owed_after_collateral, Rounding::Down)?
        };
        add(&mut out.kept, &c.denom, kept);
        add(&mut out.in_kind, &c.denom, c.amount - kept);
        if let Some(p) = c.price {
            in_kind_value = in_kind_value.saturating_add(value_of(c.amount - kept, p)?);
        }
    }

    // Steps 3 and 4 in kind: only while the uncovered loss is worth more than the in-kind
    // collateral already set aside, and never without prices.
    if let Some(price_d) = loss.price {
        let mut uncovered = value_of(remaining, price_d)?.saturating_sub(in_kind_value);
        let mut others: Vec<&Holding> = pools
            .fund
            .iter()
            .filter(|h| h.denom != loss.denom && h.price.is_some() && !h.amount.is_zero())
            .collect();
        others.sort_by(|a, b| {
            b.value()
                .unwrap_or_default()
                .cmp(&a.value().unwrap_or_default())
                .then(a.denom.cmp(&b.denom))
        });
        for h in others {
            let budget = uncovered.min(cap_value);
            if budget.is_zero() {
                break;
            }
            let price = h.price.unwrap_or_default();
            // rounded down: the per-event cap is never exceeded
            let amount =
                dec_to_uint(dec_div(budget, price, Rounding::Down)?, Rounding::Down)?.min(h.amount);
            if amount.is_zero() {
                continue;
            }
            let value = value_of(amount, price)?;
            add(&mut out.in_kind, &h.denom, amount);
            add(&mut out.fund_in_kind, &h.denom, amount);
            uncovered = uncovered.saturating_sub(value);
            cap_value = cap_value.saturating_sub(value);
        }
        if pools.stake.denom != loss.denom && !uncovered.is_zero() {
            if let Some(price) = pools.stake.price.filter(|p| !p.is_zero()) {
                let amount = dec_to_uint(dec_div(uncovered, price, Rounding::Up)?, Rounding::Up)?
                    .min(pools.stake.amount);
                add(&mut out.in_kind, &pools.stake.denom, amount);
                out.stake_loss += amount;
            }
        }
    }
    out.deficit = remaining;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn h(denom: &str, amount: u128, price: &str) -> Holding {
        Holding {
            denom: denom.into(),
            amount: Uint128::new(amount),
            price: Some(d(price)),
        }
    }

    fn usd_loss(amount: u128, collateral: Vec<Holding>, penalty: u128) -> Loss {
        Loss {
            denom: "uusd".into(),
            amount: Uint128::new(amount),
            price: Some(Decimal256::one()),
            collateral,
            penalty_collected: Uint128::new(penalty),
        }
    }

    fn pools(fund: Vec<Holding>, stake: Holding) -> Pools {
        Pools {
            fund,
            max_cover_per_event: Decimal::percent(50),
            stake,
        }
    }

    #[test]
    fn a_fund_that_can_pay_pays_in_cash_and_keeps_the_collateral() {
        // loss 100 USD; fund holds 1,000 USD (cap 500)
        let loss = usd_loss(100, vec![h("uatom", 5, "10")], 0);
        let out = cover(
            &loss,
            &pools(vec![h("uusd", 1_000, "1")], h("ustake", 0, "1")),
        )
        .unwrap();
        assert_eq!(out.cash, Uint128::new(100));
        assert_eq!(out.from_fund, Uint128::new(100));
        assert_eq!(out.deficit, Uint128::zero());
        assert_eq!(out.kept, vec![("uatom".to_string(), Uint128::new(5))]);
        assert!(out.in_kind.is_empty());
    }

    #[test]
    fn the_cap_limits_the_fund_and_the_accounts_own_penalty_sits_outside_it() {
        // fund 200 USD → cap 100; penalty collected 30 is paid first, outside the cap
        let loss = usd_loss(300, vec![], 30);
        let out = cover(
            &loss,
            &pools(vec![h("uusd", 200, "1")], h("ustake", 0, "1")),
        )
        .unwrap();
        assert_eq!(out.from_penalty, Uint128::new(30));
        assert_eq!(out.from_fund, Uint128::new(100));
        assert_eq!(out.cash, Uint128::new(130));
        assert_eq!(out.deficit, Uint128::new(170));
    }

    #[test]
    fn stakers_take_the_loss_after_the_fund_then_the_rest_is_a_deficit() {
        // fund 100 USD (cap 50), stakers 80 USD in D
        let loss = usd_loss(200, vec![], 0);
        let out = cover(&loss, &pools(vec![h("uusd", 100, "1")], h("uusd", 80, "1"))).unwrap();
        assert_eq!(out.from_fund, Uint128::new(50));
        assert_eq!(out.from_stake, Uint128::new(80));
        assert_eq!(out.stake_loss, Uint128::new(80));
        assert_eq!(out.deficit, Uint128::new(70));
    }

    #[test]
    fn collateral_splits_by_the_share_paid_in_cash() {
        // loss 200, fund pays 50 (cap of 100): it keeps 50/200 of the 40 ATOM, 30 go in kind
        let loss = usd_loss(200, vec![h("uatom", 40, "1")], 0);
        let out = cover(
            &loss,
            &pools(vec![h("uusd", 100, "1")], h("ustake", 0, "1")),
        )
        .unwrap();
        assert_eq!(out.from_fund, Uint128::new(50));
        assert_eq!(out.kept, vec![("uatom".to_string(), Uint128::new(10))]);
        assert_eq!(out.in_kind, vec![("uatom".to_string(), Uint128::new(30))]);
        assert_eq!(out.deficit, Uint128::new(150));
    }

    #[test]
    fn other_fund_assets_and_foreign_stake_go_in_kind_up_to_the_uncovered_value() {
        // loss 100 USD, no collateral; fund: 10 USD + 100 OSMO at 0.5 = 60 → cap 30
        // cash 10 from the fund, then 20 of value in OSMO (40 OSMO) hits the cap; stakers hold
        // ATOM at 10 and cover the remaining 70 of value in kind: 7 ATOM
        let loss = usd_loss(100, vec![], 0);
        let out = cover(
            &loss,
            &pools(
                vec![h("uusd", 10, "1"), h("uosmo", 100, "0.5")],
                h("uatom", 50, "10"),
            ),
        )
        .unwrap();
        assert_eq!(out.from_fund, Uint128::new(10));
        assert_eq!(
            out.fund_in_kind,
            vec![("uosmo".to_string(), Uint128::new(40))]
        );
        assert_eq!(out.stake_loss, Uint128::new(7));
        assert_eq!(
            out.in_kind,
            vec![
                ("uosmo".to_string(), Uint128::new(40)),
                ("uatom".to_string(), Uint128::new(7))
            ]
        );
        // the deficit in D stays: suppliers are paid for it in kind, not in cash
        assert_eq!(out.deficit, Uint128::new(90));
    }

    #[test]
    fn in_kind_collateral_already_worth_the_loss_draws_nothing_more() {
        // loss 100, nothing paid in cash; the collateral (20 ATOM at 10 = 200) covers it in kind
        let loss = usd_loss(100, vec![h("uatom", 20, "10")], 0);
        let out = cover(
            &loss,
            &pools(vec![h("uosmo", 1_000, "1")], h("uatom", 50, "10")),
        )
        .unwrap();
        assert_eq!(out.cash, Uint128::zero());
        assert!(out.fund_in_kind.is_empty());
        assert_eq!(out.stake_loss, Uint128::zero());
        assert_eq!(out.in_kind, vec![("uatom".to_string(), Uint128::new(20))]);
    }

    #[test]
    fn collateral_in_the_loss_denom_settles_at_par_first() {
        let loss = usd_loss(100, vec![h("uusd", 130, "1")], 0);
        let out = cover(&loss, &pools(vec![], h("ustake", 0, "1"))).unwrap();
        assert_eq!(out.from_collateral, Uint128::new(100));
        assert_eq!(out.cash, Uint128::new(100));
        assert_eq!(out.kept, vec![("uusd".to_string(), Uint128::new(30))]);
        assert_eq!(out.deficit, Uint128::zero());
    }

    #[test]
    fn without_prices_the_cap_falls_back_to_the_d_balance_and_nothing_goes_in_kind() {
        let loss = Loss {
            price: None,
            ..usd_loss(100, vec![], 0)
        };
        let out = cover(
            &loss,
            &pools(
                vec![h("uusd", 60, "1"), h("uosmo", 1_000, "1")],
                h("uatom", 50, "10"),
            ),
        )
        .unwrap();
        assert_eq!(out.from_fund, Uint128::new(30));
        assert!(out.in_kind.is_empty());
        assert_eq!(out.deficit, Uint128::new(70));
    }
}
