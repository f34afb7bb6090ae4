//! Attack: abusing liquidation. Liquidating oneself (directly, or through a second address to
//! collect the keeper pay), liquidating the same account again to farm pay, and the denial of
//! service by many tiny positions (too many lots, caps filled, scans too long).
//!
//! - A borrower may not liquidate itself. Through a helper address it may, but the pair then
//!   loses exactly the lot's penalty less the keeper pay: it profits only where the keeper pay
//!   exceeds the penalty, which is a parameter rule (`tip + chip × min_debt` below
//!   `min_debt × liquidation_penalty` for every asset; docs/SECURITY.md). The test world's
//!   defaults (tip 1 USD, min_debt 1 USD) break that rule for 1 USD positions, as the second
//!   test shows; a deployment must not.
//! - An account brought back to the target health factor is not liquidatable again.
//! - `min_debt` keeps every position and every liquidation at least its size; the caps hold
//!   each lot's real value only, so tiny lots cannot crowd out a large one; scans are paged.

use ballast_market::ContractError as MarketError;
use ballast_testing::{attribute, Protocol, ProtocolBuilder, ATOM, QUOTE};
use ballast_tests::{d, holders, Watch, ATOM_UNIT, USD};
use ballast_types::auction::{self, InAuctionResponse, LotStatus};
use ballast_types::market::{self, LiquidatableResponse};
use cosmwasm_std::{coin, Addr, Uint128};
use cw_multi_test::Executor;
use std::str::FromStr;

/// alice's partial liquidation at ATOM $8 (the numbers of auction_flow.rs).
const LOT_DEBT: u128 = 2_023_809_524;
const LOT_TAB: u128 = 2_125_000_001;
const LOT_PENALTY: u128 = 101_190_477;
const KEEPER_PAY: u128 = 3_023_809;

fn world(builder: ProtocolBuilder) -> Protocol {
    let mut p = builder
        .user("helper", vec![coin(1_000_000 * USD, QUOTE)])
        .user("erin", vec![coin(10_000 * ATOM_UNIT, ATOM)])
        .build();
    let bob = p.user("bob");
    p.deposit(&bob, coin(1_000_000 * USD, QUOTE)).unwrap();
    p.fund(&bob, coin(10_000 * USD, QUOTE)).unwrap();
    p
}

fn usd(p: &Protocol, who: &Addr) -> i128 {
    p.balance(who, QUOTE).u128() as i128
}

/// The helper liquidates `borrower`, claims its keeper pay and buys the whole lot at the
/// start price; returns (lot debt, lot penalty, keeper pay) and checks that the pair's
/// combined value moved by exactly keeper pay − penalty (ATOM only changes hands between them).
fn liquidate_through_helper(p: &mut Protocol, borrower: &Addr) -> (u128, u128, u128) {
    let helper = p.user("helper");
    let atom_before = p.supplied(borrower, ATOM).u128() + p.balance(&helper, ATOM).u128();
    let debt_before = p.owed(borrower, QUOTE).u128() as i128;
    let helper_before = usd(p, &helper);
    let r = p.liquidate(&helper, borrower).unwrap();
    let lot_id = Protocol::lot_ids(&r)[0];
    let pay = p
        .query::<auction::KeeperPayResponse>(
            &p.auction,
            &auction::QueryMsg::KeeperPay {
                keeper: helper.to_string(),
            },
        )
        .unwrap()
        .owed[0]
        .amount;
    p.execute_auction(
        &helper,
        &auction::ExecuteMsg::ClaimKeeperPay { denoms: None },
        &[],
    )
    .unwrap();
    let lot = p.lot(lot_id);
    let (debt, penalty) = (
        Uint128::try_from(lot.debt.amount).unwrap().u128(),
        Uint128::try_from(lot.penalty.amount).unwrap().u128(),
    );
    p.bid(
        &helper,
        lot_id,
        u128::MAX,
        lot.current_price,
        coin(debt + penalty, QUOTE),
    )
    .unwrap();
    assert_eq!(p.lot(lot_id).status, LotStatus::Settled);
    let pay = Uint128::try_from(pay).unwrap().u128();
    // the pair's value: the helper's USD, less the borrower's USD debt; ATOM only changed hands
    let gained =
        (usd(p, &helper) - helper_before) + (debt_before - p.owed(borrower, QUOTE).u128() as i128);
    assert_eq!(gained, pay as i128 - penalty as i128);
    assert_eq!(
        p.supplied(borrower, ATOM).u128() + p.balance(&helper, ATOM).u128(),
        atom_before
    );
    (debt, penalty, pay)
}

