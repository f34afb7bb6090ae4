//! Attack: running ahead of a known loss, and hiding a loss behind dust.
//!
//! Front-running: once a shortfall is recognised as a deficit in D, no supplier of D can take D
//! out by any route (withdraw some, all, to another recipient, after turning collateral off),
//! the fund's reserves of D stay, stakers cannot unstake or claim (not even stake whose
//! cooldown was served before the loss: unbonding stake is still first loss), and borrowing D
//! against the gated supply only puts the borrower first in line for ADL.
//!
//! Dust griefing: tiny debts or tiny remainders cannot keep a loss from being recognised.
//! A liquidation never leaves less than `min_debt` behind; a bidder who buys all but one unit of
//! an under-water lot leaves it for anyone to close for the price of that unit, and the close
//! recognises the shortfall; a tiny debt beside dust collateral is recognised at once; an open
//! lot delays the dust rule (`LotsPending`) only until it closes.

use ballast_backstop::ContractError as BackstopError;
use ballast_market::ContractError as MarketError;
use ballast_testing::{attribute, Protocol, ProtocolBuilder, ATOM, QUOTE};
use ballast_tests::{assert_books_balance, d, holders, market_query, Watch, ATOM_UNIT, USD};
use ballast_types::backstop::{self, StakerResponse};
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{self, DeficitResponse, ExecuteMsg};
use cosmwasm_std::{coin, Addr, Uint128};

const USERS: [&str; 7] = ["alice", "bob", "carol", "dave", "erin", "keeper", "mallory"];

fn build() -> Protocol {
    let mut p = ProtocolBuilder::new()
        .user("erin", vec![coin(1_000_000 * USD, QUOTE)])
        .user("mallory", vec![coin(1_000_000 * USD, QUOTE)])
        .build();
    let (bob, erin) = (p.user("bob"), p.user("erin"));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&erin, coin(100_000 * USD, QUOTE)).unwrap();
    p
}

