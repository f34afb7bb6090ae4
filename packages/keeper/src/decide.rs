//! The keeper's decisions, as pure functions over query results. Nothing here talks to a chain,
//! so every rule is unit-tested on its own; [`crate::keeper::Keeper`] gathers the inputs and
//! sends what these functions choose.
//!
//! Units: oracle prices are quote smallest units per smallest unit of a denom; auction prices are
//! debt-denom smallest units per collateral smallest unit (PROTOCOL.md, Exact rule 2); values are
//! quote smallest units.

use std::collections::BTreeMap;

use ballast_types::auction::{AuctionParams, InAuctionResponse, LotKind, LotResponse, LotStatus};
use ballast_types::backstop::BackstopParams;
use ballast_types::circuit::GatedAction;
use ballast_types::funds::amount_u128;
use ballast_types::market::{
    AdlQueueEntry, CircuitLevelResponse, DeficitResponse, LiquidatableAccount, PositionResponse,
};
use ballast_types::math::{dec_div, dec_mul, div_dec, mul_dec, uint_to_dec, value_of, Rounding};
use cosmwasm_std::{Coin, Decimal, Decimal256, Uint128};

// ---------------------------------------------------------------------------------------------
// Liquidations
// ---------------------------------------------------------------------------------------------

/// Whether the market is halted: every value-moving message of every contract (bids, resets,
/// ADL, keeper pay, liquidations) would fail, so a keeper sends none.
pub fn halted(circuit: &CircuitLevelResponse) -> bool {
    circuit.level.stops(GatedAction::AuctionBidOrReset)
}

/// Whether the market accepts `Liquidate` at `now`: not while the level in force stops it (a
/// halt), and not while the grace period after a halt runs.
pub fn liquidations_allowed(circuit: &CircuitLevelResponse, now: u64) -> bool {
    if circuit.level.stops(GatedAction::Liquidate) {
        return false;
    }
    match circuit.liquidations_resume_at {
        Some(resume_at) => now >= resume_at,
        None => true,
    }
}

/// The accounts worth a `Liquidate` from the `Liquidatable` pages: health factor below 1 (an
/// account at or above 1 would make the call fail), never the keeper itself (the market refuses
/// self-liquidation), each once; lowest health factor first, then the largest debt.
pub fn liquidation_candidates(
    pages: &[LiquidatableAccount],
    keeper: &str,
) -> Vec<LiquidatableAccount> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out: Vec<LiquidatableAccount> = pages
        .iter()
        .filter(|a| a.health_factor < Decimal::one())
        .filter(|a| a.account != keeper)
        .filter(|a| seen.insert(a.account.clone()))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        a.health_factor
            .cmp(&b.health_factor)
            .then(b.debt_value.cmp(&a.debt_value))
            .then(a.account.cmp(&b.account))
    });
    out
}

/// Room left under the auction's caps (quote value of tabs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapRoom {
    pub global: Uint128,
    /// Only the denoms that have a cap; any other denom is bounded by `global` alone.
    pub per_denom: BTreeMap<String, Uint128>,
}

impl CapRoom {
    /// room = cap − in auction, per cap, never negative.
    pub fn new(params: &AuctionParams, in_auction: &InAuctionResponse) -> Self {
        let used = |denom: &str| {
            in_auction
                .per_denom
                .iter()
                .find(|(d, _)| d == denom)
                .map(|(_, v)| *v)
                .unwrap_or_default()
        };
        CapRoom {
            global: params.max_in_auction.saturating_sub(in_auction.total_value),
            per_denom: params
                .max_in_auction_per_denom
                .iter()
                .map(|(denom, cap)| (denom.clone(), cap.saturating_sub(used(denom))))
                .collect(),
        }
    }

    /// The room for lots of collateral `denom`.
    pub fn for_denom(&self, denom: &str) -> Uint128 {
        match self.per_denom.get(denom) {
            Some(room) => (*room).min(self.global),
            None => self.global,
        }
    }
}

/// Why an account is not liquidated now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Healthy (or without debt) at the time of the position query.
    Healthy,
    SelfAccount,
    /// No room under the caps for any of its collateral denoms.
    NoRoom,
    /// Only dust collateral left, but lots of it are still open (the market waits for them).
    LotsPending,
    /// Collateral that cannot move (none enabled).
    NoCollateral,
}

