//! Lending on the in-process chain: interest to the unit, full round trips, health, LTV,
//! utilization, threshold ramps, oracle refusals, circuits.

use ballast_market::ContractError;
use ballast_testing::{ProtocolBuilder, ATOM, ATOM_FEED, QUOTE};
use ballast_tests::{assert_books_balance, assert_error, assert_error_starts, market_query};
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{self, LiquidatableResponse};
use ballast_types::math::SECONDS_PER_YEAR;
use ballast_types::oracle::{self, PriceError};
use ballast_types::pyth::PythPrice;
use cosmwasm_std::{coin, Decimal, Decimal256, Uint128};
use std::str::FromStr;

fn dec(s: &str) -> Decimal256 {
    Decimal256::from_str(s).unwrap()
}

/// bob supplies 10,000 USD; alice supplies 1,000 ATOM ($10) and borrows 4,000 USD.
fn supplied_and_borrowed() -> ballast_testing::Protocol {
    let mut p = ProtocolBuilder::new().build();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    p.deposit(&bob, coin(10_000_000_000, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000_000_000, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 4_000_000_000u128).unwrap();
    p
}

#[test]
fn a_year_of_interest_matches_the_kink_model_to_the_unit() {
    let mut p = supplied_and_borrowed();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    // 40% utilization: borrow rate 4% × 0.4 / 0.8 = 2%; supply rate 2% × 0.4 × (1 − 10%) = 0.72%
    let usd = p.asset(QUOTE);
    assert_eq!(usd.utilization, dec("0.4"));
    assert_eq!(usd.borrow_rate, dec("0.02"));
    assert_eq!(usd.supply_rate, dec("0.0072"));

    p.advance(SECONDS_PER_YEAR);
    // debt: 4,000 × 1.02; supply: 10,000 × 1.0072
    assert_eq!(p.owed(&alice, QUOTE), Uint128::new(4_080_000_000));
    assert_eq!(p.supplied(&bob, QUOTE), Uint128::new(10_072_000_000));
    // the reserve's share: 80 of interest − 72 to suppliers = 8, minted at index 1.0072 as
    // ⌊8,000,000 / 1.0072⌋ = 7,942,811 scaled, worth ⌊7,942,811 × 1.0072⌋ = 7,999,999
    let usd = p.asset(QUOTE);
    assert_eq!(usd.reserves, Uint128::new(7_999_999));
    assert_eq!(usd.liquidity_index, dec("1.0072"));
    assert_eq!(usd.borrow_index, dec("1.02"));
    assert_books_balance(&p, QUOTE, Uint128::zero(), 2);
}

#[test]
fn repaying_all_and_withdrawing_all_leaves_only_the_reserves() {
    let mut p = supplied_and_borrowed();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    p.advance(SECONDS_PER_YEAR);
    let alice_usd = p.balance(&alice, QUOTE);
    // over-repay: the excess comes back
    p.repay(&alice, coin(4_100_000_000, QUOTE)).unwrap();
    assert_eq!(
        p.balance(&alice, QUOTE),
        alice_usd - Uint128::new(4_080_000_000)
    );
    assert_eq!(p.owed(&alice, QUOTE), Uint128::zero());
    p.withdraw(&alice, ATOM, None).unwrap();
    p.withdraw(&bob, QUOTE, None).unwrap();
    let alice_position = p.position(&alice);
    assert!(alice_position.supply.is_empty() && alice_position.debt.is_empty());
    assert!(p.position(&bob).supply.is_empty());
    // the market holds the reserves (7,999,999) and one unit of rounding, nothing else
    assert_eq!(p.balance(&p.market, QUOTE), Uint128::new(8_000_000));
    assert_eq!(p.balance(&p.market, ATOM), Uint128::zero());
    let usd = p.asset(QUOTE);
    assert_eq!(usd.reserves, Uint128::new(7_999_999));
    assert_eq!(usd.total_debt, Uint128::zero());
    // the backstop claims them as real tokens
    let keeper = p.user("keeper");
    p.execute_market(
        &keeper,
        &market::ExecuteMsg::ClaimReserves { denoms: None },
        &[],
    )
    .unwrap();
    assert_eq!(p.balance(&p.backstop, QUOTE), Uint128::new(7_999_999));
    assert_eq!(p.balance(&p.market, QUOTE), Uint128::one());
    assert_eq!(p.asset(QUOTE).reserves, Uint128::zero());
}

#[test]
fn a_price_drop_makes_the_account_liquidatable_and_the_scan_lists_it() {
    let mut p = supplied_and_borrowed();
    let alice = p.user("alice");
    let position = p.position(&alice);
    // 10,000 × 0.8 / 4,000
    assert_eq!(
        position.health_factor,
        Some(Decimal::from_str("2").unwrap())
    );
    assert!(!position.liquidatable);
    p.set_price(ATOM, dec("4.9"));
    let position = p.position(&alice);
    // 4,900 × 0.8 / 4,000 = 0.98
    assert_eq!(
        position.health_factor,
        Some(Decimal::from_str("0.98").unwrap())
    );
    assert!(position.liquidatable);
    let scan: LiquidatableResponse = market_query(
        &p,
        &market::QueryMsg::Liquidatable {
            start_after: None,
            limit: None,
        },
    );
    assert_eq!(scan.accounts.len(), 1);
    assert_eq!(scan.accounts[0].account, alice.to_string());
    assert_eq!(scan.accounts[0].debt_value, Uint128::new(4_000_000_000));
    assert_eq!(scan.next, None);
}

#[test]
fn the_liquidatable_scan_pages_through_every_borrower() {
    let mut p = ProtocolBuilder::new().build();
    let bob = p.user("bob");
    p.deposit(&bob, coin(100_000_000_000, QUOTE)).unwrap();
    let names = ["alice", "carol", "dave", "keeper"];
    for name in names {
        let user = p.user(name);
        p.deposit(&user, coin(100_000_000, ATOM)).unwrap();
        p.borrow(&user, QUOTE, 600_000_000u128).unwrap();
    }
    p.set_price(ATOM, dec("7"));
    // 100 ATOM × 7 × 0.8 = 560 < 600: all four
    let mut found = vec![];
    let mut start_after = None;
    loop {
        let page: LiquidatableResponse = market_query(
            &p,
            &market::QueryMsg::Liquidatable {
                start_after: start_after.clone(),
                limit: Some(3),
            },
        );
        found.extend(page.accounts.into_iter().map(|a| a.account));
        match page.next {
            Some(next) => start_after = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<String> = names.iter().map(|n| p.user(n).to_string()).collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
}

#[test]
fn borrow_and_withdraw_that_would_break_max_ltv_fail() {
    let mut p = ProtocolBuilder::new().build();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    p.deposit(&bob, coin(100_000_000_000, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000_000_000, ATOM)).unwrap();
    // conservative valuation: ATOM at 10 − 1 × conf (0.1%) = 9.99; × 70% LTV → 6,993 USD
    let err = p.borrow(&alice, QUOTE, 6_993_000_001u128).unwrap_err();
    assert_error(
        &err,
        ContractError::InsufficientCollateral {
            debt_value: Uint128::new(6_993_000_001),
            borrow_power: Uint128::new(6_993_000_000),
        },
    );
    p.borrow(&alice, QUOTE, 6_993_000_000u128).unwrap();
    assert_eq!(p.position(&alice).max_borrow_value, Some(Uint128::zero()));
    let err = p.withdraw(&alice, ATOM, Some(1)).unwrap_err();
    assert_error_starts(
        &err,
        "insufficient collateral: debt value 6993000000 would exceed borrowing power 6992999",
    );
    // turning the collateral off is the same withdrawal of borrowing power
    let err = p
        .execute_market(
            &alice,
            &market::ExecuteMsg::SetCollateral {
                denom: ATOM.into(),
                enable: false,
            },
            &[],
        )
        .unwrap_err();
    assert_error(
        &err,
        ContractError::InsufficientCollateral {
            debt_value: Uint128::new(6_993_000_000),
            borrow_power: Uint128::zero(),
        },
    );
}

#[test]
fn utilization_never_exceeds_one_hundred_percent() {
    let mut p = ProtocolBuilder::new().build();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    p.deposit(&bob, coin(1_000_000_000, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000_000_000, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 1_000_000_000u128).unwrap();
    assert_eq!(p.asset(QUOTE).utilization, Decimal256::one());
    let err = p.borrow(&alice, QUOTE, 1u128).unwrap_err();
    assert_error(
        &err,
        ContractError::InsufficientLiquidity {
            denom: QUOTE.into(),
            requested: Uint128::one(),
            available: Uint128::zero(),
        },
    );
    // suppliers cannot withdraw cash that is lent out either
    let err = p.withdraw(&bob, QUOTE, Some(1)).unwrap_err();
    assert_error(
        &err,
        ContractError::InsufficientLiquidity {
            denom: QUOTE.into(),
            requested: Uint128::one(),
            available: Uint128::zero(),
        },
    );
    // time at full utilization: rates are 4% + 75% but utilization stays 100%
    p.advance(86_400);
    assert_eq!(p.asset(QUOTE).borrow_rate, dec("0.79"));
    assert!(p.asset(QUOTE).utilization <= Decimal256::one());
}

#[test]
fn lowering_the_liquidation_threshold_ramps_instead_of_liquidating_at_once() {
    let mut p = supplied_and_borrowed();
    let (alice, owner) = (p.user("alice"), p.owner.clone());
    p.borrow(&alice, QUOTE, 2_900_000_000u128).unwrap();
    // 8,000 / 6,900 = 1.159; with LT 65%: 6,500 / 6,900 = 0.942
    let mut params = p.asset(ATOM).params;
    params.liquidation_threshold = Decimal::percent(65);
    params.max_ltv = Decimal::percent(60);
    p.execute_market(
        &owner,
        &market::ExecuteMsg::UpdateAssetParams {
            denom: ATOM.into(),
            params,
        },
        &[],
    )
    .unwrap();
    p.advance(6);
    assert!(
        !p.position(&alice).liquidatable,
        "liquidatable the block after the change"
    );
    assert!(p.asset(ATOM).liquidation_threshold > Decimal::percent(79));
    // half-way: 72.5% → 7,250 / 6,900 (plus interest) still above 1
    p.advance(7 * 86_400 / 2 - 6);
    assert_eq!(
        p.asset(ATOM).liquidation_threshold,
        Decimal::from_str("0.725").unwrap()
    );
    assert!(!p.position(&alice).liquidatable);
    p.advance(7 * 86_400 / 2);
    assert_eq!(p.asset(ATOM).liquidation_threshold, Decimal::percent(65));
    assert!(p.position(&alice).liquidatable, "after the ramp");
    // raising takes effect at once
    let mut params = p.asset(ATOM).params;
    params.liquidation_threshold = Decimal::percent(80);
    p.execute_market(
        &owner,
        &market::ExecuteMsg::UpdateAssetParams {
            denom: ATOM.into(),
            params,
        },
        &[],
    )
    .unwrap();
    assert_eq!(p.asset(ATOM).liquidation_threshold, Decimal::percent(80));
    assert!(!p.position(&alice).liquidatable);
}

fn pyth(price: i64, conf: u64, publish_time: i64) -> PythPrice {
    PythPrice {
        price,
        conf,
        expo: -8,
        publish_time,
    }
}

#[test]
fn refused_pyth_prices_stop_borrows_but_liquidation_prices_survive_what_they_may() {
    let mut p = supplied_and_borrowed();
    let alice = p.user("alice");
    let now = p.now() as i64;

    // confidence 3% (> 2%): Default refuses, Liquidation accepts
    p.set_pyth_feed(
        ATOM_FEED,
        pyth(1_000_000_000, 30_000_000, now),
        pyth(1_000_000_000, 30_000_000, now),
    );
    let err = p.borrow(&alice, QUOTE, 1_000_000u128).unwrap_err();
    assert_error(
        &err,
        PriceError::PriceLowConfidence {
            denom: ATOM.into(),
            price: dec("10"),
            conf: dec("0.3"),
            max_confidence: Decimal::percent(2),
        },
    );
    let position = p.position(&alice);
    assert_eq!(
        position.health_factor,
        Some(Decimal::from_str("2").unwrap())
    );
    // the collateral without a Default price counts as zero: no headroom
    assert_eq!(position.max_borrow_value, Some(Uint128::zero()));

    // price 11% above its EMA (> 10%)
    p.set_pyth_feed(
        ATOM_FEED,
        pyth(1_110_000_000, 1_000_000, now),
        pyth(1_000_000_000, 1_000_000, now),
    );
    let err = p.borrow(&alice, QUOTE, 1_000_000u128).unwrap_err();
    assert_error(
        &err,
        PriceError::PriceDeviation {
            denom: ATOM.into(),
            price: dec("11.1"),
            ema_price: dec("10"),
            max_deviation: Decimal::percent(10),
        },
    );
    assert!(p.position(&alice).health_factor.is_some());

    // zero: refused for both kinds
    p.set_pyth_feed(ATOM_FEED, pyth(0, 0, now), pyth(1_000_000_000, 0, now));
    let err = p.borrow(&alice, QUOTE, 1_000_000u128).unwrap_err();
    assert_error(
        &err,
        PriceError::PriceUnavailable {
            denom: ATOM.into(),
            reason: "price is zero".into(),
        },
    );
    // a zero print is a broken feed, not a worth: the position cannot be judged on it
    assert!(p
        .query::<market::PositionResponse>(
            &p.market,
            &market::QueryMsg::Position {
                account: alice.to_string()
            }
        )
        .is_err());

    // stale: 61 s old with a 60 s limit, refused for both kinds
    p.refresh_pyth_on_advance = false;
    p.set_pyth_feed(
        ATOM_FEED,
        pyth(1_000_000_000, 1_000_000, now),
        pyth(1_000_000_000, 1_000_000, now),
    );
    p.advance(61);
    let err = p.borrow(&alice, QUOTE, 1_000_000u128).unwrap_err();
    assert_error(
        &err,
        PriceError::PriceStale {
            denom: ATOM.into(),
            publish_time: now,
            now: now as u64 + 61,
            max_staleness: 60,
        },
    );
    let liquidation_price: cosmwasm_std::StdResult<oracle::PriceResponse> = p.query(
        &p.oracle,
        &oracle::QueryMsg::Price {
            denom: ATOM.into(),
            kind: Some(oracle::PriceKind::Liquidation),
        },
    );
    assert!(liquidation_price.is_err());
}

#[test]
fn the_oracle_circuit_stops_borrows_on_a_large_move_and_closes_after_its_cooldown() {
    let mut p = supplied_and_borrowed();
    let (alice, keeper) = (p.user("alice"), p.user("keeper"));
    p.set_circuit(ATOM, Decimal::percent(20), 3600, 1800)
        .unwrap();
    p.observe(&keeper, &[ATOM]).unwrap();
    p.advance(60);
    // −25% within the window
    p.set_price(ATOM, dec("7.5"));
    let err = p.borrow(&alice, QUOTE, 1_000_000u128).unwrap_err();
    // opened by the live breach: closes a cooldown from now
    assert_error(
        &err,
        ContractError::OracleCircuitOpen {
            denom: ATOM.into(),
            closes_at: p.now() + 1800,
        },
    );
    // liquidations and repays are never blocked by it; deposits neither
    p.repay(&alice, coin(1_000_000, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000_000, ATOM)).unwrap();
    p.observe(&keeper, &[ATOM]).unwrap();
    // the $10 observation leaves the window after an hour; the opening cools down after 30 min
    p.advance(3600);
    p.borrow(&alice, QUOTE, 1_000_000u128).unwrap();
}

#[test]
fn level_one_stops_borrows_while_repays_and_deposits_go_on() {
    let mut p = supplied_and_borrowed();
    let (alice, guardian, owner) = (p.user("alice"), p.guardian.clone(), p.owner.clone());
    p.execute_market(
        &guardian,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::NoBorrows,
        },
        &[],
    )
    .unwrap();
    let err = p.borrow(&alice, QUOTE, 1_000_000u128).unwrap_err();
    assert_error(
        &err,
        ContractError::CircuitOpen {
            level: CircuitLevel::NoBorrows,
            action: "borrow".into(),
        },
    );
    p.repay(&alice, coin(1_000_000_000, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000_000, ATOM)).unwrap();
    p.withdraw(&alice, ATOM, Some(1_000_000)).unwrap();
    // the guardian may not lower it
    let err = p
        .execute_market(
            &guardian,
            &market::ExecuteMsg::SetCircuitLevel {
                level: CircuitLevel::Normal,
            },
            &[],
        )
        .unwrap_err();
    assert_error(
        &err,
        ContractError::Unauthorized {
            sender: guardian.to_string(),
            action: "lower the circuit level".into(),
        },
    );
    p.execute_market(
        &owner,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::Normal,
        },
        &[],
    )
    .unwrap();
    p.borrow(&alice, QUOTE, 1_000_000u128).unwrap();
}

#[test]
fn level_two_keeps_collateral_that_backs_debt_and_level_three_halts_all_but_deposits_and_repays() {
    let mut p = supplied_and_borrowed();
    let (alice, bob, guardian, owner, keeper) = (
        p.user("alice"),
        p.user("bob"),
        p.guardian.clone(),
        p.owner.clone(),
        p.user("keeper"),
    );
    p.execute_market(
        &guardian,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::NoCollateralWithdrawals,
        },
        &[],
    )
    .unwrap();
    let err = p.withdraw(&alice, ATOM, Some(1)).unwrap_err();
    assert_error(
        &err,
        ContractError::CircuitOpen {
            level: CircuitLevel::NoCollateralWithdrawals,
            action: "withdrawing collateral that backs debt".into(),
        },
    );
    // a supplier without debt still withdraws
    p.withdraw(&bob, QUOTE, Some(1_000_000)).unwrap();
    p.execute_market(
        &guardian,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::Halt,
        },
        &[],
    )
    .unwrap();
    let err = p.withdraw(&bob, QUOTE, Some(1_000_000)).unwrap_err();
    assert_error(
        &err,
        ContractError::CircuitOpen {
            level: CircuitLevel::Halt,
            action: "withdraw or change collateral".into(),
        },
    );
    p.set_price(ATOM, dec("4.9"));
    let err = p.liquidate(&keeper, &alice).unwrap_err();
    assert_error(
        &err,
        ContractError::CircuitOpen {
            level: CircuitLevel::Halt,
            action: "liquidate".into(),
        },
    );
    p.deposit(&alice, coin(1_000_000, ATOM)).unwrap();
    p.repay(&alice, coin(1_000_000, QUOTE)).unwrap();
    // lifting the halt starts the grace period: borrowers top up before liquidations resume
    p.execute_market(
        &owner,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::Normal,
        },
        &[],
    )
    .unwrap();
    let resume_at = p.now() + 3600;
    let err = p.liquidate(&keeper, &alice).unwrap_err();
    assert_error(&err, ContractError::GracePeriod { resume_at });
    let level: market::CircuitLevelResponse = market_query(&p, &market::QueryMsg::CircuitLevel {});
    assert_eq!(level.liquidations_resume_at, Some(resume_at));
}

