//! Attack: bad prices. A Pyth feed (the test double in `packages/testing/src/pyth.rs`, which
//! stores whatever it is given) that is stale, from the future, zero, negative, scaled by an
//! absurd exponent, far from its EMA, or wildly spiked with its EMA; and an absurd fixed price.
//! No refused price can be used to borrow, withdraw, liquidate, observe or restart a lot (a
//! positive price too small to express counts the collateral as zero in a liquidation; a zero
//! or negative print is a broken feed and blocks it); a
//! wild but valid spike is stopped by the oracle circuit; an absurd price is an error, never a
//! panic; and a lot can still fail to the backstop while its price is refused, so a broken feed
//! cannot freeze collateral in auction. Every refusal names its values and moves nothing.

use ballast_oracle::ContractError as OracleError;
use ballast_testing::{Protocol, ProtocolBuilder, ATOM, ATOM_FEED, OSMO, QUOTE};
use ballast_tests::{assert_books_balance, d, holders, Watch, ATOM_UNIT, USD};
use ballast_types::auction::{self, LotStatus};
use ballast_types::market::{self, ExecuteMsg};
use ballast_types::oracle::{self, PriceError};
use ballast_types::pyth::PythPrice;
use cosmwasm_std::{coin, Addr, Decimal, Decimal256, Uint128};

const USERS: [&str; 5] = ["alice", "bob", "carol", "keeper", "mallory"];

type MarketError = ballast_market::ContractError;
type AuctionError = ballast_auction::ContractError;