/// Whether `Liquidate { borrower }` can succeed, from the account's `Position` and the room
/// under the caps: mirrors the market's checks (health, self, dust, caps) so that the keeper
/// does not send a call that fails.
pub fn check_liquidation(
    position: &PositionResponse,
    keeper: &str,
    room: &CapRoom,
    dust_value: Uint128,
) -> Result<(), Skip> {
    if position.account == keeper {
        return Err(Skip::SelfAccount);
    }
    let unhealthy =
        position.liquidatable && position.health_factor.is_some_and(|hf| hf < Decimal::one());
    if !unhealthy {
        return Err(Skip::Healthy);
    }
    // Exact rule 4: with only dust collateral, no auction (so no cap) but no open lots.
    if position.total_collateral_value < dust_value {
        return if position.open_lots > 0 {
            Err(Skip::LotsPending)
        } else {
            Ok(())
        };
    }
    let denoms: Vec<&str> = position
        .supply
        .iter()
        .filter(|s| s.collateral && !s.amount.is_zero())
        .map(|s| s.denom.as_str())
        .collect();
    if denoms.is_empty() {
        return Err(Skip::NoCollateral);
    }
    // Room for less than a dust-sized lot is no room: the market could at most open a lot too
    // small to be worth a call (or none at all, failing with LiquidationLimitHit).
    let least = dust_value.max(Uint128::one());
    if room.global < least || denoms.iter().all(|d| room.for_denom(d) < least) {
        return Err(Skip::NoRoom);
    }
    Ok(())
}

/// The denoms whose prices a liquidation of this account loads (collateral and debt): those the
/// Pyth updates must cover.
pub fn position_denoms(position: &PositionResponse) -> Vec<String> {
    let mut denoms: Vec<String> = position
        .supply
        .iter()
        .filter(|s| s.collateral && !s.amount.is_zero())
        .map(|s| s.denom.clone())
        .chain(
            position
                .debt
                .iter()
                .filter(|d| !d.amount.is_zero())
                .map(|d| d.denom.clone()),
        )
        .collect();
    denoms.sort();
    denoms.dedup();
    denoms
}

// ---------------------------------------------------------------------------------------------
// Resets
// ---------------------------------------------------------------------------------------------

/// The lots whose status says they need a `Reset`.
pub fn lots_to_reset(lots: &[LotResponse]) -> Vec<u64> {
    lots.iter()
        .filter(|l| l.status == LotStatus::NeedsReset)
        .map(|l| l.lot_id)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Bids
// ---------------------------------------------------------------------------------------------

/// How the keeper bids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidPolicy {
    /// Bid only when the lot's price is at most oracle ratio × (1 − margin).
    pub margin: Decimal,
    /// The most to spend on one lot, in quote value (`None`: the balance is the limit).
    pub max_value_per_lot: Option<Uint128>,
    /// The least expected profit (quote value) worth a bid.
    pub min_profit: Uint128,
}

/// A bid the keeper will make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidPlan {
    pub lot_id: u64,
    /// `Bid::max_collateral`.
    pub max_collateral: Uint128,
    /// `Bid::max_price`: the price observed; the price only falls with time, and what is not
    /// needed is refunded.
    pub max_price: Decimal256,
    /// Funds sent: ceil(collateral × price) in the debt denom.
    pub pay: Coin,
    /// Collateral expected for `pay`.
    pub collateral: Coin,
    /// Collateral value at the oracle price − value paid, in quote units.
    pub expected_profit: Uint128,
}

/// The most an auction price may be for a bid: collateral price / debt price × (1 − margin).
pub fn bid_threshold(
    collateral_price: Decimal256,
    debt_price: Decimal256,
    margin: Decimal,
) -> Option<Decimal256> {
    if debt_price.is_zero() || margin >= Decimal::one() {
        return None;
    }
    let ratio = dec_div(collateral_price, debt_price, Rounding::Down).ok()?;
    dec_mul(
        ratio,
        Decimal256::from(Decimal::one() - margin),
        Rounding::Down,
    )
    .ok()
}

