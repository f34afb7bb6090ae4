//! The loss waterfall on the in-process chain: a bankrupt account's shortfall covered by the
//! fund, then by stakers, then left as a deficit for ADL; gating of withdrawals and of stakers'
//! exits; the drawdown breaker.
//!
//! These flows reach the backstop through Exact rule 4: once the collateral is dust, `Liquidate`
//! recognises the whole debt as shortfall at once, with no auction.

use ballast_backstop::ContractError as BackstopError;
use ballast_market::ContractError;
use ballast_testing::{attribute, Protocol, ProtocolBuilder, ATOM, OSMO, QUOTE};
use ballast_tests::{
    assert_books_balance, assert_error, assert_error_starts, market_query, ATOM_UNIT, USD,
};
use ballast_types::backstop::{self, FundResponse, StakerResponse};
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{self, CircuitLevelResponse, DeficitResponse};
use cosmwasm_std::{coin, Decimal256, Uint128};
use std::str::FromStr;

/// bob supplies 100,000 USD; carol puts up 1,000 ATOM and borrows 6,000 USD; the fund holds
/// `fund` USD and stakers `stake` USD.
fn bankrupt_carol(fund: u128, stake: u128) -> Protocol {
    let mut p = ProtocolBuilder::new()
        .user(
            "mallory",
            vec![coin(1_000 * USD, QUOTE), coin(1_000 * ATOM_UNIT, ATOM)],
        )
        .build();
    let (bob, carol, dave) = (p.user("bob"), p.user("carol"), p.user("dave"));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&carol, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    if fund > 0 {
        p.fund(&dave, coin(fund * USD, QUOTE)).unwrap();
    }
    if stake > 0 {
        p.stake(&dave, coin(stake * USD, QUOTE)).unwrap();
    }
    // ATOM collapses: 1,000 ATOM are worth 0.90 USD, below the 1 USD dust value
    p.set_price(ATOM, Decimal256::from_str("0.0009").unwrap());
    p
}

fn deficit(p: &Protocol, denom: &str) -> DeficitResponse {
    market_query(
        p,
        &market::QueryMsg::Deficit {
            denom: denom.into(),
        },
    )
}

#[test]
fn a_fund_that_can_pay_closes_the_shortfall_and_every_unit_reconciles() {
    let mut p = bankrupt_carol(20_000, 0);
    let (carol, keeper) = (p.user("carol"), p.user("keeper"));
    let market_usd = p.balance(&p.market, QUOTE);
    let backstop_usd = p.balance(&p.backstop, QUOTE);
    let response = p.liquidate(&keeper, &carol).unwrap();
    assert_eq!(attribute(&response, "mode").as_deref(), Some("dust"));
    assert!(Protocol::lot_ids(&response).is_empty());
    // the fund (cap 50% of 20,000) pays all 6,000 to the market and keeps carol's 1,000 ATOM
    assert_eq!(
        p.balance(&p.market, QUOTE),
        market_usd + Uint128::new(6_000 * USD)
    );
    assert_eq!(
        p.balance(&p.backstop, QUOTE),
        backstop_usd - Uint128::new(6_000 * USD)
    );
    assert_eq!(
        p.balance(&p.backstop, ATOM),
        Uint128::new(1_000 * ATOM_UNIT)
    );
    assert_eq!(deficit(&p, QUOTE).amount, Uint128::zero());
    let position = p.position(&carol);
    assert!(position.debt.is_empty() && position.supply.is_empty());
    let absorbed: backstop::AbsorbedResponse = p
        .query(&p.backstop, &backstop::QueryMsg::Absorbed {})
        .unwrap();
    assert_eq!(absorbed.collateral, vec![coin(1_000 * ATOM_UNIT, ATOM)]);
    // the USD pool balances to the unit: bob's 100,000 is backed by cash alone now
    assert_books_balance(&p, QUOTE, Uint128::zero(), 2);
    assert_eq!(p.asset(QUOTE).cash, Uint128::new(100_000 * USD));
    let bob = p.user("bob");
    p.withdraw(&bob, QUOTE, None).unwrap();
}