#[test]
fn supply_rounds_down_and_debt_rounds_up_at_one_unit() {
    let mut p = ProtocolBuilder::new()
        .asset_params(QUOTE, |a| a.min_debt = Uint128::zero())
        .build();
    let (alice, bob, carol) = (p.user("alice"), p.user("bob"), p.user("carol"));
    p.deposit(&bob, coin(10_000_000_000, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000_000_000, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 4_000_000_000u128).unwrap();
    p.advance(SECONDS_PER_YEAR);
    // indices: supply 1.0072, debt 1.02
    // a 1-unit deposit mints no share (⌊1 / 1.0072⌋ = 0): refused, nothing moves
    let before = p.balance(&carol, QUOTE);
    let err = p.deposit(&carol, coin(1, QUOTE)).unwrap_err();
    assert_error(
        &err,
        ContractError::InvalidFunds {
            expected: "at least 2 uusd (one share at index 1.0072)".into(),
            got: "1uusd".into(),
        },
    );
    assert_eq!(p.balance(&carol, QUOTE), before);
    // 2 units mint 1 share, worth ⌊1.0072⌋ = 1
    p.deposit(&carol, coin(2, QUOTE)).unwrap();
    assert_eq!(p.supplied(&carol, QUOTE), Uint128::one());
    // borrowing 1 mints ⌈1 / 1.02⌉ = 1 scaled unit, which owes ⌈1.02⌉ = 2
    p.deposit(&carol, coin(1_000_000, ATOM)).unwrap();
    p.borrow(&carol, QUOTE, 1u128).unwrap();
    assert_eq!(p.owed(&carol, QUOTE), Uint128::new(2));
    // repaying 1 burns ⌊1 / 1.02⌋ = 0: the debt stays 2
    p.repay(&carol, coin(1, QUOTE)).unwrap();
    assert_eq!(p.owed(&carol, QUOTE), Uint128::new(2));
    p.repay(&carol, coin(2, QUOTE)).unwrap();
    assert_eq!(p.owed(&carol, QUOTE), Uint128::zero());
    assert_books_balance(&p, QUOTE, Uint128::zero(), 4);
}