/// Expected profit of buying `collateral` for `paid`: its value at the oracle price minus the
/// value of what is paid, in quote units (negative → zero... reported as `None`).
pub fn expected_profit(
    collateral: Uint128,
    collateral_price: Decimal256,
    paid: Uint128,
    debt_price: Decimal256,
) -> Option<Uint128> {
    let got = value_of(collateral, collateral_price).ok()?;
    let cost = value_of(paid, debt_price).ok()?;
    let profit = got.checked_sub(cost).ok()?;
    Uint128::try_from(profit.to_uint_floor()).ok()
}

/// The bid on one lot, or `None` when the keeper should not bid: not active, price above the
/// threshold (or zero), nothing to spend, a partial bid that the `min_debt` rule forbids, or too
/// little profit. `budget` is what the keeper may spend of the debt denom. As the auction does
/// (Maker's `chost`), a partial bid may not leave less than the lot's `min_debt` of its tab.
pub fn plan_bid(
    lot: &LotResponse,
    collateral_price: Decimal256,
    debt_price: Decimal256,
    budget: Uint128,
    policy: &BidPolicy,
) -> Option<BidPlan> {
    let min_debt = lot.min_debt;
    let all = amount_u128(&lot.collateral)?;
    let tab = amount_u128(&lot.tab)?;
    if lot.status != LotStatus::Active || all.is_zero() {
        return None;
    }
    let price = lot.current_price;
    if price.is_zero() {
        return None;
    }
    let threshold = bid_threshold(collateral_price, debt_price, policy.margin)?;
    if price > threshold {
        return None;
    }
    let mut spend = budget;
    if let Some(max_value) = policy.max_value_per_lot {
        spend = spend.min(div_dec(max_value, debt_price, Rounding::Down).ok()?);
    }
    let cost_of_all = mul_dec(all, price, Rounding::Up).ok()?;
    let is_liquidation = lot.kind == LotKind::Liquidation;
    // What taking the whole lot costs: all its collateral, or, for a liquidation lot, its tab
    // (the auction never collects more than the tab).
    let (whole_cost, whole_collateral) = if is_liquidation && cost_of_all > tab {
        (tab, div_dec(tab, price, Rounding::Down).ok()?)
    } else {
        (cost_of_all, all)
    };
    let (collateral, pay) = if spend >= whole_cost {
        (whole_collateral, whole_cost)
    } else {
        let mut target = spend;
        if is_liquidation {
            // A partial bid may not leave 0 < tab < min_debt; when the tab itself is at most
            // min_debt, only the whole lot may be taken.
            let left = tab.saturating_sub(target);
            if !left.is_zero() && left < min_debt {
                if tab <= min_debt {
                    return None;
                }
                target = tab - min_debt;
            }
        }
        let collateral = div_dec(target, price, Rounding::Down).ok()?;
        (collateral, mul_dec(collateral, price, Rounding::Up).ok()?)
    };
    if collateral.is_zero() || pay.is_zero() {
        return None;
    }
    let profit = expected_profit(collateral, collateral_price, pay, debt_price)?;
    if profit.is_zero() || profit < policy.min_profit {
        return None;
    }
    Some(BidPlan {
        lot_id: lot.lot_id,
        max_collateral: if collateral == whole_collateral {
            all
        } else {
            collateral
        },
        max_price: price,
        pay: Coin::new(pay, lot.debt.denom.clone()),
        collateral: Coin::new(collateral, lot.collateral.denom.clone()),
        expected_profit: profit,
    })
}

/// Bids over many lots, most profitable first, each denom's budget spent down as bids are
/// planned. `prices` maps denom → oracle price; `budgets` denom → spendable balance. Lots whose
/// prices are unknown are skipped.
pub fn plan_bids(
    lots: &[LotResponse],
    prices: &BTreeMap<String, Decimal256>,
    budgets: &BTreeMap<String, Uint128>,
    policy: &BidPolicy,
) -> Vec<BidPlan> {
    // Rank by the discount to the oracle (price / threshold-free ratio), best first.
    let mut ranked: Vec<(&LotResponse, Decimal256)> = lots
        .iter()
        .filter_map(|lot| {
            let cp = prices.get(&lot.collateral.denom)?;
            let dp = prices.get(&lot.debt.denom)?;
            let ratio = dec_div(*cp, *dp, Rounding::Down).ok()?;
            if ratio.is_zero() {
                return None;
            }
            Some((lot, dec_div(lot.current_price, ratio, Rounding::Up).ok()?))
        })
        .collect();
    ranked.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.lot_id.cmp(&b.0.lot_id)));
    let mut left = budgets.clone();
    let mut plans = vec![];
    for (lot, _) in ranked {
        let (cp, dp) = (prices[&lot.collateral.denom], prices[&lot.debt.denom]);
        let budget = left.get(&lot.debt.denom).copied().unwrap_or_default();
        if let Some(plan) = plan_bid(lot, cp, dp, budget, policy) {
            let paid = amount_u128(&plan.pay).unwrap_or(budget);
            left.insert(lot.debt.denom.clone(), budget.saturating_sub(paid));
            plans.push(plan);
        }
    }
    plans
}