#[test]
fn beyond_the_fund_stakers_lose_next_and_the_rest_is_a_deficit_that_gates_withdrawals() {
    let mut p = bankrupt_carol(2_000, 500);
    let (carol, keeper, bob, dave) = (
        p.user("carol"),
        p.user("keeper"),
        p.user("bob"),
        p.user("dave"),
    );
    let response = p.liquidate(&keeper, &carol).unwrap();
    // fund 2,000 → cap 1,000; stakers 500; deficit 4,500
    assert_eq!(
        attribute(&response, "from_fund").as_deref(),
        Some("1000000000")
    );
    assert_eq!(
        attribute(&response, "from_stake").as_deref(),
        Some("500000000")
    );
    let pending = deficit(&p, QUOTE);
    assert_eq!(pending.amount, Uint128::new(4_500 * USD));
    // the fund paid 1,500 of 6,000: it keeps 1/4 of the ATOM, the rest is held in kind
    assert_eq!(
        pending.collateral_in_kind,
        vec![coin(750 * ATOM_UNIT, ATOM)]
    );
    let staker: StakerResponse = p
        .query(
            &p.backstop,
            &backstop::QueryMsg::Staker {
                address: dave.to_string(),
            },
        )
        .unwrap();
    assert_eq!(staker.value, Uint128::zero());
    assert_eq!(staker.shares, Uint128::new(500 * USD));

    // suppliers of the deficit denom cannot run ahead of the known loss; other denoms flow
    let err = p.withdraw(&bob, QUOTE, Some(USD)).unwrap_err();
    assert_error(
        &err,
        ContractError::WithdrawGated {
            denom: QUOTE.into(),
            deficit: Uint128::new(4_500 * USD),
        },
    );
    p.deposit(&bob, coin(ATOM_UNIT, ATOM)).unwrap();
    p.withdraw(&bob, ATOM, None).unwrap();

    // stakers cannot leave while a deficit is pending
    let err = p
        .execute_backstop(
            &dave,
            &backstop::ExecuteMsg::Unstake {
                amount: Uint128::new(USD),
            },
            &[],
        )
        .unwrap_err();
    assert_error(
        &err,
        BackstopError::ExitGated {
            reason: "1 deficit(s) are pending".into(),
        },
    );
    // the books: cash + debt + deficit still cover every supplier
    assert_books_balance(&p, QUOTE, Uint128::zero(), 2);
}