/// bob and erin supply 100,000 USD each; the fund holds 2,000 USD; dave staked 500 USD and
/// unstaked 200 of it a week ago (cooldown served); carol borrowed 6,000 USD against 1,000 ATOM
/// a week ago, then ATOM collapsed and a keeper recognised her whole debt (with a week of
/// interest) as a shortfall: the fund paid 1,000 (its cap), stakers 500, and the rest, a little
/// over 4,500 USD, is a deficit.
fn bankrupt() -> Protocol {
    let mut p = build();
    let (bob, carol, dave, keeper) = (
        p.user("bob"),
        p.user("carol"),
        p.user("dave"),
        p.user("keeper"),
    );
    p.fund(&bob, coin(2_000 * USD, QUOTE)).unwrap();
    p.stake(&dave, coin(500 * USD, QUOTE)).unwrap();
    p.execute_backstop(
        &dave,
        &backstop::ExecuteMsg::Unstake {
            amount: Uint128::new(200 * USD),
        },
        &[],
    )
    .unwrap();
    p.deposit(&carol, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.advance(7 * 86_400);
    p.set_price(ATOM, d("0.0009"));
    p.liquidate(&keeper, &carol).unwrap();
    let pending = deficit(&p).amount.u128();
    assert!((4_500 * USD..4_501 * USD).contains(&pending), "{pending}");
    p
}

fn deficit(p: &Protocol) -> DeficitResponse {
    market_query(
        p,
        &market::QueryMsg::Deficit {
            denom: QUOTE.into(),
        },
    )
}

fn watch(p: &Protocol) -> Watch {
    Watch::new(holders(p, &USERS), &[QUOTE, ATOM])
}

fn gated(p: &Protocol) -> MarketError {
    MarketError::WithdrawGated {
        denom: QUOTE.into(),
        deficit: deficit(p).amount,
    }
}

fn adl_step(p: &mut Protocol) {
    let keeper = p.user("keeper");
    p.execute_backstop(
        &keeper,
        &backstop::ExecuteMsg::AdlStep {
            denom: QUOTE.into(),
            limit: 50,
        },
        &[],
    )
    .unwrap();
}

#[test]
fn suppliers_of_the_deficit_denom_cannot_withdraw_ahead_of_the_loss_by_any_route() {
    // Attack: bob sees the deficit and tries every way to take his USD out before ADL writes
    // it down: some, all, to another address, after turning it off as collateral.
    let mut p = bankrupt();
    let (bob, mallory) = (p.user("bob"), p.user("mallory"));
    let market_addr = p.market.clone();
    let w = watch(&p);
    for (amount, recipient) in [
        (Some(Uint128::new(USD)), None),
        (None, None),
        (Some(Uint128::one()), Some(mallory.to_string())),
    ] {
        let msg = ExecuteMsg::Withdraw {
            denom: QUOTE.into(),
            amount,
            recipient,
        };
        let expected = gated(&p);
        w.refused(&mut p, &market_addr, &bob, &msg, &[], expected);
    }
    p.execute_market(
        &bob,
        &ExecuteMsg::SetCollateral {
            denom: QUOTE.into(),
            enable: false,
        },
        &[],
    )
    .unwrap();
    let (w, expected) = (watch(&p), gated(&p));
    w.refused(
        &mut p,
        &market_addr,
        &bob,
        &ExecuteMsg::Withdraw {
            denom: QUOTE.into(),
            amount: None,
            recipient: None,
        },
        &[],
        expected,
    );
    // the fund's reserves of USD stay in the pool too: a claim sends nothing
    let reserves = p.asset(QUOTE).reserves;
    assert!(!reserves.is_zero());
    let fund_usd = p.balance(&p.backstop, QUOTE);
    let r = p
        .execute_market(
            &mallory,
            &ExecuteMsg::ClaimReserves {
                denoms: Some(vec![QUOTE.into(), QUOTE.into()]),
            },
            &[],
        )
        .unwrap();
    assert_eq!(attribute(&r, "amount").as_deref(), Some("nothing"));
    assert_eq!(p.balance(&p.backstop, QUOTE), fund_usd);
    assert_eq!(p.asset(QUOTE).reserves, reserves);
    // once ADL closes the deficit (no levered supplier: socialised pro rata), they may leave
    adl_step(&mut p);
    assert_eq!(deficit(&p).amount, Uint128::zero());
    let bob_left = p.supplied(&bob, QUOTE).u128();
    assert!(bob_left < 100_000 * USD, "{bob_left}");
    p.withdraw(&bob, QUOTE, None).unwrap();
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
}

#[test]
fn stakers_cannot_leave_ahead_of_a_known_loss_even_with_their_cooldown_served() {
    // Attack: dave unstaked before the loss; his cooldown is over; he claims as soon as he sees
    // the shortfall. Unbonding stake is still first loss, and exits wait for the deficit, the
    // absorbed collateral and its sale.
    let mut p = bankrupt();
    let (dave, owner) = (p.user("dave"), p.owner.clone());
    let backstop_addr = p.backstop.clone();
    let w = watch(&p);
    let exit_gated = |reason: &str| BackstopError::ExitGated {
        reason: reason.into(),
    };
    w.refused(
        &mut p,
        &backstop_addr,
        &dave,
        &backstop::ExecuteMsg::Claim {},
        &[],
        exit_gated("1 deficit(s) are pending"),
    );
    w.refused(
        &mut p,
        &backstop_addr,
        &dave,
        &backstop::ExecuteMsg::Unstake {
            amount: Uint128::new(USD),
        },
        &[],
        exit_gated("1 deficit(s) are pending"),
    );
    // the deficit closes; the fund still holds carol's ATOM it paid for
    adl_step(&mut p);
    let w = watch(&p);
    w.refused(
        &mut p,
        &backstop_addr,
        &dave,
        &backstop::ExecuteMsg::Claim {},
        &[],
        exit_gated("absorbed collateral is unsold"),
    );
    // the owner puts it up for sale: exits wait for the sale to end
    let absorbed: backstop::AbsorbedResponse = p
        .query(&p.backstop, &backstop::QueryMsg::Absorbed {})
        .unwrap();
    let atom = Uint128::try_from(absorbed.collateral[0].amount).unwrap();
    let r = p
        .execute_backstop(
            &owner,
            &backstop::ExecuteMsg::SellAbsorbed {
                denom: ATOM.into(),
                amount: atom,
                proceeds_denom: None,
            },
            &[],
        )
        .unwrap();
    let lot_id: u64 = ballast_testing::attribute(&r, "lot_id")
        .unwrap()
        .parse()
        .unwrap();
    let w = watch(&p);
    w.refused(
        &mut p,
        &backstop_addr,
        &dave,
        &backstop::ExecuteMsg::Claim {},
        &[],
        exit_gated("1 sale lot(s) of absorbed collateral are running"),
    );
    let mallory = p.user("mallory");
    let price = p.lot(lot_id).current_price;
    p.bid(&mallory, lot_id, atom.u128(), price, coin(10 * USD, QUOTE))
        .unwrap();
    // the exit opens, and pays what the unbonding shares are worth after the loss: nothing
    let staker: StakerResponse = p
        .query(
            &p.backstop,
            &backstop::QueryMsg::Staker {
                address: dave.to_string(),
            },
        )
        .unwrap();
    assert_eq!(staker.unbonding[0].amount, Uint128::zero());
    let before = p.balance(&dave, QUOTE);
    let r = p
        .execute_backstop(&dave, &backstop::ExecuteMsg::Claim {}, &[])
        .unwrap();
    assert_eq!(attribute(&r, "amount").as_deref(), Some("0"));
    assert_eq!(p.balance(&dave, QUOTE), before);
}

#[test]
fn borrowing_against_the_gated_supply_puts_the_borrower_first_in_line_for_adl() {
    // Attack: bob cannot withdraw, so he borrows half his USD supply in USD, hoping to leave
    // the loss to the others. The fund's drawdown breaker stops it for a day; after that,
    // borrowing makes him levered: ADL nets his debt against his supply at par and writes the
    // whole deficit down from his supply; erin, without debt, loses nothing.
    let mut p = bankrupt();
    let (bob, erin) = (p.user("bob"), p.user("erin"));
    let pending = deficit(&p).amount.u128();
    let in_kind = deficit(&p).collateral_in_kind;
    let erin_before = p.supplied(&erin, QUOTE);
    let bob_before = p.supplied(&bob, QUOTE).u128();
    let borrow = ExecuteMsg::Borrow {
        denom: QUOTE.into(),
        amount: Uint128::new(50_000 * USD),
        recipient: None,
    };
    // for a day, the fund's drawdown (2,000 → 1,000) holds circuit level 1: no new borrows
    let market_addr = p.market.clone();
    watch(&p).refused(
        &mut p,
        &market_addr,
        &bob,
        &borrow,
        &[],
        MarketError::CircuitOpen {
            level: CircuitLevel::NoBorrows,
            action: "borrow".into(),
        },
    );
    p.advance(86_401);
    let bob_cash = p.balance(&bob, QUOTE);
    p.execute_market(&bob, &borrow, &[]).unwrap();
    assert_eq!(
        p.balance(&bob, QUOTE),
        bob_cash + Uint128::new(50_000 * USD)
    );
    adl_step(&mut p);
    assert_eq!(deficit(&p).amount, Uint128::zero());
    assert_eq!(p.owed(&bob, QUOTE), Uint128::zero());
    // bob: his supply, less the 50,000 netted against his debt, less the whole deficit
    let bob_after = p.supplied(&bob, QUOTE).u128();
    let lost = bob_before - 50_000 * USD - bob_after;
    assert!((pending..=pending + 2).contains(&lost), "{lost}");
    // and receives the ATOM held in kind for the deficit (three quarters of carol's)
    assert_eq!(vec![coin(p.supplied(&bob, ATOM).u128(), ATOM)], in_kind);
    assert_eq!(p.supplied(&erin, QUOTE), erin_before);
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
}

/// alice borrows 6,500 USD against 1,000 ATOM; ATOM falls to `price`.
fn alice_at(p: &mut Protocol, price: &str) -> Addr {
    let alice = p.user("alice");
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    p.set_price(ATOM, d(price));
    alice
}

#[test]
fn a_liquidation_never_leaves_a_debt_below_min_debt_behind() {
    // Attack: an account liquidated to the target would keep a remainder too small to be worth
    // liquidating again. With min_debt 5,000 USD, the 4,476 USD the target would leave is dust:
    // all 6,500 goes to auction.
    let mut p = ProtocolBuilder::new()
        .asset_params(QUOTE, |a| a.min_debt = Uint128::new(5_000 * USD))
        .build();
    let (bob, keeper) = (p.user("bob"), p.user("keeper"));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    let alice = alice_at(&mut p, "8");
    p.liquidate(&keeper, &alice).unwrap();
    assert_eq!(p.lot(1).debt, coin(6_500 * USD, QUOTE));
    assert_eq!(p.owed(&alice, QUOTE), Uint128::zero());
}

#[test]
fn buying_all_but_one_unit_of_an_under_water_lot_leaves_it_for_anyone_to_close() {
    // Attack: mallory buys all of an under-water lot's collateral but one unit, so that it
    // never runs out and its shortfall is never recognised (withdrawals stay open meanwhile).
    // Anyone closes it for the price of that unit, and the close recognises the shortfall.
    let mut p = build();
    let (keeper, mallory, bob) = (p.user("keeper"), p.user("mallory"), p.user("bob"));
    p.fund(&bob, coin(10_000 * USD, QUOTE)).unwrap();
    let alice = alice_at(&mut p, "6");
    let r = p.liquidate(&keeper, &alice).unwrap();
    assert_eq!(attribute(&r, "mode").as_deref(), Some("underwater"));
    // eleven steps on, the whole lot is worth less than its debt
    p.advance(11 * 60);
    let price = p.lot(1).current_price;
    let all_but_one = 1_000 * ATOM_UNIT - 1;
    p.bid(&mallory, 1, all_but_one, price, coin(1_000 * USD, QUOTE))
        .unwrap();
    let lot = p.lot(1);
    assert!(lot.collateral.amount < cosmwasm_std::Uint256::from(all_but_one));
    // mallory's 1,000 USD bought ⌊1,000 / price⌋; the lot stays open with a large tab
    let bought = ballast_types::math::div_dec(
        Uint128::new(1_000 * USD),
        price,
        ballast_types::math::Rounding::Down,
    )
    .unwrap();
    assert_eq!(
        lot.collateral.amount,
        cosmwasm_std::Uint256::from(1_000 * ATOM_UNIT - bought.u128())
    );
    // a bid that buys all but one unit of what is left is allowed (it leaves more than
    // min_debt owed) ...
    let left = Uint128::try_from(lot.collateral.amount).unwrap().u128();
    let cost = ballast_types::math::mul_dec(
        Uint128::new(left - 1),
        price,
        ballast_types::math::Rounding::Up,
    )
    .unwrap();
    p.bid(&mallory, 1, left - 1, price, coin(cost.u128(), QUOTE))
        .unwrap();
    assert_eq!(p.lot(1).collateral, coin(1, ATOM));
    // ... and keeper2 closes the lot by buying the last unit at ⌈price⌉
    let keeper2 = p.user("keeper2");
    let r = p.bid(&keeper2, 1, 1, price, coin(USD, QUOTE)).unwrap();
    assert_eq!(
        attribute(&r, "paid"),
        Some(format!("{}{QUOTE}", price.to_uint_ceil()))
    );
    let shortfall = attribute(&r, "shortfall").expect("the close recognises the shortfall");
    assert!(shortfall.ends_with(QUOTE), "{shortfall}");
    assert_eq!(p.owed(&alice, QUOTE), Uint128::zero());
    assert_eq!(p.position(&alice).open_lots, 0);
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
}

#[test]
fn a_tiny_debt_beside_dust_collateral_is_recognised_at_once() {
    // Attack: carol repays all but one unit of her debt and withdraws all but one unit of her
    // collateral, hoping a debt too small to auction stays on the books unrecognised when the
    // collateral falls. The dust rule recognises it at once, with no lot and no keeper pay.
    let mut p = build();
    let (carol, keeper, bob) = (p.user("carol"), p.user("keeper"), p.user("bob"));
    p.fund(&bob, coin(10 * USD, QUOTE)).unwrap();
    p.deposit(&carol, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.repay(&carol, coin(6_000 * USD - 1, QUOTE)).unwrap();
    assert_eq!(p.owed(&carol, QUOTE), Uint128::one());
    p.withdraw(&carol, ATOM, Some(1_000 * ATOM_UNIT - 1))
        .unwrap();
    // one uatom at $0.50 is worth half a uusd: health 0.4
    p.set_price(ATOM, d("0.5"));
    assert!(p.position(&carol).liquidatable);
    let fund = p.balance(&p.backstop, QUOTE);
    let r = p.liquidate(&keeper, &carol).unwrap();
    assert_eq!(attribute(&r, "mode").as_deref(), Some("dust"));
    assert!(Protocol::lot_ids(&r).is_empty());
    assert_eq!(attribute(&r, "shortfall"), Some(format!("1{QUOTE}")));
    assert_eq!(attribute(&r, "keeper_pay"), None);
    // the fund covered the unit; carol's books are empty
    assert_eq!(p.balance(&p.backstop, QUOTE), fund - Uint128::one());
    assert_eq!(deficit(&p).amount, Uint128::zero());
    assert_eq!(p.owed(&carol, QUOTE), Uint128::zero());
}

#[test]
fn an_open_lot_delays_the_dust_rule_only_until_it_closes() {
    // Attack: with part of her debt in auction and the rest of her collateral gone to dust,
    // alice's remaining debt waits on the open lot. Liquidate says so (LotsPending); the lot's
    // close recognises the whole shortfall.
    let mut p = build();
    let (keeper, bob, mallory) = (p.user("keeper"), p.user("bob"), p.user("mallory"));
    p.fund(&bob, coin(20_000 * USD, QUOTE)).unwrap();
    let alice = alice_at(&mut p, "8");
    p.liquidate(&keeper, &alice).unwrap();
    // ATOM collapses: her remaining 734 ATOM are dust, the lot is far above the market
    p.set_price(ATOM, d("0.000001"));
    let market_addr = p.market.clone();
    watch(&p).refused(
        &mut p,
        &market_addr,
        &keeper,
        &ExecuteMsg::Liquidate {
            borrower: alice.to_string(),
        },
        &[],
        MarketError::LotsPending {
            account: alice.to_string(),
            open_lots: 1,
        },
    );
    // past its tail the lot restarts at the crash price and sells out for next to nothing
    p.advance(3 * 3600 + 1);
    p.reset(&keeper, 1).unwrap();
    let price = p.lot(1).current_price;
    let r = p
        .bid(&mallory, 1, u128::MAX, price, coin(USD, QUOTE))
        .unwrap();
    assert_eq!(p.lot(1).status, ballast_types::auction::LotStatus::Settled);
    let shortfall = attribute(&r, "shortfall").expect("recognised at the close");
    assert!(shortfall.ends_with(QUOTE), "{shortfall}");
    assert_eq!(p.owed(&alice, QUOTE), Uint128::zero());
    assert_eq!(p.position(&alice).open_lots, 0);
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
}