/// What the keeper may spend of each denom: its balance minus what it keeps in reserve (fees).
pub fn spendable(balance: Uint128, reserve: Uint128) -> Uint128 {
    balance.saturating_sub(reserve)
}

// ---------------------------------------------------------------------------------------------
// ADL
// ---------------------------------------------------------------------------------------------

/// The denoms with a deficit pending: each needs `AdlStep` until it is zero.
pub fn adl_denoms(deficits: &[DeficitResponse]) -> Vec<String> {
    deficits
        .iter()
        .filter(|d| !d.amount.is_zero())
        .map(|d| d.denom.clone())
        .collect()
}

/// Whether another `AdlStep` is worth sending: a deficit is still pending and the last step
/// made progress (an unchanged deficit means the index has no candidate that can take more, and
/// the keeper stops instead of looping).
pub fn adl_continue(before: Uint128, after: Uint128) -> bool {
    !after.is_zero() && after < before
}

/// A lower bound of an account's current ADL score from its position: leverage = debt value /
/// (collateral value − debt value), and score = leverage × (1 + yield) with yield ≥ 0. `None`
/// without debt; `Decimal::MAX` when the debt reaches the collateral.
pub fn leverage(position: &PositionResponse) -> Option<Decimal> {
    let debt = position.total_debt_value;
    if debt.is_zero() {
        return None;
    }
    let net = position.total_collateral_value.saturating_sub(debt);
    if net.is_zero() {
        return Some(Decimal::MAX);
    }
    let ratio = dec_div(uint_to_dec(debt), uint_to_dec(net), Rounding::Down).ok()?;
    Some(Decimal::try_from(ratio).unwrap_or(Decimal::MAX))
}