/// bob supplies 100,000 USD and funds the insurance fund; alice borrows 6,000 USD against
/// 1,000 ATOM ($10, Pyth, health 1.33); mallory holds ATOM and USD to try her luck.
fn world() -> Protocol {
    let mut p = ProtocolBuilder::new()
        .user(
            "mallory",
            vec![coin(100_000 * USD, QUOTE), coin(10_000 * ATOM_UNIT, ATOM)],
        )
        .build();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.fund(&bob, coin(10_000 * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_000 * USD).unwrap();
    p
}

fn watch(p: &Protocol) -> Watch {
    Watch::new(holders(p, &USERS), &[QUOTE, ATOM, OSMO])
}

/// ATOM's feed at `price` × 10^`expo` (EMA the same), published `age` seconds ago.
fn feed(p: &mut Protocol, price: i64, conf: u64, expo: i32, age: i64) {
    let at = p.now() as i64 - age;
    let pyth = PythPrice {
        price,
        conf,
        expo,
        publish_time: at,
    };
    p.set_pyth_feed(ATOM_FEED, pyth.clone(), pyth);
}

fn unavailable(reason: &str) -> PriceError {
    PriceError::PriceUnavailable {
        denom: ATOM.into(),
        reason: reason.into(),
    }
}

/// The feed's positive price is below what the conversion can express.
fn no_value(reason: &str) -> PriceError {
    PriceError::NoValue {
        denom: ATOM.into(),
        reason: reason.into(),
    }
}

/// The messages that need ATOM's price: alice borrowing against it and withdrawing it, a
/// keeper liquidating her, mallory borrowing against fresh ATOM collateral.
fn price_users(p: &Protocol) -> Vec<(Addr, ExecuteMsg)> {
    vec![
        (
            p.user("alice"),
            ExecuteMsg::Borrow {
                denom: QUOTE.into(),
                amount: Uint128::new(USD),
                recipient: None,
            },
        ),
        (
            p.user("alice"),
            ExecuteMsg::Withdraw {
                denom: ATOM.into(),
                amount: Some(Uint128::new(ATOM_UNIT)),
                recipient: None,
            },
        ),
        (
            p.user("keeper"),
            ExecuteMsg::Liquidate {
                borrower: p.user("alice").to_string(),
            },
        ),
    ]
}

#[test]
fn a_stale_feed_stops_borrows_withdrawals_and_liquidations_until_a_fresh_price_is_pushed() {
    // Attack: act on an old price. mallory waits for ATOM's feed to go stale at a price that
    // suits her (a liquidation at yesterday's crash price, a borrow at yesterday's high).
    let mut p = world();
    p.set_circuit(ATOM, Decimal::percent(20), 3600, 1800)
        .unwrap();
    p.refresh_pyth_on_advance = false;
    let at = p.now() as i64;
    // ATOM at $7 (alice's health 0.93), published now; then 61 s pass with no update
    feed(&mut p, 700_000_000, 700_000, -8, 0);
    p.advance(61);
    let stale = PriceError::PriceStale {
        denom: ATOM.into(),
        publish_time: at,
        now: at as u64 + 61,
        max_staleness: 60,
    };
    let w = watch(&p);
    let market_addr = p.market.clone();
    for (sender, msg) in price_users(&p) {
        w.refused(&mut p, &market_addr, &sender, &msg, &[], &stale);
    }
    let oracle_addr = p.oracle.clone();
    let keeper = p.user("keeper");
    w.refused(
        &mut p,
        &oracle_addr,
        &keeper,
        &oracle::ExecuteMsg::Observe {
            denoms: vec![ATOM.into()],
        },
        &[],
        OracleError::Price(stale.clone()),
    );
    // a keeper pushes the update (Pyth is a pull oracle) and liquidates in the same block
    feed(&mut p, 700_000_000, 700_000, -8, 0);
    let alice = p.user("alice");
    p.liquidate(&keeper, &alice).unwrap();
}

#[test]
fn a_price_from_the_future_is_as_stale_as_one_from_the_past() {
    // Attack: a publish time ahead of the block (a clock skew, or a feed replayed from a chain
    // that runs ahead) must not count as fresh for longer than max_staleness.
    let mut p = world();
    let now = p.now();
    feed(&mut p, 700_000_000, 700_000, -8, -61);
    let stale = PriceError::PriceStale {
        denom: ATOM.into(),
        publish_time: now as i64 + 61,
        now,
        max_staleness: 60,
    };
    let w = watch(&p);
    let market_addr = p.market.clone();
    for (sender, msg) in price_users(&p) {
        w.refused(&mut p, &market_addr, &sender, &msg, &[], &stale);
    }
}

#[test]
fn zero_negative_and_absurdly_scaled_prices_are_unavailable_for_every_use() {
    // Attack: a broken feed (zero, negative, or an exponent that scales a sane mantissa to
    // nothing or to beyond 10^59) used to liquidate at a price of nothing or to borrow against
    // infinite collateral. A positive price too small to express (zero after conversion)
    // makes the collateral count as zero in a liquidation: the liquidation goes on (dust path);
    // a zero or negative print is refused for every use, liquidations included.
    let cases: [(i64, i32, PriceError); 6] = [
        (0, -8, unavailable("price is zero")),
        (-5, -8, unavailable("price is negative (-5)")),
        (
            i64::MIN,
            -8,
            unavailable("price is negative (-9223372036854775808)"),
        ),
        (700_000_000, -60, no_value("price is zero after conversion")),
        (700_000_000, 60, unavailable("price conversion overflows")),
        (i64::MAX, 41, unavailable("price conversion overflows")),
    ];
    for (price, expo, refusal) in cases {
        let mut p = world();
        feed(&mut p, price, 0, expo, 0);
        let w = watch(&p);
        let market_addr = p.market.clone();
        let worthless = refusal.means_worthless();
        for (sender, msg) in price_users(&p) {
            if worthless && matches!(msg, ExecuteMsg::Liquidate { .. }) {
                continue;
            }
            w.refused(&mut p, &market_addr, &sender, &msg, &[], &refusal);
        }
        if worthless {
            let (keeper, alice) = (p.user("keeper"), p.user("alice"));
            let response = p.liquidate(&keeper, &alice).unwrap();
            assert_eq!(
                ballast_testing::attribute(&response, "zero_valued").as_deref(),
                Some(ATOM)
            );
            assert_eq!(
                ballast_testing::attribute(&response, "mode").as_deref(),
                Some("dust")
            );
            assert_eq!(
                ballast_testing::attribute(&response, "shortfall"),
                Some(format!("{}{QUOTE}", 6_000 * USD))
            );
        }
        // the oracle's own answer says the same
        let err = p
            .query::<oracle::PriceResponse>(
                &p.oracle,
                &oracle::QueryMsg::Price {
                    denom: ATOM.into(),
                    kind: Some(oracle::PriceKind::Liquidation),
                },
            )
            .unwrap_err();
        assert_eq!(ballast_tests::error_message(&err), refusal.to_string());
    }
}

#[test]
fn a_huge_confidence_interval_or_a_price_far_from_its_ema_cannot_back_a_borrow() {
    // Attack: borrow against a price the feed itself is unsure of (conf u64::MAX), or one that
    // just jumped far above its EMA. Liquidations go on at such a price (Liquidation kind).
    let mut p = world();
    let mallory = p.user("mallory");
    p.deposit(&mallory, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    let market_addr = p.market.clone();
    let borrow = ExecuteMsg::Borrow {
        denom: QUOTE.into(),
        amount: Uint128::new(100 * USD),
        recipient: None,
    };
    feed(&mut p, 1_000_000_000, u64::MAX, -8, 0);
    watch(&p).refused(
        &mut p,
        &market_addr,
        &mallory,
        &borrow,
        &[],
        PriceError::PriceLowConfidence {
            denom: ATOM.into(),
            price: d("10"),
            conf: d("184467440737.09551615"),
            max_confidence: Decimal::percent(2),
        },
    );
    // ×100 with the EMA at $10
    let now = p.now() as i64;
    p.set_pyth_feed(
        ATOM_FEED,
        PythPrice {
            price: 100_000_000_000,
            conf: 1_000_000,
            expo: -8,
            publish_time: now,
        },
        PythPrice {
            price: 1_000_000_000,
            conf: 1_000_000,
            expo: -8,
            publish_time: now,
        },
    );
    watch(&p).refused(
        &mut p,
        &market_addr,
        &mallory,
        &borrow,
        &[],
        PriceError::PriceDeviation {
            denom: ATOM.into(),
            price: d("1000"),
            ema_price: d("10"),
            max_deviation: Decimal::percent(10),
        },
    );
}

#[test]
fn a_wild_spike_that_moved_its_ema_too_is_stopped_by_the_oracle_circuit() {
    // Attack: a spike ×1000 that passes every per-price check (its EMA moved with it, its
    // confidence is tight) to borrow the pool dry against a little ATOM. The circuit, observed
    // at $10, opens on the live breach; liquidations still run.
    let mut p = world();
    let (mallory, keeper) = (p.user("mallory"), p.user("keeper"));
    p.set_circuit(ATOM, Decimal::percent(20), 3600, 1800)
        .unwrap();
    p.observe(&keeper, &[ATOM]).unwrap();
    p.deposit(&mallory, coin(10 * ATOM_UNIT, ATOM)).unwrap();
    p.advance(60);
    p.set_price(ATOM, d("10000"));
    let market_addr = p.market.clone();
    let closes_at = p.now() + 1800;
    watch(&p).refused(
        &mut p,
        &market_addr,
        &mallory,
        &ExecuteMsg::Borrow {
            denom: QUOTE.into(),
            amount: Uint128::new(50_000 * USD),
            recipient: None,
        },
        &[],
        MarketError::OracleCircuitOpen {
            denom: ATOM.into(),
            closes_at,
        },
    );
    // borrowing another asset against it is stopped too, and so is borrowing ATOM itself
    let bob = p.user("bob");
    p.deposit(&bob, coin(100 * ATOM_UNIT, ATOM)).unwrap();
    watch(&p).refused(
        &mut p,
        &market_addr,
        &bob,
        &ExecuteMsg::Borrow {
            denom: ATOM.into(),
            amount: Uint128::new(ATOM_UNIT),
            recipient: None,
        },
        &[],
        MarketError::OracleCircuitOpen {
            denom: ATOM.into(),
            closes_at,
        },
    );
    // the other way, a crash ×1/1000: alice is liquidated while the circuit is open
    p.set_price(ATOM, d("0.01"));
    let alice = p.user("alice");
    let r = p.liquidate(&keeper, &alice).unwrap();
    assert_eq!(
        ballast_testing::attribute(&r, "mode").as_deref(),
        Some("underwater")
    );
}

#[test]
fn an_absurd_fixed_price_overflows_into_errors_never_a_panic() {
    // Attack: an owner mistake sets OSMO's fixed price to Decimal256::MAX. Valuing any OSMO
    // overflows: every action that needs it fails with the overflow, none panics, nothing moves.
    let mut p = world();
    let mallory = p.user("mallory");
    p.deposit(&mallory, coin(10 * ATOM_UNIT, ATOM)).unwrap();
    let bob = p.user("bob");
    p.deposit(&bob, coin(1_000 * USD, OSMO)).unwrap();
    p.set_price(OSMO, Decimal256::MAX);
    let market_addr = p.market.clone();
    let w = watch(&p);
    // borrowing OSMO: the debt's value overflows
    w.refused(
        &mut p,
        &market_addr,
        &mallory,
        &ExecuteMsg::Borrow {
            denom: OSMO.into(),
            amount: Uint128::new(USD),
            recipient: None,
        },
        &[],
        "overflow in value_of",
    );
    // borrowing against OSMO: the collateral's value overflows
    w.refused(
        &mut p,
        &market_addr,
        &bob,
        &ExecuteMsg::Borrow {
            denom: QUOTE.into(),
            amount: Uint128::new(USD),
            recipient: None,
        },
        &[],
        "overflow in value_of",
    );
    // the position query says so too, instead of panicking
    let err = p
        .query::<market::PositionResponse>(
            &p.market,
            &market::QueryMsg::Position {
                account: bob.to_string(),
            },
        )
        .unwrap_err();
    assert_eq!(ballast_tests::error_message(&err), "overflow in value_of");
    // a sane price restores everything
    p.set_price(OSMO, d("0.5"));
    p.borrow(&bob, QUOTE, USD).unwrap();
}

#[test]
fn a_lot_fails_to_the_backstop_even_while_its_price_is_refused() {
    // Attack: keep collateral frozen in auction (and the shortfall unrecognised) by breaking the
    // feed. A restart needs a price and waits for the feed (as Maker's redo does), but the last
    // reset fails the lot without one: a broken feed cannot hold a lot past max_resets.
    let mut p = world();
    let (alice, keeper) = (p.user("alice"), p.user("keeper"));
    p.set_price(ATOM, d("7"));
    p.liquidate(&keeper, &alice).unwrap();
    let tail = 3 * 3600 + 1;
    for _ in 0..2 {
        p.advance(tail);
        p.reset(&keeper, 1).unwrap();
    }
    // the feed breaks (zero) while the lot is due: a restart needs a price and waits for one;
    // a lot due for a reset takes no bids either
    p.advance(tail);
    feed(&mut p, 0, 0, -8, 0);
    let w = watch(&p);
    let auction_addr = p.auction.clone();
    w.refused(
        &mut p,
        &auction_addr,
        &keeper,
        &auction::ExecuteMsg::Reset { lot_id: 1 },
        &[],
        unavailable("price is zero"),
    );
    w.refused(
        &mut p,
        &auction_addr,
        &keeper,
        &auction::ExecuteMsg::Bid {
            lot_id: 1,
            max_collateral: Uint128::MAX,
            max_price: Decimal256::MAX,
            recipient: None,
        },
        &[coin(USD, QUOTE)],
        AuctionError::NeedsReset { lot_id: 1 },
    );
    // the feed recovers for the third restart, then breaks again before the last reset, which
    // fails the lot (max_resets is 3) without any price
    feed(&mut p, 700_000_000, 700_000, -8, 0);
    p.reset(&keeper, 1).unwrap();
    p.advance(tail);
    feed(&mut p, 0, 0, -8, 0);
    assert_eq!(p.lot(1).resets, 3);
    let collateral = p.lot(1).collateral.amount;
    let r = p.reset(&keeper, 1).unwrap();
    assert_eq!(
        ballast_testing::attribute(&r, "failed").as_deref(),
        Some("true")
    );
    assert_eq!(
        ballast_testing::attribute(&r, "keeper_pay"),
        Some(format!(
            "none (price unavailable: {})",
            unavailable("price is zero")
        ))
    );
    let lot = p.lot(1);
    assert_eq!(lot.status, LotStatus::Failed);
    // the backstop took the 900 ATOM and ran the waterfall without ATOM's price: the fund paid
    // its cap (half of its 10,000 USD) of the 6,000 owed and keeps 5/6 of the ATOM; the rest is
    // a deficit with the other 1/6 held in kind by the market for its suppliers
    assert_eq!(collateral, cosmwasm_std::Uint256::from(900 * ATOM_UNIT));
    assert_eq!(p.balance(&p.auction, ATOM), Uint128::zero());
    assert_eq!(p.balance(&p.backstop, ATOM), Uint128::new(750 * ATOM_UNIT));
    let deficit: market::DeficitResponse = p
        .query(
            &p.market,
            &market::QueryMsg::Deficit {
                denom: QUOTE.into(),
            },
        )
        .unwrap();
    assert_eq!(deficit.amount, Uint128::new(1_000 * USD));
    assert_eq!(
        deficit.collateral_in_kind,
        vec![coin(150 * ATOM_UNIT, ATOM)]
    );
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
}