#[test]
fn self_liquidation_is_refused_and_through_a_helper_costs_the_penalty_less_the_keeper_pay() {
    // Attack: alice, about to be liquidated, liquidates herself to keep the keeper pay; refused,
    // she does it through a helper address and buys her own lot.
    let mut p = world(ProtocolBuilder::new());
    let alice = p.user("alice");
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    p.set_price(ATOM, d("8"));
    let market_addr = p.market.clone();
    Watch::new(holders(&p, &["alice", "bob", "helper"]), &[QUOTE, ATOM]).refused(
        &mut p,
        &market_addr,
        &alice,
        &market::ExecuteMsg::Liquidate {
            borrower: alice.to_string(),
        },
        &[],
        MarketError::SelfLiquidation {},
    );
    let (debt, penalty, pay) = liquidate_through_helper(&mut p, &alice);
    assert_eq!((debt, penalty, pay), (LOT_DEBT, LOT_PENALTY, KEEPER_PAY));
    assert_eq!(debt + penalty, LOT_TAB);
    // the pair lost 98.17 USD: the penalty, less the 3.02 USD of keeper pay
    assert_eq!(penalty - pay, 98_166_668);
}

#[test]
fn keeper_pay_above_a_lots_penalty_pays_for_self_liquidation_so_tip_stays_below_min_debt_times_penalty(
) {
    // Attack: split a position into min_debt-sized ones and liquidate each through a helper for
    // the keeper pay. It pays only where tip + chip × debt exceeds debt × penalty: with the test
    // world's tip of 1 USD and min_debt of 1 USD, a 1 USD lot earns 1.001 USD of pay for 0.05 USD
    // of penalty. With min_debt 100 USD (tip 1 USD < 100 × 5%), the smallest lot loses.
    let tiny = |min_debt: u128, borrowed: u128| {
        let mut p = world(
            ProtocolBuilder::new().asset_params(QUOTE, |a| a.min_debt = Uint128::new(min_debt)),
        );
        let carol = p.user("carol");
        // collateral for 1.5 × the debt at $10, then ATOM to $8.2: health 0.984, a whole-debt lot
        p.deposit(&carol, coin(borrowed * 3 / 20, ATOM)).unwrap();
        p.borrow(&carol, QUOTE, borrowed).unwrap();
        p.set_price(ATOM, d("8.2"));
        liquidate_through_helper(&mut p, &carol)
    };
    let (debt, penalty, pay) = tiny(USD, USD);
    assert_eq!((debt, penalty, pay), (USD, 50_000, 1_001_000));
    assert!(pay > penalty, "the test defaults break the parameter rule");
    let (debt, penalty, pay) = tiny(100 * USD, 100 * USD);
    assert_eq!((debt, penalty, pay), (100 * USD, 5 * USD, 1_100_000));
    assert!(
        pay < penalty,
        "a deployment that keeps the rule makes it a loss"
    );
}

#[test]
fn an_account_brought_back_to_the_target_cannot_be_liquidated_again_to_farm_keeper_pay() {
    // Attack: liquidate the same account again in the same block for a second keeper pay.
    let mut p = world(ProtocolBuilder::new());
    let (alice, keeper, keeper2) = (p.user("alice"), p.user("keeper"), p.user("keeper2"));
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    p.set_price(ATOM, d("8"));
    p.liquidate(&keeper, &alice).unwrap();
    // back to the target health factor 1.05 (to rounding: the seized collateral rounds up)
    let health = p.position(&alice).health_factor.unwrap();
    assert!(
        health > cosmwasm_std::Decimal::from_str("1.0499").unwrap(),
        "{health}"
    );
    let market_addr = p.market.clone();
    Watch::new(
        holders(&p, &["alice", "bob", "keeper", "keeper2"]),
        &[QUOTE, ATOM],
    )
    .refused(
        &mut p,
        &market_addr,
        &keeper2,
        &market::ExecuteMsg::Liquidate {
            borrower: alice.to_string(),
        },
        &[],
        MarketError::NotLiquidatable {
            account: alice.to_string(),
            health_factor: health.to_string(),
        },
    );
}