#[test]
fn a_deep_drawdown_of_the_fund_raises_level_one() {
    let mut p = bankrupt_carol(10_000, 0);
    let (carol, keeper, bob) = (p.user("carol"), p.user("keeper"), p.user("bob"));
    let response = p.liquidate(&keeper, &carol).unwrap();
    // 10,000 → 5,000 (cap): a 50% drawdown beyond the 30% limit
    assert_eq!(
        attribute(&response, "drawdown_breaker").as_deref(),
        Some("true")
    );
    let level: CircuitLevelResponse = market_query(&p, &market::QueryMsg::CircuitLevel {});
    assert_eq!(level.level, CircuitLevel::NoBorrows);
    assert_eq!(level.auto_until, Some(p.now() + 86_400));
    p.deposit(&bob, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    let err = p.borrow(&bob, QUOTE, USD).unwrap_err();
    assert_error(
        &err,
        ContractError::CircuitOpen {
            level: CircuitLevel::NoBorrows,
            action: "borrow".into(),
        },
    );
    // the automatic level lapses after the window
    p.advance(86_401);
    let level: CircuitLevelResponse = market_query(&p, &market::QueryMsg::CircuitLevel {});
    assert_eq!(level.level, CircuitLevel::Normal);
}

#[test]
fn the_fund_reports_its_balances_value_and_high_water_mark() {
    let mut p = bankrupt_carol(10_000, 300);
    let fund: FundResponse = p.query(&p.backstop, &backstop::QueryMsg::Fund {}).unwrap();
    assert_eq!(fund.balances, vec![coin(10_000 * USD, QUOTE)]);
    assert_eq!(fund.value, Uint128::new(10_000 * USD));
    assert_eq!(fund.stake_pool, Uint128::new(300 * USD));
    let (carol, keeper) = (p.user("carol"), p.user("keeper"));
    p.liquidate(&keeper, &carol).unwrap();
    let fund: FundResponse = p.query(&p.backstop, &backstop::QueryMsg::Fund {}).unwrap();
    assert_eq!(fund.high_water_mark, Uint128::new(10_000 * USD));
    // cap 5,000 from the fund, 300 from stakers: the fund keeps 5,300 / 6,000 of the ATOM
    assert_eq!(
        fund.balances,
        vec![coin(5_000 * USD, QUOTE), coin(883_333_333, ATOM)]
    );
    assert_eq!(fund.stake_pool, Uint128::zero());
}

#[test]
fn backstop_messages_refuse_the_wrong_callers_and_bad_input() {
    let mut p = bankrupt_carol(1_000, 0);
    let (mallory, carol) = (p.user("mallory"), p.user("carol"));
    let unauthorized = |err: &cosmwasm_std::StdError| {
        ballast_tests::error_message(err).starts_with("unauthorized: ")
    };
    let err = p
        .execute_backstop(
            &mallory,
            &backstop::ExecuteMsg::CoverShortfall {
                denom: QUOTE.into(),
                amount: Uint128::new(5),
                borrower: carol.to_string(),
                collateral: vec![],
                penalty_collected: Uint128::zero(),
            },
            &[],
        )
        .unwrap_err();
    assert!(unauthorized(&err), "{err}");
    let err = p
        .execute_backstop(
            &mallory,
            &backstop::ExecuteMsg::AbsorbLot { lot_id: 1 },
            &[],
        )
        .unwrap_err();
    assert!(unauthorized(&err), "{err}");
    let err = p
        .execute_backstop(
            &mallory,
            &backstop::ExecuteMsg::PayKeeper {
                keeper: mallory.to_string(),
                amount: coin(5, QUOTE),
            },
            &[],
        )
        .unwrap_err();
    assert!(unauthorized(&err), "{err}");
    let err = p
        .execute_backstop(
            &mallory,
            &backstop::ExecuteMsg::AdlStep {
                denom: QUOTE.into(),
                limit: 5,
            },
            &[],
        )
        .unwrap_err();
    assert_error(
        &err,
        BackstopError::NoDeficit {
            denom: QUOTE.into(),
        },
    );
    let err = p
        .execute_backstop(
            &mallory,
            &backstop::ExecuteMsg::AdlStep {
                denom: QUOTE.into(),
                limit: 0,
            },
            &[],
        )
        .unwrap_err();
    assert_error(&err, BackstopError::InvalidLimit { limit: 0, max: 50 });
    let err = p.stake(&mallory, coin(5, ATOM)).unwrap_err();
    assert_error(
        &err,
        BackstopError::InvalidFunds {
            expected: "a positive amount of uusd only".into(),
            got: "5uatom".into(),
        },
    );
    let err = p
        .execute_backstop(&mallory, &backstop::ExecuteMsg::Stake {}, &[])
        .unwrap_err();
    assert_error(
        &err,
        BackstopError::InvalidFunds {
            expected: "a positive amount of uusd only".into(),
            got: "nothing".into(),
        },
    );
    let err = p
        .execute_backstop(&mallory, &backstop::ExecuteMsg::Fund {}, &[])
        .unwrap_err();
    assert_error_starts(
        &err,
        "invalid funds: expected one or more positive coins, got nothing",
    );
    let err = p
        .execute_backstop(&mallory, &backstop::ExecuteMsg::Claim {}, &[])
        .unwrap_err();
    assert_error(
        &err,
        BackstopError::NothingToClaim {
            address: mallory.to_string(),
            next: None,
        },
    );
}

#[test]
fn stakers_exit_through_the_cooldown_when_nothing_is_pending() {
    let mut p = ProtocolBuilder::new().build();
    let dave = p.user("dave");
    p.stake(&dave, coin(1_000 * USD, QUOTE)).unwrap();
    p.execute_backstop(
        &dave,
        &backstop::ExecuteMsg::Unstake {
            amount: Uint128::new(400 * USD),
        },
        &[],
    )
    .unwrap();
    let err = p
        .execute_backstop(&dave, &backstop::ExecuteMsg::Claim {}, &[])
        .unwrap_err();
    assert_error(
        &err,
        BackstopError::NothingToClaim {
            address: dave.to_string(),
            next: Some(p.now() + 7 * 86_400),
        },
    );
    p.advance(7 * 86_400);
    let before = p.balance(&dave, QUOTE);
    p.execute_backstop(&dave, &backstop::ExecuteMsg::Claim {}, &[])
        .unwrap();
    assert_eq!(p.balance(&dave, QUOTE), before + Uint128::new(400 * USD));
    let staker: StakerResponse = p
        .query(
            &p.backstop,
            &backstop::QueryMsg::Staker {
                address: dave.to_string(),
            },
        )
        .unwrap();
    assert_eq!(staker.value, Uint128::new(600 * USD));
    assert!(staker.unbonding.is_empty());
}

#[test]
fn collateral_the_fund_gives_away_in_kind_leaves_its_absorbed_record_so_stakers_are_not_locked() {
    // Found by the simulator: absorbed collateral that the waterfall later handed over in kind
    // stayed on the record, so SellAbsorbed of it failed and stakers stayed gated forever.
    let mut p = ProtocolBuilder::new()
        .backstop_params(|b| b.max_cover_per_event = cosmwasm_std::Decimal::one())
        .user(
            "frank",
            vec![coin(1_000_000 * USD, OSMO), coin(1_000 * USD, QUOTE)],
        )
        .build();
    let (bob, carol, frank, dave, keeper) = (
        p.user("bob"),
        p.user("carol"),
        p.user("frank"),
        p.user("dave"),
        p.user("keeper"),
    );
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&carol, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.deposit(&frank, coin(100_000 * USD, OSMO)).unwrap();
    p.borrow(&frank, QUOTE, 20_000 * USD).unwrap();
    p.fund(&dave, coin(6_000 * USD, QUOTE)).unwrap();
    // event 1: carol's 6,000 USD shortfall, paid in full; the fund keeps her 1,000 ATOM
    p.set_price(ATOM, Decimal256::from_str("0.0009").unwrap());
    p.liquidate(&keeper, &carol).unwrap();
    let absorbed: backstop::AbsorbedResponse = p
        .query(&p.backstop, &backstop::QueryMsg::Absorbed {})
        .unwrap();
    assert_eq!(absorbed.collateral, vec![coin(1_000 * ATOM_UNIT, ATOM)]);
    // ATOM recovers; event 2: frank's 20,000 USD shortfall finds no USD in the fund, only the
    // ATOM (now 10,000 USD), which goes in kind to the deficit
    p.set_price(ATOM, Decimal256::from_str("10").unwrap());
    p.set_price(OSMO, Decimal256::from_str("0.000005").unwrap());
    p.liquidate(&keeper, &frank).unwrap();
    let absorbed: backstop::AbsorbedResponse = p
        .query(&p.backstop, &backstop::QueryMsg::Absorbed {})
        .unwrap();
    assert!(absorbed.collateral.is_empty(), "{absorbed:?}");
    let pending = deficit(&p, QUOTE);
    assert_eq!(pending.amount, Uint128::new(20_000 * USD));
    assert!(
        pending
            .collateral_in_kind
            .contains(&coin(1_000 * ATOM_UNIT, ATOM)),
        "{pending:?}"
    );
    // with the deficit closed (socialised: no levered supplier), stakers may leave again
    p.execute_backstop(
        &keeper,
        &backstop::ExecuteMsg::AdlStep {
            denom: QUOTE.into(),
            limit: 10,
        },
        &[],
    )
    .unwrap();
    assert_eq!(deficit(&p, QUOTE).amount, Uint128::zero());
    p.stake(&dave, coin(100 * USD, QUOTE)).unwrap();
    p.execute_backstop(
        &dave,
        &backstop::ExecuteMsg::Unstake {
            amount: Uint128::new(USD),
        },
        &[],
    )
    .unwrap();
}