/// The accounts to `Poke` before an ADL step: those whose filed score sits in a lower bucket than
/// a lower bound of their current score (prices moved since they last acted), so the index would
/// take them too late. `positions` holds the queried positions by account.
pub fn stale_scores(
    entries: &[AdlQueueEntry],
    positions: &BTreeMap<String, PositionResponse>,
    params: &BackstopParams,
) -> Vec<String> {
    entries
        .iter()
        .filter_map(|entry| {
            let position = positions.get(&entry.account)?;
            let lower_bound = leverage(position)?;
            (params.bucket_of(lower_bound) > params.bucket_of(entry.score))
                .then(|| entry.account.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_types::auction::Curve;
    use ballast_types::circuit::CircuitLevel;
    use ballast_types::market::{CoinValue, SupplyValue};
    use cosmwasm_std::coin;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn d256(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    fn acct(name: &str, hf: &str, debt: u128) -> LiquidatableAccount {
        LiquidatableAccount {
            account: name.into(),
            health_factor: dec(hf),
            debt_value: Uint128::new(debt),
        }
    }

    fn params(global: u128, per_denom: &[(&str, u128)]) -> AuctionParams {
        AuctionParams {
            buf: dec("1.2"),
            curve: Curve::Linear { tau: 3600 },
            tail: 7200,
            cusp: dec("0.4"),
            max_resets: 3,
            tip: Uint128::zero(),
            chip: Decimal::zero(),
            max_in_auction: Uint128::new(global),
            max_in_auction_per_denom: per_denom
                .iter()
                .map(|(d, c)| (d.to_string(), Uint128::new(*c)))
                .collect(),
        }
    }

    fn in_auction(total: u128, per_denom: &[(&str, u128)]) -> InAuctionResponse {
        InAuctionResponse {
            total_value: Uint128::new(total),
            per_denom: per_denom
                .iter()
                .map(|(d, c)| (d.to_string(), Uint128::new(*c)))
                .collect(),
        }
    }

    fn position(
        account: &str,
        hf: Option<&str>,
        coll: &[(&str, u128)],
        debt: u128,
    ) -> PositionResponse {
        PositionResponse {
            account: account.into(),
            supply: coll
                .iter()
                .map(|(d, a)| SupplyValue {
                    denom: d.to_string(),
                    amount: Uint128::new(*a),
                    value: Some(Uint128::new(*a)),
                    collateral: true,
                })
                .collect(),
            debt: vec![CoinValue {
                denom: "uusd".into(),
                amount: Uint128::new(debt),
                value: Uint128::new(debt),
            }],
            total_collateral_value: Uint128::new(coll.iter().map(|(_, a)| a).sum()),
            total_debt_value: Uint128::new(debt),
            health_factor: hf.map(dec),
            max_borrow_value: None,
            liquidatable: hf.is_some_and(|h| dec(h) < Decimal::one()),
            open_lots: 0,
        }
    }

    #[test]
    fn candidates_skip_healthy_accounts_and_self_and_put_the_worst_first() {
        let pages = vec![
            acct("a", "0.99", 100),
            acct("keeper", "0.5", 1_000),
            acct("b", "1", 500),
            acct("c", "0.8", 10),
            acct("d", "0.8", 50),
            acct("a", "0.99", 100),
            acct("e", "1.2", 5),
        ];
        let got: Vec<String> = liquidation_candidates(&pages, "keeper")
            .into_iter()
            .map(|a| a.account)
            .collect();
        assert_eq!(got, vec!["d", "c", "a"]);
    }

    #[test]
    fn room_is_caps_minus_in_auction_never_negative() {
        let room = CapRoom::new(
            &params(1_000, &[("uatom", 300), ("uosmo", 100)]),
            &in_auction(400, &[("uatom", 350), ("uosmo", 40)]),
        );
        assert_eq!(room.global.u128(), 600);
        assert_eq!(room.for_denom("uatom").u128(), 0);
        assert_eq!(room.for_denom("uosmo").u128(), 60);
        assert_eq!(room.for_denom("ueth").u128(), 600); // uncapped: the global room
        let full = CapRoom::new(&params(1_000, &[]), &in_auction(1_200, &[]));
        assert!(full.global.is_zero());
    }

    #[test]
    fn liquidation_check_mirrors_the_market() {
        let room = CapRoom::new(
            &params(1_000, &[("uatom", 100)]),
            &in_auction(0, &[("uatom", 100)]),
        );
        let dust = Uint128::new(10);
        // unhealthy, collateral in an uncapped denom with room: go
        let p = position("b", Some("0.9"), &[("uosmo", 500)], 480);
        assert_eq!(check_liquidation(&p, "k", &room, dust), Ok(()));
        // healthy at query time, or exactly 1, or no debt
        let p = position("b", Some("1"), &[("uosmo", 500)], 400);
        assert_eq!(check_liquidation(&p, "k", &room, dust), Err(Skip::Healthy));
        let p = position("b", None, &[("uosmo", 500)], 0);
        assert_eq!(check_liquidation(&p, "k", &room, dust), Err(Skip::Healthy));
        // self
        let p = position("k", Some("0.5"), &[("uosmo", 500)], 480);
        assert_eq!(
            check_liquidation(&p, "k", &room, dust),
            Err(Skip::SelfAccount)
        );
        // only a full-capped denom: no room
        let p = position("b", Some("0.9"), &[("uatom", 500)], 480);
        assert_eq!(check_liquidation(&p, "k", &room, dust), Err(Skip::NoRoom));
        // room smaller than a dust-sized lot counts as none (the sim saw Liquidate fail there)
        let crumbs = CapRoom {
            global: Uint128::new(1),
            per_denom: BTreeMap::new(),
        };
        let p = position("b", Some("0.9"), &[("uosmo", 500)], 480);
        assert_eq!(check_liquidation(&p, "k", &crumbs, dust), Err(Skip::NoRoom));
        // one capped-out denom and one with room: go
        let p = position("b", Some("0.9"), &[("uatom", 500), ("uosmo", 5)], 480);
        assert_eq!(check_liquidation(&p, "k", &room, dust), Ok(()));
        // global cap full: nothing fits
        let full = CapRoom::new(&params(1_000, &[]), &in_auction(1_000, &[]));
        let p = position("b", Some("0.9"), &[("uosmo", 500)], 480);
        assert_eq!(check_liquidation(&p, "k", &full, dust), Err(Skip::NoRoom));
        // dust: no auction, so no cap, unless lots are still open
        let p = position("b", Some("0.1"), &[("uosmo", 5)], 480);
        assert_eq!(check_liquidation(&p, "k", &full, dust), Ok(()));
        let mut p = position("b", Some("0.1"), &[("uosmo", 5)], 480);
        p.open_lots = 1;
        assert_eq!(
            check_liquidation(&p, "k", &full, dust),
            Err(Skip::LotsPending)
        );
        assert_eq!(
            position_denoms(&position(
                "b",
                Some("0.9"),
                &[("uosmo", 5), ("uatom", 1)],
                4
            )),
            vec!["uatom", "uosmo", "uusd"]
        );
    }

    #[test]
    fn circuit_halt_and_grace_period_stop_liquidations() {
        let mut c = CircuitLevelResponse {
            level: CircuitLevel::NoCollateralWithdrawals,
            raised_at: Some(1),
            liquidations_resume_at: None,
            auto_level: CircuitLevel::Normal,
            auto_until: None,
        };
        assert!(liquidations_allowed(&c, 100));
        c.level = CircuitLevel::Halt;
        assert!(!liquidations_allowed(&c, 100));
        c.level = CircuitLevel::Normal;
        c.liquidations_resume_at = Some(200);
        assert!(!liquidations_allowed(&c, 199));
        assert!(liquidations_allowed(&c, 200));
    }

    fn lot(
        id: u64,
        status: LotStatus,
        collateral: u128,
        debt: u128,
        penalty: u128,
        price: &str,
    ) -> LotResponse {
        LotResponse {
            lot_id: id,
            kind: LotKind::Liquidation,
            borrower: "b".into(),
            collateral: coin(collateral, "uatom"),
            debt: coin(debt, "uusd"),
            penalty: coin(penalty, "uusd"),
            tab: coin(debt + penalty, "uusd"),
            start_price: d256("12"),
            current_price: d256(price),
            started_at: 0,
            resets: 0,
            status,
            min_debt: Uint128::zero(),
        }
    }

    fn policy(margin: &str) -> BidPolicy {
        BidPolicy {
            margin: dec(margin),
            max_value_per_lot: None,
            min_profit: Uint128::zero(),
        }
    }

    #[test]
    fn resets_are_the_lots_that_need_them() {
        let lots = vec![
            lot(1, LotStatus::Active, 1, 1, 0, "1"),
            lot(2, LotStatus::NeedsReset, 1, 1, 0, "1"),
            lot(3, LotStatus::Settled, 1, 1, 0, "1"),
            lot(4, LotStatus::NeedsReset, 1, 1, 0, "1"),
        ];
        assert_eq!(lots_to_reset(&lots), vec![2, 4]);
    }

    #[test]
    fn bid_threshold_is_the_oracle_ratio_less_the_margin() {
        // atom at 10 quote, usd at 1: ratio 10; 2% margin → 9.8
        assert_eq!(
            bid_threshold(d256("10"), d256("1"), dec("0.02")),
            Some(d256("9.8"))
        );
        assert_eq!(bid_threshold(d256("10"), d256("0"), dec("0.02")), None);
        assert_eq!(
            bid_threshold(d256("10"), d256("2"), dec("0")),
            Some(d256("5"))
        );
    }

    #[test]
    fn bids_only_at_or_below_the_threshold_on_active_lots() {
        let (cp, dp) = (d256("10"), d256("1"));
        let budget = Uint128::new(1_000_000);
        // at the threshold: bid
        let l = lot(1, LotStatus::Active, 100, 900, 45, "9.8");
        let plan = plan_bid(&l, cp, dp, budget, &policy("0.02")).unwrap();
        // whole lot: 100 × 9.8 = 980 ≤ tab 945? no: 980 > 945, so the tab bounds it
        assert_eq!(plan.pay, coin(945, "uusd"));
        assert_eq!(plan.collateral, coin(96, "uatom")); // floor(945 / 9.8)
        assert_eq!(plan.max_collateral.u128(), 100);
        assert_eq!(plan.max_price, d256("9.8"));
        assert_eq!(plan.expected_profit.u128(), 960 - 945);
        // just above: no bid
        let l = lot(1, LotStatus::Active, 100, 900, 45, "9.81");
        assert!(plan_bid(&l, cp, dp, budget, &policy("0.02")).is_none());
        // needs reset, settled: no bid
        for status in [LotStatus::NeedsReset, LotStatus::Settled, LotStatus::Failed] {
            let l = lot(1, status, 100, 900, 45, "5");
            assert!(plan_bid(&l, cp, dp, budget, &policy("0.02")).is_none());
        }
        // zero price: no bid (the lot needs a reset)
        let l = lot(1, LotStatus::Active, 100, 900, 45, "0");
        assert!(plan_bid(&l, cp, dp, budget, &policy("0.02")).is_none());
    }

    #[test]
    fn bids_are_sized_by_the_budget_and_the_max_per_lot() {
        let (cp, dp) = (d256("10"), d256("1"));
        // cheap lot, all collateral costs 100 × 5 = 500 < tab 945
        let l = lot(7, LotStatus::Active, 100, 900, 45, "5");
        let plan = plan_bid(&l, cp, dp, Uint128::new(10_000), &policy("0.02")).unwrap();
        assert_eq!(
            (
                plan.pay.amount.to_string().parse::<u128>().unwrap(),
                plan.collateral.amount.to_string().parse::<u128>().unwrap()
            ),
            (500, 100)
        );
        assert_eq!(plan.expected_profit.u128(), 500);
        // budget 123 → floor(123/5) = 24 collateral for 120
        let plan = plan_bid(&l, cp, dp, Uint128::new(123), &policy("0.02")).unwrap();
        assert_eq!(
            (
                plan.pay.amount.to_string().parse::<u128>().unwrap(),
                plan.collateral.amount.to_string().parse::<u128>().unwrap()
            ),
            (120, 24)
        );
        assert_eq!(plan.max_collateral.u128(), 24);
        // max value per lot 50 quote at debt price 1 → 50 → 10 collateral
        let mut p = policy("0.02");
        p.max_value_per_lot = Some(Uint128::new(50));
        let plan = plan_bid(&l, cp, dp, Uint128::new(10_000), &p).unwrap();
        assert_eq!(
            (
                plan.pay.amount.to_string().parse::<u128>().unwrap(),
                plan.collateral.amount.to_string().parse::<u128>().unwrap()
            ),
            (50, 10)
        );
        // nothing to spend
        assert!(plan_bid(&l, cp, dp, Uint128::new(4), &policy("0.02")).is_none());
        // min profit above what the bid earns
        let mut p = policy("0.02");
        p.min_profit = Uint128::new(501);
        assert!(plan_bid(&l, cp, dp, Uint128::new(10_000), &p).is_none());
    }

    #[test]
    fn partial_bids_never_leave_less_than_min_debt_of_the_tab() {
        let (cp, dp) = (d256("10"), d256("1"));
        // debt 900, tab 945, price 9 → the whole lot costs 900 (100 × 9 ≤ 945)
        let mut l = lot(3, LotStatus::Active, 100, 900, 45, "9");
        l.min_debt = Uint128::new(100);
        // budget 880 would leave 65 of the tab < min_debt 100 → pay up to 945 − 100 = 845
        let plan = plan_bid(&l, cp, dp, Uint128::new(880), &policy("0.02")).unwrap();
        assert_eq!(plan.collateral.amount.to_string(), "93"); // ⌊845 / 9⌋
        assert_eq!(plan.pay.amount.to_string(), "837"); // ⌈93 × 9⌉
                                                        // a smaller min_debt leaves the bid as it is
        l.min_debt = Uint128::new(50);
        let plan = plan_bid(&l, cp, dp, Uint128::new(880), &policy("0.02")).unwrap();
        assert_eq!(plan.collateral.amount.to_string(), "97");
        // min_debt at or above the tab: only the whole lot would do, and the budget is short
        l.min_debt = Uint128::new(1_000);
        assert!(plan_bid(&l, cp, dp, Uint128::new(880), &policy("0.02")).is_none());
        // enough for the whole lot: min_debt does not matter
        let plan = plan_bid(&l, cp, dp, Uint128::new(900), &policy("0.02")).unwrap();
        assert_eq!(plan.pay.amount.to_string(), "900");
    }

    #[test]
    fn plan_bids_spends_each_budget_once_best_discount_first() {
        let lots = vec![
            lot(1, LotStatus::Active, 100, 900, 45, "9"), // 10% under
            lot(2, LotStatus::Active, 100, 900, 45, "5"), // 50% under
        ];
        let prices = BTreeMap::from([
            ("uatom".to_string(), d256("10")),
            ("uusd".to_string(), d256("1")),
        ]);
        let budgets = BTreeMap::from([("uusd".to_string(), Uint128::new(700))]);
        let plans = plan_bids(&lots, &prices, &budgets, &policy("0.02"));
        assert_eq!(plans.len(), 2);
        assert_eq!(plans[0].lot_id, 2);
        assert_eq!(
            plans[0].pay.amount.to_string().parse::<u128>().unwrap(),
            500
        );
        assert_eq!(plans[1].lot_id, 1);
        assert_eq!(
            plans[1].pay.amount.to_string().parse::<u128>().unwrap(),
            198
        ); // floor(200/9)=22 → 198
        let total: u128 = plans
            .iter()
            .map(|p| p.pay.amount.to_string().parse::<u128>().unwrap())
            .sum();
        assert!(total <= 700);
        // unknown price: skipped
        let prices = BTreeMap::from([("uusd".to_string(), d256("1"))]);
        assert!(plan_bids(&lots, &prices, &budgets, &policy("0.02")).is_empty());
    }

    #[test]
    fn expected_profit_is_value_at_oracle_minus_paid() {
        assert_eq!(
            expected_profit(Uint128::new(100), d256("10"), Uint128::new(900), d256("1")),
            Some(Uint128::new(100))
        );
        assert_eq!(
            expected_profit(
                Uint128::new(100),
                d256("10"),
                Uint128::new(1_100),
                d256("1")
            ),
            None
        );
        assert_eq!(
            spendable(Uint128::new(10), Uint128::new(30)),
            Uint128::zero()
        );
    }

    fn backstop_params() -> BackstopParams {
        BackstopParams {
            stake_denom: "ustake".into(),
            max_cover_per_event: dec("0.5"),
            stake_cooldown: 1,
            max_drawdown: dec("0.3"),
            drawdown_window: 1,
            adl_buckets: vec![dec("0.5"), dec("1"), dec("2")],
            adl_min_hf: dec("1.05"),
        }
    }

    #[test]
    fn adl_runs_while_a_deficit_is_pending_and_progressing() {
        let deficits = vec![
            DeficitResponse {
                denom: "uusd".into(),
                amount: Uint128::new(5),
                collateral_in_kind: vec![],
            },
            DeficitResponse {
                denom: "uatom".into(),
                amount: Uint128::zero(),
                collateral_in_kind: vec![],
            },
        ];
        assert_eq!(adl_denoms(&deficits), vec!["uusd"]);
        assert!(adl_continue(Uint128::new(10), Uint128::new(5)));
        assert!(!adl_continue(Uint128::new(10), Uint128::zero()));
        assert!(!adl_continue(Uint128::new(10), Uint128::new(10)));
    }

    #[test]
    fn pokes_go_to_accounts_filed_in_too_low_a_bucket() {
        let params = backstop_params();
        // debt 600 on collateral 1000: leverage 600/400 = 1.5 → bucket 2
        let mut p = position("x", Some("1.2"), &[("uatom", 1_000)], 600);
        p.total_debt_value = Uint128::new(600);
        assert_eq!(leverage(&p), Some(dec("1.5")));
        let positions = BTreeMap::from([("x".to_string(), p.clone()), ("y".to_string(), p)]);
        let entries = vec![
            AdlQueueEntry {
                account: "x".into(),
                score: dec("0.6"),
                supply: Uint128::one(),
            }, // bucket 1: stale
            AdlQueueEntry {
                account: "y".into(),
                score: dec("1.7"),
                supply: Uint128::one(),
            }, // bucket 2: fine
            AdlQueueEntry {
                account: "z".into(),
                score: dec("0"),
                supply: Uint128::one(),
            }, // no position
        ];
        assert_eq!(stale_scores(&entries, &positions, &params), vec!["x"]);
        // under water: the top bucket
        let p = position("w", Some("0.5"), &[("uatom", 100)], 200);
        assert_eq!(leverage(&p), Some(Decimal::MAX));
        assert_eq!(leverage(&position("n", None, &[("uatom", 100)], 0)), None);
    }
}