#[test]
fn many_tiny_positions_cannot_crowd_a_large_liquidation_out_of_the_caps() {
    // Attack (DoS): open many minimal positions so that their lots fill the in-auction caps (or
    // the keepers' scans) and a large unhealthy account cannot be liquidated.
    let mut p = world(ProtocolBuilder::new().auction_params(|a| {
        a.max_in_auction = Uint128::new(6_000 * USD);
    }));
    let names: Vec<String> = (0..20).map(|i| format!("tiny{i}")).collect();
    let tiny: Vec<Addr> = names.iter().map(|n| p.user(n)).collect();
    let erin = p.user("erin");
    let (alice, keeper) = (p.user("alice"), p.user("keeper"));
    // a position below min_debt cannot be opened at all
    p.deposit(&alice, coin(ATOM_UNIT, ATOM)).unwrap();
    let market_addr = p.market.clone();
    Watch::new(holders(&p, &["alice", "bob"]), &[QUOTE, ATOM]).refused(
        &mut p,
        &market_addr,
        &alice,
        &market::ExecuteMsg::Borrow {
            denom: QUOTE.into(),
            amount: Uint128::new(USD - 1),
            recipient: None,
        },
        &[],
        MarketError::BelowMinDebt {
            denom: QUOTE.into(),
            debt: Uint128::new(USD - 1),
            min_debt: Uint128::new(USD),
        },
    );
    // twenty positions of 2 USD (0.35 ATOM each, worth a lot above dust) and erin's 6,000 USD
    for t in &tiny {
        p.app
            .send_tokens(erin.clone(), t.clone(), &[coin(ATOM_UNIT, ATOM)])
            .unwrap();
        p.deposit(t, coin(350_000, ATOM)).unwrap();
        p.borrow(t, QUOTE, 2 * USD).unwrap();
    }
    let frank = p.user("frank");
    p.app
        .send_tokens(
            erin.clone(),
            frank.clone(),
            &[coin(1_000 * ATOM_UNIT, ATOM)],
        )
        .unwrap();
    for big in [&erin, &frank] {
        p.deposit(big, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
        p.borrow(big, QUOTE, 6_000 * USD).unwrap();
    }
    // ATOM to $6.70: every account below full_liquidation_hf (tiny ones 0.938, erin 0.893)
    p.set_price(ATOM, d("6.7"));
    // keepers scan a bounded page at a time (at most 100 borrowers), whatever their number
    let mut listed = 0;
    let mut start_after = None;
    loop {
        let page: LiquidatableResponse = p
            .query(
                &p.market,
                &market::QueryMsg::Liquidatable {
                    start_after: start_after.clone(),
                    limit: Some(10),
                },
            )
            .unwrap();
        assert!(page.accounts.len() <= 10);
        listed += page.accounts.len();
        match page.next {
            Some(next) => start_after = Some(next),
            None => break,
        }
    }
    assert_eq!(listed, 22);
    // each tiny liquidation takes the whole debt (less than min_debt would be left) ...
    for t in &tiny {
        let r = p.liquidate(&keeper, t).unwrap();
        assert_eq!(attribute(&r, "mode").as_deref(), Some("full"));
        assert_eq!(p.owed(t, QUOTE), Uint128::zero());
    }
    // ... and holds its real value of the caps: 2.1 USD each
    let used: InAuctionResponse = p
        .query(&p.auction, &auction::QueryMsg::InAuction {})
        .unwrap();
    assert_eq!(used.total_value, Uint128::new(20 * 2_100_000));
    // erin's liquidation gets all the room left: 6,000 − 42 USD of tab
    let r = p.liquidate(&keeper, &erin).unwrap();
    assert_eq!(attribute(&r, "limited_by_caps").as_deref(), Some("true"));
    let lot = p.lot(Protocol::lot_ids(&r)[0]);
    let room = 6_000 * USD - 20 * 2_100_000;
    assert_eq!(lot.tab.amount, cosmwasm_std::Uint256::from(room));
    // and frank's is refused with the room named, until bids free it: the caps slow the
    // selling by its value, whoever opened the lots
    Watch::new(
        holders(&p, &["erin", "frank", "bob", "keeper"]),
        &[QUOTE, ATOM],
    )
    .refused(
        &mut p,
        &market_addr,
        &keeper,
        &market::ExecuteMsg::Liquidate {
            borrower: frank.to_string(),
        },
        &[],
        MarketError::LiquidationLimitHit {
            global_room: Uint128::zero(),
            denom: ATOM.into(),
            denom_room: Uint128::zero(),
        },
    );
}

#[test]
fn borrowing_out_all_of_the_collateral_delays_a_liquidation_only_until_cash_returns() {
    // Attack (DoS): alice's helper borrows every ATOM the pool holds, so that her ATOM
    // collateral cannot be moved to auction (collateral that is lent out is not there to
    // seize). Liquidate says why; the pool's rate jumps above the kink (79% a year) to pull
    // the liquidity back, and the first ATOM that returns goes to auction.
    let mut p = world(ProtocolBuilder::new());
    let (alice, helper, keeper, erin) = (
        p.user("alice"),
        p.user("helper"),
        p.user("keeper"),
        p.user("erin"),
    );
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    p.deposit(&helper, coin(100_000 * USD, QUOTE)).unwrap();
    p.borrow(&helper, ATOM, 1_000 * ATOM_UNIT).unwrap();
    assert_eq!(p.asset(ATOM).cash, Uint128::zero());
    assert_eq!(p.asset(ATOM).borrow_rate, d("0.79"));
    p.set_price(ATOM, d("8"));
    let market_addr = p.market.clone();
    Watch::new(holders(&p, &["alice", "helper", "keeper"]), &[QUOTE, ATOM]).refused(
        &mut p,
        &market_addr,
        &keeper,
        &market::ExecuteMsg::Liquidate {
            borrower: alice.to_string(),
        },
        &[],
        MarketError::CollateralIlliquid { denom: ATOM.into() },
    );
    // 100 ATOM come back (a supplier drawn by the rate): they go to auction at once (of the
    // 265.6 ATOM the liquidation wants), the rest when more returns
    p.deposit(&erin, coin(100 * ATOM_UNIT, ATOM)).unwrap();
    let r = p.liquidate(&keeper, &alice).unwrap();
    assert_eq!(attribute(&r, "limited_by_caps").as_deref(), Some("true"));
    assert_eq!(p.lot(1).collateral, coin(100 * ATOM_UNIT, ATOM));
    assert_eq!(p.asset(ATOM).cash, Uint128::zero());
}
