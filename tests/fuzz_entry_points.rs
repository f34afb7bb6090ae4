//! Fuzzing every contract's entry points on the in-process chain.
//!
//! Each case builds a small live world (positions, a lot in auction, a pending deficit, an oracle
//! circuit, stakers: each part switched on or off by the case), then sends a random sequence of
//! calls to the four contracts:
//!
//! - raw bytes as the execute or query message (almost never JSON);
//! - well-formed but random messages: every `ExecuteMsg` and `QueryMsg` variant of each
//!   contract, with random field values (valid, unknown and empty denoms, valid and invalid
//!   addresses, zero, one, huge and `u128::MAX` amounts, extreme decimals and times, random
//!   parameter sets), from random senders (users, a whale holding `u128::MAX`, the owner, the
//!   guardian, and the contracts themselves) with random funds;
//! - mutations of such messages' JSON (bytes flipped, inserted or deleted, values replaced by
//!   wrong types, out-of-range numbers or nulls, truncation, wrapping);
//! - between them, time jumps and random Pyth prices (negative, zero, huge exponents, stale
//!   and future publish times).
//!
//! After every call:
//! 1. nothing panicked: each execute and query runs inside `std::panic::catch_unwind`, so a
//!    panic in contract code (which cw-multi-test runs in this thread) fails the case with the
//!    call that caused it (`the_harness_catches_a_panicking_contract` proves the harness sees one);
//! 2. a failed call moved no coin: every holder's bank balance in every denom is unchanged;
//! 3. after a successful call from a user (not the owner, who may lower a cap below what is in
//!    auction, nor a sibling contract, whose messages the others trust by design), every
//!    contract's books still reconcile with the bank to the unit (`common::check_books`).
//!
//! CI-sized by default; `PROPTEST_CASES=5000 cargo test --release -p ballast-tests --test
//! fuzz_entry_points` runs a long one. `FUZZ_STATS=1` prints, per message kind, how many calls
//! were made and how many succeeded; `FUZZ_WHY=<kind>` (e.g. `bid`) prints why that kind's
//! calls were refused (both with `-- --nocapture`). Failing seeds are kept in
//! `tests/proptest-regressions/fuzz_entry_points.txt`.

mod common;

use ballast_tests::{proptest_config, ATOM_UNIT, USD};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

use ballast_testing::pyth::PythMockExecuteMsg;
use ballast_testing::{
    PriceSetup, Protocol, ProtocolBuilder, ATOM, ATOM_FEED, OSMO, QUOTE, USER_BALANCE,
};
use ballast_types::auction::{self, AuctionParams, Curve};
use ballast_types::backstop::{self, BackstopParams};
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{self, AssetParams, InterestModel};
use ballast_types::oracle::{self, PriceKind, PriceSource};
use ballast_types::pyth::PythPrice;
use cosmwasm_std::{
    coin, Addr, Binary, Coin, CosmosMsg, Decimal, Decimal256, DepsMut, Empty, Env, MessageInfo,
    QueryRequest, Response, StdResult, Uint128, Uint256, WasmMsg, WasmQuery,
};
use cw_multi_test::{ContractWrapper, Executor};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::TestCaseError;

/// Cases in the default (CI) run; `PROPTEST_CASES` overrides.
const DEFAULT_CASES: u32 = 160;
/// A denom no contract lists.
const UNLISTED: &str = "ufoo";
/// Every denom a fuzzed call may send.
const FUNDS_DENOMS: [&str; 4] = [QUOTE, ATOM, OSMO, UNLISTED];
/// Users of the world (each holds `USER_BALANCE` of every listed denom, and some `ufoo`).
const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "keeper", "whale"];

// ---------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------

/// What a case's world has besides plain positions.
#[derive(Clone, Debug)]
struct Shape {
    /// alice's account is in auction (lot 1).
    lot: bool,
    /// carol went bankrupt: a deficit in uusd is pending, ATOM absorbed or held in kind.
    deficit: bool,
    /// ATOM has circuit parameters and an observation.
    circuit: bool,
}

fn build(shape: &Shape) -> Protocol {
    // the whale holds more than fits in 128 bits (a chain's bank is 256-bit), so it can send
    // u128::MAX to any message, and more
    let whale_balance = Uint256::from(u128::MAX) * Uint256::from(4u8);
    let mut builder = ProtocolBuilder::new().user(
        "whale",
        [QUOTE, ATOM, OSMO, UNLISTED]
            .iter()
            .map(|d| Coin::new(whale_balance, *d))
            .collect(),
    );
    for name in ["alice", "bob", "carol", "dave", "keeper"] {
        builder = builder.user(
            name,
            vec![
                coin(USER_BALANCE, QUOTE),
                coin(USER_BALANCE, ATOM),
                coin(USER_BALANCE, OSMO),
                coin(1_000_000, UNLISTED),
            ],
        );
    }
    let mut p = builder.build();
    let [alice, bob, carol, dave, keeper, whale] = USERS.map(|n| p.user(n));
    // everyone supplies every asset and owes a little, so that random withdrawals, borrows and
    // repays find something to act on
    for who in [&bob, &dave, &keeper, &whale] {
        p.deposit(who, coin(1_000 * USD, QUOTE)).unwrap();
        p.deposit(who, coin(100 * ATOM_UNIT, ATOM)).unwrap();
        p.deposit(who, coin(10_000 * USD, OSMO)).unwrap();
        p.borrow(who, OSMO, 1_000 * USD).unwrap();
        p.stake(who, coin(100 * USD, QUOTE)).unwrap();
    }
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&bob, coin(10_000_000 * USD, OSMO)).unwrap();
    p.fund(&bob, coin(2_000 * USD, QUOTE)).unwrap();
    p.stake(&dave, coin(500 * USD, QUOTE)).unwrap();
    // a levered supplier of uusd (ADL's first candidate) and two ATOM borrowers
    p.deposit(&dave, coin(10_000 * USD, QUOTE)).unwrap();
    p.borrow(&dave, OSMO, 8_000 * USD).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    if shape.circuit {
        p.set_circuit(ATOM, Decimal::percent(30), 3600, 1800)
            .unwrap();
        p.observe(&keeper, &[ATOM]).unwrap();
    }
    if shape.deficit {
        p.deposit(&carol, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
        p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
        p.set_price(ATOM, Decimal256::from_str("0.0009").unwrap());
        p.liquidate(&keeper, &carol).unwrap();
        p.set_price(ATOM, Decimal256::from_ratio(10u8, 1u8));
    }
    if shape.lot {
        p.set_price(ATOM, Decimal256::from_ratio(8u8, 1u8));
        p.liquidate(&keeper, &alice).unwrap();
    }
    p
}

/// Every address a call may come from or name, in a fixed order: the users, the owner, the
/// guardian, then the contracts (market, oracle, auction, backstop, Pyth feed).
fn addresses(p: &Protocol) -> Vec<Addr> {
    let mut all: Vec<Addr> = USERS.iter().map(|n| p.user(n)).collect();
    all.extend([
        p.owner.clone(),
        p.guardian.clone(),
        p.market.clone(),
        p.oracle.clone(),
        p.auction.clone(),
        p.backstop.clone(),
        p.pyth.clone(),
    ]);
    all
}

/// Index in `addresses` of the first contract: calls from here on are the siblings' own.
const FIRST_CONTRACT: usize = USERS.len() + 2;

/// Bank balances of every address in every denom a call may move.
fn bank(p: &Protocol, holders: &[Addr]) -> Vec<Uint256> {
    let mut out = vec![];
    for a in holders {
        for d in FUNDS_DENOMS {
            out.push(p.app.wrap().query_balance(a, d).expect("balance").amount);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The harness: one raw execute or query, with panics caught
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Outcome {
    Ok,
    Failed(String),
    Panicked(String),
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string())
}

/// Executes `msg` (raw bytes) on `contract` from `sender` with `funds`, as a chain would deliver
/// it: a `WasmMsg::Execute` with a `Binary` message.
fn execute_raw(
    p: &mut Protocol,
    sender: &Addr,
    contract: &Addr,
    msg: Vec<u8>,
    funds: Vec<Coin>,
) -> Outcome {
    let wasm = CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: Binary::new(msg),
        funds,
    });
    match catch_unwind(AssertUnwindSafe(|| p.app.execute(sender.clone(), wasm))) {
        Ok(Ok(_)) => Outcome::Ok,
        Ok(Err(e)) => Outcome::Failed(e.to_string()),
        Err(payload) => Outcome::Panicked(panic_text(payload)),
    }
}

/// A smart query with raw bytes as its message.
fn query_raw(p: &Protocol, contract: &Addr, msg: Vec<u8>) -> Outcome {
    let request: QueryRequest<Empty> = QueryRequest::Wasm(WasmQuery::Smart {
        contract_addr: contract.to_string(),
        msg: Binary::new(msg),
    });
    match catch_unwind(AssertUnwindSafe(|| {
        p.app.wrap().query::<serde_json::Value>(&request)
    })) {
        Ok(Ok(_)) => Outcome::Ok,
        Ok(Err(e)) => Outcome::Failed(e.to_string()),
        Err(payload) => Outcome::Panicked(panic_text(payload)),
    }
}

// ---------------------------------------------------------------------------------------------
// Field strategies
// ---------------------------------------------------------------------------------------------

fn u128s() -> BoxedStrategy<u128> {
    prop_oneof![
        2 => Just(0u128),
        2 => Just(1u128),
        4 => 0u128..10_000,
        12 => 0u128..100_000_000_000_000,
        2 => Just(u128::MAX),
        1 => Just(u128::MAX - 1),
        2 => any::<u128>(),
    ]
    .boxed()
}

fn uint() -> BoxedStrategy<Uint128> {
    u128s().prop_map(Uint128::new).boxed()
}

fn u64s() -> BoxedStrategy<u64> {
    prop_oneof![
        2 => Just(0u64),
        1 => Just(1u64),
        4 => 0u64..10,
        4 => 0u64..200_000,
        2 => Just(u64::MAX),
        2 => any::<u64>(),
    ]
    .boxed()
}

fn u32s() -> BoxedStrategy<u32> {
    prop_oneof![4 => 0u32..60, 1 => Just(u32::MAX), 1 => any::<u32>()].boxed()
}

/// Every circuit level; a level past the halt is not expressible (the raw mutations send those).
fn circuit_level() -> BoxedStrategy<CircuitLevel> {
    prop_oneof![
        Just(CircuitLevel::Normal),
        Just(CircuitLevel::NoBorrows),
        Just(CircuitLevel::NoCollateralWithdrawals),
        Just(CircuitLevel::Halt),
    ]
    .boxed()
}

fn dec() -> BoxedStrategy<Decimal> {
    prop_oneof![
        2 => Just(Decimal::zero()),
        2 => Just(Decimal::one()),
        6 => (0u64..300).prop_map(Decimal::percent),
        2 => (0u64..5_000).prop_map(Decimal::permille),
        1 => Just(Decimal::MAX),
        2 => any::<u128>().prop_map(|a| Decimal::new(Uint128::new(a))),
    ]
    .boxed()
}

fn dec256() -> BoxedStrategy<Decimal256> {
    prop_oneof![
        2 => Just(Decimal256::zero()),
        2 => Just(Decimal256::one()),
        4 => (0u64..2_000).prop_map(Decimal256::percent),
        3 => Just(Decimal256::MAX),
        2 => (1u128..1_000).prop_map(|a| Decimal256::new(Uint256::from(a))),
        1 => Just(Decimal256::MAX),
        2 => any::<u128>().prop_map(|a| Decimal256::new(Uint256::from(a))),
        1 => any::<u128>().prop_map(|a| Decimal256::new(Uint256::from(a) * Uint256::from(a))),
    ]
    .boxed()
}

fn denom() -> BoxedStrategy<String> {
    prop_oneof![
        4 => Just(QUOTE.to_string()),
        4 => Just(ATOM.to_string()),
        3 => Just(OSMO.to_string()),
        1 => Just(UNLISTED.to_string()),
        1 => Just(String::new()),
        1 => "[a-zA-Z/0-9]{1,12}",
        1 => Just("d".repeat(200)),
    ]
    .boxed()
}

fn denoms() -> BoxedStrategy<Vec<String>> {
    prop::collection::vec(denom(), 0..4).boxed()
}

fn addr(known: &[String]) -> BoxedStrategy<String> {
    let known = known.to_vec();
    let upper = known.clone();
    prop_oneof![
        8 => prop::sample::select(known),
        1 => prop::sample::select(upper).prop_map(|a| a.to_uppercase()),
        1 => Just(String::new()),
        1 => Just("not an address".to_string()),
        1 => "[a-z0-9]{1,70}",
    ]
    .boxed()
}

fn lot_id() -> BoxedStrategy<u64> {
    prop_oneof![6 => 0u64..5, 1 => Just(u64::MAX), 1 => any::<u64>()].boxed()
}

fn limit() -> BoxedStrategy<Option<u32>> {
    proptest::option::of(u32s()).boxed()
}

fn coins_list() -> BoxedStrategy<Vec<Coin>> {
    prop::collection::vec((denom(), u128s()).prop_map(|(d, a)| Coin::new(a, d)), 0..3).boxed()
}

fn asset_params() -> BoxedStrategy<AssetParams> {
    (
        (dec(), dec(), dec(), dec()),
        (dec(), dec(), dec(), dec()),
        (uint(), uint(), uint()),
        (any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (max_ltv, liquidation_threshold, liquidation_penalty, reserve_factor),
                (base, slope_1, slope_2, optimal_utilization),
                (supply_cap, borrow_cap, min_debt),
                (deposit_enabled, borrow_enabled, collateral_enabled),
            )| AssetParams {
                max_ltv,
                liquidation_threshold,
                liquidation_penalty,
                reserve_factor,
                interest: InterestModel {
                    base,
                    slope_1,
                    slope_2,
                    optimal_utilization,
                },
                supply_cap,
                borrow_cap,
                min_debt,
                deposit_enabled,
                borrow_enabled,
                collateral_enabled,
            },
        )
        .boxed()
}

/// Mostly valid parameters (the defaults with one field replaced), so that owner updates land.
fn auction_params() -> BoxedStrategy<AuctionParams> {
    let curve = prop_oneof![
        u64s().prop_map(|tau| Curve::Linear { tau }),
        (dec(), u64s()).prop_map(|(cut, step)| Curve::Exponential { cut, step }),
    ];
    (
        (dec(), curve, u64s(), dec(), u32s()),
        (uint(), dec(), uint()),
        prop::collection::vec((denom(), uint()), 0..3),
        0u8..10,
    )
        .prop_map(
            |((buf, curve, tail, cusp, max_resets), (tip, chip, max_in_auction), caps, keep)| {
                let mut p = ballast_testing::default_auction_params();
                match keep {
                    0 => p.buf = buf,
                    1 => p.curve = curve,
                    2 => p.tail = tail,
                    3 => p.cusp = cusp,
                    4 => p.max_resets = max_resets,
                    5 => p.tip = tip,
                    6 => p.chip = chip,
                    7 => p.max_in_auction = max_in_auction,
                    8 => p.max_in_auction_per_denom = caps,
                    _ => {
                        p = AuctionParams {
                            buf,
                            curve,
                            tail,
                            cusp,
                            max_resets,
                            tip,
                            chip,
                            max_in_auction,
                            max_in_auction_per_denom: caps,
                        }
                    }
                }
                p
            },
        )
        .boxed()
}

fn backstop_params() -> BoxedStrategy<BackstopParams> {
    (
        (denom(), dec(), u64s(), dec(), u64s()),
        (prop::collection::vec(dec(), 0..20), dec()),
        0u8..8,
    )
        .prop_map(
            |(
                (stake_denom, max_cover_per_event, stake_cooldown, max_drawdown, drawdown_window),
                (adl_buckets, adl_min_hf),
                keep,
            )| {
                let mut p = ballast_testing::default_backstop_params();
                match keep {
                    0 => p.stake_denom = stake_denom,
                    1 => p.max_cover_per_event = max_cover_per_event,
                    2 => p.stake_cooldown = stake_cooldown,
                    3 => p.max_drawdown = max_drawdown,
                    4 => p.drawdown_window = drawdown_window,
                    5 => p.adl_buckets = adl_buckets,
                    6 => p.adl_min_hf = adl_min_hf,
                    _ => {
                        p = BackstopParams {
                            stake_denom,
                            max_cover_per_event,
                            stake_cooldown,
                            max_drawdown,
                            drawdown_window,
                            adl_buckets,
                            adl_min_hf,
                        }
                    }
                }
                p
            },
        )
        .boxed()
}

fn feed_id() -> BoxedStrategy<String> {
    prop_oneof![
        3 => Just(ATOM_FEED.to_string()),
        1 => Just(format!("0x{ATOM_FEED}")),
        1 => "[0-9a-f]{64}",
        1 => "[0-9a-z]{0,70}",
    ]
    .boxed()
}

fn price_source(known: &[String]) -> BoxedStrategy<PriceSource> {
    prop_oneof![
        dec256().prop_map(|price| PriceSource::Fixed { price }),
        (
            addr(known),
            feed_id(),
            u64s(),
            (dec(), dec(), dec()),
            any::<u8>()
        )
            .prop_map(
                |(
                    contract,
                    feed_id,
                    max_staleness,
                    (max_confidence, max_deviation, conf_multiplier),
                    denom_decimals,
                )| PriceSource::Pyth {
                    contract,
                    feed_id,
                    max_staleness,
                    max_confidence,
                    max_deviation,
                    conf_multiplier,
                    denom_decimals,
                }
            ),
    ]
    .boxed()
}

fn kind() -> BoxedStrategy<Option<PriceKind>> {
    proptest::option::of(prop_oneof![
        Just(PriceKind::Default),
        Just(PriceKind::Liquidation)
    ])
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Messages: every variant of every contract, random fields
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Market,
    Oracle,
    Auction,
    Backstop,
}

const TARGETS: [Target; 4] = [
    Target::Market,
    Target::Oracle,
    Target::Auction,
    Target::Backstop,
];

fn contract_of(p: &Protocol, target: Target) -> Addr {
    match target {
        Target::Market => p.market.clone(),
        Target::Oracle => p.oracle.clone(),
        Target::Auction => p.auction.clone(),
        Target::Backstop => p.backstop.clone(),
    }
}

/// A typed message, kept typed so that a failing case prints readably.
#[derive(Clone, Debug)]
enum Msg {
    Market(market::ExecuteMsg),
    Oracle(oracle::ExecuteMsg),
    Auction(auction::ExecuteMsg),
    Backstop(backstop::ExecuteMsg),
    MarketQuery(market::QueryMsg),
    OracleQuery(oracle::QueryMsg),
    AuctionQuery(auction::QueryMsg),
    BackstopQuery(backstop::QueryMsg),
}

impl Msg {
    fn json(&self) -> Vec<u8> {
        match self {
            Msg::Market(m) => serde_json::to_vec(m),
            Msg::Oracle(m) => serde_json::to_vec(m),
            Msg::Auction(m) => serde_json::to_vec(m),
            Msg::Backstop(m) => serde_json::to_vec(m),
            Msg::MarketQuery(m) => serde_json::to_vec(m),
            Msg::OracleQuery(m) => serde_json::to_vec(m),
            Msg::AuctionQuery(m) => serde_json::to_vec(m),
            Msg::BackstopQuery(m) => serde_json::to_vec(m),
        }
        .expect("messages serialise")
    }
}

fn union<T: std::fmt::Debug + 'static>(arms: Vec<BoxedStrategy<T>>) -> BoxedStrategy<T> {
    Union::new(arms).boxed()
}

/// A union whose arms move value more often than they configure (weights in arm order).
fn weighted<T: std::fmt::Debug + 'static>(
    weights: &[u32],
    arms: Vec<BoxedStrategy<T>>,
) -> BoxedStrategy<T> {
    assert_eq!(weights.len(), arms.len(), "one weight per arm");
    Union::new_weighted(weights.iter().copied().zip(arms).collect()).boxed()
}

fn market_execute(known: &[String]) -> BoxedStrategy<Msg> {
    use market::ExecuteMsg as M;
    let a = || addr(known);
    let oa = || proptest::option::of(addr(known));
    weighted(
        &[3, 3, 3, 3, 1, 3, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        vec![
            oa().prop_map(|on_behalf_of| M::Deposit { on_behalf_of })
                .boxed(),
            (denom(), proptest::option::of(uint()), oa())
                .prop_map(|(denom, amount, recipient)| M::Withdraw {
                    denom,
                    amount,
                    recipient,
                })
                .boxed(),
            (denom(), uint(), oa())
                .prop_map(|(denom, amount, recipient)| M::Borrow {
                    denom,
                    amount,
                    recipient,
                })
                .boxed(),
            oa().prop_map(|on_behalf_of| M::Repay { on_behalf_of })
                .boxed(),
            (denom(), any::<bool>())
                .prop_map(|(denom, enable)| M::SetCollateral { denom, enable })
                .boxed(),
            a().prop_map(|borrower| M::Liquidate { borrower }).boxed(),
            (a(), lot_id(), any::<bool>(), uint())
                .prop_map(
                    |(borrower, lot_id, close, penalty_collected)| M::RepayFromAuction {
                        borrower,
                        lot_id,
                        close,
                        penalty_collected,
                    },
                )
                .boxed(),
            (a(), lot_id(), uint())
                .prop_map(
                    |(borrower, lot_id, penalty_collected)| M::ReturnCollateral {
                        borrower,
                        lot_id,
                        penalty_collected,
                    },
                )
                .boxed(),
            a().prop_map(|account| M::Poke { account }).boxed(),
            (denom(), asset_params())
                .prop_map(|(denom, params)| M::InitAsset { denom, params })
                .boxed(),
            (denom(), asset_params())
                .prop_map(|(denom, params)| M::UpdateAssetParams { denom, params })
                .boxed(),
            circuit_level()
                .prop_map(|level| M::SetCircuitLevel { level })
                .boxed(),
            (
                (oa(), oa(), oa(), oa()),
                (
                    proptest::option::of(dec()),
                    proptest::option::of(dec()),
                    proptest::option::of(u64s()),
                    proptest::option::of(u64s()),
                    proptest::option::of(uint()),
                ),
            )
                .prop_map(
                    |(
                        (guardian, oracle, auction, backstop),
                        (target_hf, full_liquidation_hf, ramp_duration, grace_period, dust_value),
                    )| M::UpdateConfig {
                        guardian,
                        oracle,
                        auction,
                        backstop,
                        target_hf,
                        full_liquidation_hf,
                        ramp_duration,
                        grace_period,
                        dust_value,
                    },
                )
                .boxed(),
            a().prop_map(|owner| M::ProposeOwner { owner }).boxed(),
            Just(M::AcceptOwner {}).boxed(),
            (denom(), a(), proptest::option::of(lot_id()))
                .prop_map(|(denom, borrower, lot_id)| M::ApplyCover {
                    denom,
                    borrower,
                    lot_id,
                })
                .boxed(),
            (denom(), u32s())
                .prop_map(|(denom, limit)| M::RunAdl { denom, limit })
                .boxed(),
            (circuit_level(), u64s())
                .prop_map(|(level, until)| M::TripBreaker { level, until })
                .boxed(),
            proptest::option::of(denoms())
                .prop_map(|denoms| M::ClaimReserves { denoms })
                .boxed(),
        ],
    )
    .prop_map(Msg::Market)
    .boxed()
}

fn oracle_execute(known: &[String]) -> BoxedStrategy<Msg> {
    use oracle::ExecuteMsg as M;
    weighted(
        &[2, 1, 1, 3, 1, 1],
        vec![
            (denom(), price_source(known))
                .prop_map(|(denom, source)| M::SetSource { denom, source })
                .boxed(),
            denom().prop_map(|denom| M::RemoveSource { denom }).boxed(),
            (denom(), dec(), u64s(), u64s())
                .prop_map(
                    |(denom, max_move, move_window, cooldown)| M::UpdateCircuitParams {
                        denom,
                        max_move,
                        move_window,
                        cooldown,
                    },
                )
                .boxed(),
            prop::collection::vec(denom(), 0..25)
                .prop_map(|denoms| M::Observe { denoms })
                .boxed(),
            addr(known)
                .prop_map(|owner| M::ProposeOwner { owner })
                .boxed(),
            Just(M::AcceptOwner {}).boxed(),
        ],
    )
    .prop_map(Msg::Oracle)
    .boxed()
}

fn auction_execute(known: &[String]) -> BoxedStrategy<Msg> {
    use auction::ExecuteMsg as M;
    let a = || addr(known);
    weighted(
        &[1, 1, 5, 3, 2, 1, 1, 1],
        vec![
            (
                (a(), denom(), uint(), a(), lot_id()),
                (uint(), dec256(), dec256(), uint()),
            )
                .prop_map(
                    |(
                        (borrower, debt_denom, debt, keeper, lot_id),
                        (penalty, price, debt_price, min_debt),
                    )| M::StartAuction {
                        borrower,
                        debt_denom,
                        debt,
                        keeper,
                        lot_id,
                        penalty,
                        price,
                        debt_price,
                        min_debt,
                    },
                )
                .boxed(),
            denom()
                .prop_map(|proceeds_denom| M::StartSale { proceeds_denom })
                .boxed(),
            (lot_id(), uint(), dec256(), proptest::option::of(a()))
                .prop_map(|(lot_id, max_collateral, max_price, recipient)| M::Bid {
                    lot_id,
                    max_collateral,
                    max_price,
                    recipient,
                })
                .boxed(),
            lot_id().prop_map(|lot_id| M::Reset { lot_id }).boxed(),
            proptest::option::of(denoms())
                .prop_map(|denoms| M::ClaimKeeperPay { denoms })
                .boxed(),
            auction_params()
                .prop_map(|params| M::UpdateParams { params })
                .boxed(),
            a().prop_map(|owner| M::ProposeOwner { owner }).boxed(),
            Just(M::AcceptOwner {}).boxed(),
        ],
    )
    .prop_map(Msg::Auction)
    .boxed()
}

fn backstop_execute(known: &[String]) -> BoxedStrategy<Msg> {
    use backstop::ExecuteMsg as M;
    let a = || addr(known);
    weighted(
        &[2, 4, 3, 2, 1, 1, 2, 2, 1, 2, 1, 1],
        vec![
            Just(M::Fund {}).boxed(),
            Just(M::Stake {}).boxed(),
            prop_oneof![3 => (1u128..200_000_000).prop_map(Uint128::new), 1 => uint()]
                .prop_map(|amount| M::Unstake { amount })
                .boxed(),
            Just(M::Claim {}).boxed(),
            (denom(), uint(), a(), coins_list(), uint())
                .prop_map(|(denom, amount, borrower, collateral, penalty_collected)| {
                    M::CoverShortfall {
                        denom,
                        amount,
                        borrower,
                        collateral,
                        penalty_collected,
                    }
                })
                .boxed(),
            lot_id().prop_map(|lot_id| M::AbsorbLot { lot_id }).boxed(),
            (denom(), u32s())
                .prop_map(|(denom, limit)| M::AdlStep { denom, limit })
                .boxed(),
            (denom(), uint(), proptest::option::of(denom()))
                .prop_map(|(denom, amount, proceeds_denom)| M::SellAbsorbed {
                    denom,
                    amount,
                    proceeds_denom,
                })
                .boxed(),
            (a(), denom(), u128s())
                .prop_map(|(keeper, denom, amount)| M::PayKeeper {
                    keeper,
                    amount: Coin::new(amount, denom),
                })
                .boxed(),
            backstop_params()
                .prop_map(|params| M::UpdateParams { params })
                .boxed(),
            a().prop_map(|owner| M::ProposeOwner { owner }).boxed(),
            Just(M::AcceptOwner {}).boxed(),
        ],
    )
    .prop_map(Msg::Backstop)
    .boxed()
}

fn start_after() -> BoxedStrategy<Option<String>> {
    proptest::option::of(prop_oneof![denom(), "[a-z0-9]{0,60}"]).boxed()
}

fn market_query(known: &[String]) -> BoxedStrategy<Msg> {
    use market::QueryMsg as Q;
    union(vec![
        Just(Q::Config {}).boxed(),
        denom().prop_map(|denom| Q::Asset { denom }).boxed(),
        (start_after(), limit())
            .prop_map(|(start_after, limit)| Q::Assets { start_after, limit })
            .boxed(),
        addr(known)
            .prop_map(|account| Q::Position { account })
            .boxed(),
        (
            proptest::option::of(prop_oneof![addr(known), "[a-z0-9]{0,60}"]),
            limit(),
        )
            .prop_map(|(start_after, limit)| Q::Liquidatable { start_after, limit })
            .boxed(),
        Just(Q::CircuitLevel {}).boxed(),
        denom().prop_map(|denom| Q::Deficit { denom }).boxed(),
        Just(Q::Deficits {}).boxed(),
        (denom(), limit())
            .prop_map(|(denom, limit)| Q::AdlQueue { denom, limit })
            .boxed(),
    ])
    .prop_map(Msg::MarketQuery)
    .boxed()
}

fn oracle_query() -> BoxedStrategy<Msg> {
    use oracle::QueryMsg as Q;
    union(vec![
        Just(Q::Config {}).boxed(),
        (denom(), kind())
            .prop_map(|(denom, kind)| Q::Price { denom, kind })
            .boxed(),
        (prop::collection::vec(denom(), 0..30), kind())
            .prop_map(|(denoms, kind)| Q::Prices { denoms, kind })
            .boxed(),
        denom().prop_map(|denom| Q::Source { denom }).boxed(),
        (start_after(), limit())
            .prop_map(|(start_after, limit)| Q::Sources { start_after, limit })
            .boxed(),
        denom().prop_map(|denom| Q::Circuit { denom }).boxed(),
    ])
    .prop_map(Msg::OracleQuery)
    .boxed()
}

fn auction_query(known: &[String]) -> BoxedStrategy<Msg> {
    use auction::QueryMsg as Q;
    union(vec![
        Just(Q::Config {}).boxed(),
        lot_id().prop_map(|lot_id| Q::Lot { lot_id }).boxed(),
        (proptest::option::of(lot_id()), limit())
            .prop_map(|(start_after, limit)| Q::Lots { start_after, limit })
            .boxed(),
        (proptest::option::of(lot_id()), limit())
            .prop_map(|(start_after, limit)| Q::ActiveLots { start_after, limit })
            .boxed(),
        Just(Q::InAuction {}).boxed(),
        addr(known)
            .prop_map(|keeper| Q::KeeperPay { keeper })
            .boxed(),
    ])
    .prop_map(Msg::AuctionQuery)
    .boxed()
}

fn backstop_query(known: &[String]) -> BoxedStrategy<Msg> {
    use backstop::QueryMsg as Q;
    union(vec![
        Just(Q::Fund {}).boxed(),
        denom().prop_map(|denom| Q::Deficit { denom }).boxed(),
        Just(Q::Deficits {}).boxed(),
        (denom(), limit())
            .prop_map(|(denom, limit)| Q::AdlQueue { denom, limit })
            .boxed(),
        addr(known)
            .prop_map(|address| Q::Staker { address })
            .boxed(),
        Just(Q::Config {}).boxed(),
        Just(Q::Absorbed {}).boxed(),
    ])
    .prop_map(Msg::BackstopQuery)
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Bodies: raw bytes, typed messages, mutated JSON
// ---------------------------------------------------------------------------------------------

/// JSON values that replace a string or number of a message: wrong types, out-of-range and
/// malformed numbers, nulls.
const REPLACEMENTS: [&str; 16] = [
    "null",
    "true",
    "[]",
    "{}",
    "-1",
    "1.5",
    "1e400",
    "\"-1\"",
    "\"\"",
    "\"1e40\"",
    "\"340282366920938463463374607431768211456\"",
    "\"115792089237316195423570985008687907853269984665640564039457584007913129639936\"",
    "\"1.0000000000000000001\"",
    "\"0x00\"",
    "18446744073709551616",
    "\"\\u0000\"",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Overwrites byte `at` (modulo the length) with `byte`.
    Flip {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        byte: u8,
    },
    Delete {
        at: usize,
        len: usize,
    },
    /// Replaces the `nth` JSON scalar (string or number) with `REPLACEMENTS[with]`.
    Replace {
        nth: usize,
        with: usize,
    },
    Truncate {
        at: usize,
    },
    /// `[msg]`, or `{"msg": msg}`, or the message twice in one object.
    Wrap {
        how: u8,
    },
}

fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        2 => (any::<usize>(), prop_oneof![any::<u8>(), prop::sample::select(b"{}[]\":,0-9 ".to_vec())])
            .prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        1 => (any::<usize>(), 1usize..8).prop_map(|(at, len)| Mutation::Delete { at, len }),
        5 => (0usize..12, 0..REPLACEMENTS.len()).prop_map(|(nth, with)| Mutation::Replace { nth, with }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (0u8..3).prop_map(|how| Mutation::Wrap { how }),
    ]
    .boxed()
}

/// Byte ranges of the JSON scalars (strings with their quotes, numbers) of `json`.
fn scalars(json: &[u8]) -> Vec<(usize, usize)> {
    let mut out = vec![];
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < json.len() && json[i] != b'"' {
                    if json[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = (i + 1).min(json.len());
                // a key is followed by a colon: only values are replaced
                let next = json[end..].iter().find(|b| !b.is_ascii_whitespace());
                if next != Some(&b':') {
                    out.push((start, end));
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < json.len()
                    && matches!(json[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                out.push((start, i));
            }
            _ => i += 1,
        }
    }
    out
}

fn mutate(mut json: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = json.len().max(1);
        match *m {
            Mutation::Flip { at, byte } => {
                if !json.is_empty() {
                    json[at % len] = byte;
                }
            }
            Mutation::Insert { at, byte } => json.insert(at % (json.len() + 1), byte),
            Mutation::Delete { at, len: n } => {
                if !json.is_empty() {
                    let start = at % len;
                    let end = (start + n).min(json.len());
                    json.drain(start..end);
                }
            }
            Mutation::Replace { nth, with } => {
                let spots = scalars(&json);
                if !spots.is_empty() {
                    let (start, end) = spots[nth % spots.len()];
                    json.splice(start..end, REPLACEMENTS[with].bytes());
                }
            }
            Mutation::Truncate { at } => json.truncate(at % len),
            Mutation::Wrap { how } => {
                let inner = String::from_utf8_lossy(&json).to_string();
                let trimmed = inner.trim_start_matches('{').trim_end_matches('}');
                json = match how {
                    0 => format!("[{inner}]"),
                    1 => format!("{{\"msg\":{inner}}}"),
                    _ => format!("{{{trimmed},{trimmed}}}"),
                }
                .into_bytes();
            }
        }
    }
    json
}

#[derive(Clone, Debug)]
enum Body {
    Bytes(Vec<u8>),
    Typed(Msg),
    Mutated(Msg, Vec<Mutation>),
}

impl Body {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Bytes(b) => b.clone(),
            Body::Typed(m) => m.json(),
            Body::Mutated(m, mutations) => mutate(m.json(), mutations),
        }
    }
}

fn raw_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..200),
        1 => "[ -~]{0,80}".prop_map(String::into_bytes),
        1 => Just(b"{}".to_vec()),
        1 => Just(b"null".to_vec()),
        1 => (1usize..400).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()),
        1 => (1usize..400).prop_map(|depth| {
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes()
        }),
    ]
    .boxed()
}

fn body(typed: BoxedStrategy<Msg>) -> BoxedStrategy<Body> {
    prop_oneof![
        2 => raw_bytes().prop_map(Body::Bytes),
        10 => typed.clone().prop_map(Body::Typed),
        3 => (typed, prop::collection::vec(mutation(), 1..4))
            .prop_map(|(m, mutations)| Body::Mutated(m, mutations)),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Call {
    Execute {
        target: Target,
        sender: Who,
        funds: Funds,
        body: Body,
    },
    Query {
        target: Target,
        body: Body,
    },
    /// Moves the chain ahead (Pyth feeds republished at their set price).
    Advance {
        seconds: u64,
    },
    /// Moves a listed denom's price (ATOM through its Pyth feed, the others' fixed sources) to
    /// `permille` of what it is.
    Price {
        denom: usize,
        permille: u32,
    },
    /// Publishes a raw Pyth price and EMA for ATOM (the feed is a test double that stores
    /// anything: negative, zero, huge exponents, stale or future times).
    Pyth {
        price: i64,
        conf: u64,
        expo: i32,
        age: i64,
        ema: i64,
    },
}

/// Who sends a call: an explicit address, or one that fits the message (the owner for owner
/// messages, a user otherwise), so that most calls get past the caller checks.
#[derive(Clone, Debug)]
enum Who {
    Fitting(u8),
    /// Index into `addresses`.
    Index(usize),
}

fn who() -> BoxedStrategy<Who> {
    prop_oneof![
        8 => any::<u8>().prop_map(Who::Fitting),
        4 => (0usize..FIRST_CONTRACT).prop_map(Who::Index),
        1 => (FIRST_CONTRACT..FIRST_CONTRACT + 5).prop_map(Who::Index),
    ]
    .boxed()
}

/// The coins of a call: ones that fit the message (one coin of a listed denom for the messages
/// that take one, none otherwise), or any list (zero, unlisted, several, huge).
#[derive(Clone, Debug)]
enum Funds {
    Fitting {
        denom: usize,
        amount: u128,
    },
    /// (index into `FUNDS_DENOMS`, amount).
    Exact(Vec<(usize, u128)>),
}

fn amount() -> BoxedStrategy<u128> {
    prop_oneof![
        8 => 1u128..1_000_000_000_000,
        1 => 1u128..10_000_000_000_000_000,
        2 => Just(u128::MAX),
        1 => u128::MAX / 2..=u128::MAX,
        1 => Just(0u128),
    ]
    .boxed()
}

fn funds() -> BoxedStrategy<Funds> {
    prop_oneof![
        6 => (0usize..3, amount()).prop_map(|(denom, amount)| Funds::Fitting { denom, amount }),
        1 => Just(Funds::Exact(vec![])),
        2 => prop::collection::vec((0..FUNDS_DENOMS.len(), amount()), 1..3).prop_map(Funds::Exact),
    ]
    .boxed()
}

/// The message's name (its JSON key), or `bytes`.
fn kind_of(body: &Body) -> String {
    match body {
        Body::Bytes(_) => "bytes".to_string(),
        Body::Typed(m) | Body::Mutated(m, _) => {
            let json = String::from_utf8_lossy(&m.json()).to_string();
            json.trim_start_matches("{\"")
                .split('"')
                .next()
                .unwrap_or_default()
                .to_string()
        }
    }
}

const OWNER_MESSAGES: [&str; 9] = [
    "init_asset",
    "update_asset_params",
    "update_config",
    "propose_owner",
    "set_source",
    "remove_source",
    "update_circuit_params",
    "update_params",
    "sell_absorbed",
];

/// Index into `addresses` of the sender of a call.
fn sender_of(who: &Who, kind: &str) -> usize {
    match who {
        Who::Index(i) => *i,
        Who::Fitting(pick) => {
            if OWNER_MESSAGES.contains(&kind) || (kind == "set_circuit_level" && pick % 2 == 0) {
                USERS.len()
            } else if kind == "set_circuit_level" {
                USERS.len() + 1
            } else if pick % 3 == 0 {
                // the whale, who can send u128::MAX of every denom
                USERS.len() - 1
            } else {
                *pick as usize % USERS.len()
            }
        }
    }
}

fn coins_of(funds: &Funds, kind: &str) -> Vec<Coin> {
    match funds {
        Funds::Exact(list) => list
            .iter()
            .map(|(d, a)| Coin::new(*a, FUNDS_DENOMS[*d % FUNDS_DENOMS.len()]))
            .collect(),
        Funds::Fitting { denom, amount } => {
            let listed = FUNDS_DENOMS[*denom % 3];
            match kind {
                "deposit" | "repay" | "fund" => vec![Coin::new(*amount, listed)],
                "bid" | "stake" => vec![Coin::new(*amount, QUOTE)],
                _ => vec![],
            }
        }
    }
}

fn pyth_call() -> BoxedStrategy<Call> {
    (
        prop_oneof![
            4 => 500_000_000i64..2_000_000_000,
            1 => Just(0i64),
            1 => -1_000_000_000i64..0,
            1 => Just(i64::MAX),
            1 => Just(i64::MIN),
            1 => any::<i64>(),
        ],
        prop_oneof![3 => 0u64..10_000_000, 1 => any::<u64>()],
        prop_oneof![4 => Just(-8i32), 2 => -40i32..40, 1 => any::<i32>()],
        prop_oneof![4 => 0i64..30, 1 => -200i64..200, 1 => any::<i64>()],
        prop_oneof![3 => 500_000_000i64..2_000_000_000, 1 => any::<i64>()],
    )
        .prop_map(|(price, conf, expo, age, ema)| Call::Pyth {
            price,
            conf,
            expo,
            age,
            ema,
        })
        .boxed()
}

fn call(known: &[String]) -> BoxedStrategy<Call> {
    let execute = |target: Target, typed: BoxedStrategy<Msg>| {
        (who(), funds(), body(typed))
            .prop_map(move |(sender, funds, body)| Call::Execute {
                target,
                sender,
                funds,
                body,
            })
            .boxed()
    };
    let query = |target: Target, typed: BoxedStrategy<Msg>| {
        body(typed)
            .prop_map(move |body| Call::Query { target, body })
            .boxed()
    };
    prop_oneof![
        6 => execute(Target::Market, market_execute(known)),
        3 => execute(Target::Oracle, oracle_execute(known)),
        4 => execute(Target::Auction, auction_execute(known)),
        4 => execute(Target::Backstop, backstop_execute(known)),
        1 => query(Target::Market, market_query(known)),
        1 => query(Target::Oracle, oracle_query()),
        1 => query(Target::Auction, auction_query(known)),
        1 => query(Target::Backstop, backstop_query(known)),
        1 => prop_oneof![1u64..120, 3_000u64..20_000, Just(8 * 86_400)]
            .prop_map(|seconds| Call::Advance { seconds }),
        1 => pyth_call(),
        2 => (0usize..3, prop_oneof![3 => 500u32..1_500, 1 => 1u32..500, 1 => 1_500u32..20_000])
            .prop_map(|(denom, permille)| Call::Price { denom, permille }),
    ]
    .boxed()
}

#[derive(Clone, Debug)]
struct Case {
    shape: Shape,
    calls: Vec<Call>,
}

fn case(known: Vec<String>) -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        prop::bool::weighted(0.3),
        any::<bool>(),
        prop::collection::vec(call(&known), 1..24),
    )
        .prop_map(|(lot, deficit, circuit, calls)| Case {
            shape: Shape {
                lot,
                deficit,
                circuit,
            },
            calls,
        })
}

// ---------------------------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------------------------

/// Per message kind: (calls, successes), printed with `FUZZ_STATS=1`.
static STATS: std::sync::Mutex<std::collections::BTreeMap<String, (u32, u32)>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn record(target: Target, body: &Body, ok: bool) {
    let mut kind = kind_of(body);
    if matches!(body, Body::Mutated(..)) {
        kind.push_str(" (mutated)");
    }
    let mut stats = STATS.lock().unwrap();
    let entry = stats.entry(format!("{target:?} {kind}")).or_default();
    entry.0 += 1;
    entry.1 += ok as u32;
}

fn fail(step: usize, call: &Call, what: String) -> TestCaseError {
    TestCaseError::fail(format!("call {step}: {what}\n  call: {call:?}"))
}

fn run(case: &Case) -> Result<(), TestCaseError> {
    let mut p = build(&case.shape);
    let holders = addresses(&p);
    // every address that may hold a market position or a stake
    let accounts: Vec<Addr> = holders.clone();
    for (step, call) in case.calls.iter().enumerate() {
        match call {
            Call::Execute {
                target,
                sender,
                funds,
                body,
            } => {
                let contract = contract_of(&p, *target);
                let kind = kind_of(body);
                let sender = sender_of(sender, &kind) % holders.len();
                let from = holders[sender].clone();
                let coins = coins_of(funds, &kind);
                let before = bank(&p, &holders);
                let bytes = body.bytes();
                // Coins sent to the market, the auction, the oracle or the feed outside their
                // books (a withdrawal or a bid naming one as recipient) are a donation that no
                // one can claim back: the books then hold less than the bank, which the exact
                // reconciliation below would report. The backstop counts its bank balance.
                let text = String::from_utf8_lossy(&bytes).to_string();
                let donates = [&p.market, &p.auction, &p.oracle, &p.pyth]
                    .iter()
                    .any(|a| text.contains(a.as_str()));
                let outcome = execute_raw(&mut p, &from, &contract, bytes, coins);
                record(*target, body, matches!(outcome, Outcome::Ok));
                if let (Ok(watch), Outcome::Failed(e)) = (std::env::var("FUZZ_WHY"), &outcome) {
                    if kind == watch {
                        println!("{kind}: {}", e.rsplit("error: ").next().unwrap_or_default());
                    }
                }
                match outcome {
                    Outcome::Panicked(message) => {
                        return Err(fail(
                            step,
                            call,
                            format!("the contract panicked: {message}"),
                        ))
                    }
                    Outcome::Failed(error) => {
                        if bank(&p, &holders) != before {
                            return Err(fail(
                                step,
                                call,
                                format!("a failed call moved coins ({error})"),
                            ));
                        }
                    }
                    Outcome::Ok => {
                        // users only: the owner may legitimately lower a cap below what is in
                        // auction, and siblings are trusted by design
                        // (the reconciliation reads balances as u128: a contract holding more
                        // than that, which only the whale can cause, is left to the panic check)
                        let fits = bank(&p, &holders)
                            .iter()
                            .all(|b| *b <= Uint256::from(u128::MAX));
                        if sender < USERS.len() && !donates && fits {
                            common::check_books(&p, &accounts).map_err(|e| {
                                fail(step, call, format!("books broken after success: {e}"))
                            })?;
                        }
                    }
                }
            }
            Call::Query { target, body } => {
                let contract = contract_of(&p, *target);
                if let Outcome::Panicked(message) = query_raw(&p, &contract, body.bytes()) {
                    return Err(fail(step, call, format!("the query panicked: {message}")));
                }
            }
            Call::Advance { seconds } => p.advance(*seconds),
            Call::Price { denom, permille } => {
                let denom = FUNDS_DENOMS[*denom % 3];
                let price = p.price(denom) * Decimal256::permille(*permille as u64);
                // A case may hand the oracle to another address (ProposeOwner, then
                // AcceptOwner from it); the harness then no longer sets fixed prices, as a
                // deployer who gave the key away could not. Pyth prices go through the feed.
                let fixed = p
                    .assets
                    .iter()
                    .any(|a| a.denom == denom && matches!(a.price, PriceSetup::Fixed(_)));
                let settable = !fixed
                    || p.query::<oracle::ConfigResponse>(&p.oracle, &oracle::QueryMsg::Config {})
                        .map_err(|e| {
                            fail(step, call, format!("the oracle config query failed: {e}"))
                        })?
                        .owner
                        == p.owner;
                if !price.is_zero() && settable {
                    p.set_price(denom, price);
                }
            }
            Call::Pyth {
                price,
                conf,
                expo,
                age,
                ema,
            } => {
                let at = (p.now() as i64).saturating_sub(*age);
                let owner = p.owner.clone();
                let pyth = p.pyth.clone();
                let set = PythMockExecuteMsg::SetFeed {
                    id: ATOM_FEED.into(),
                    price: PythPrice {
                        price: *price,
                        conf: *conf,
                        expo: *expo,
                        publish_time: at,
                    },
                    ema_price: PythPrice {
                        price: *ema,
                        conf: *conf,
                        expo: *expo,
                        publish_time: at,
                    },
                };
                p.app
                    .execute_contract(owner, pyth, &set, &[])
                    .map_err(|e| fail(step, call, format!("the Pyth double refused: {e}")))?;
            }
        }
    }
    Ok(())
}

fn config() -> ProptestConfig {
    proptest_config(
        DEFAULT_CASES,
        2_000,
        "proptest-regressions/fuzz_entry_points.txt",
    )
}

/// The addresses of a world (the same in every world: cw-multi-test derives them
/// deterministically), as strings for the strategies.
fn known_addresses() -> Vec<String> {
    let p = build(&Shape {
        lot: false,
        deficit: false,
        circuit: false,
    });
    addresses(&p).iter().map(|a| a.to_string()).collect()
}

#[test]
fn random_calls_never_panic_and_failed_calls_move_nothing() {
    let known = known_addresses();
    let full = build(&Shape {
        lot: true,
        deficit: true,
        circuit: true,
    });
    let again: Vec<String> = addresses(&full).iter().map(|a| a.to_string()).collect();
    assert_eq!(
        again, known,
        "addresses must not depend on the world's shape"
    );
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let result = runner.run(&case(known), |case| run(&case));
    if std::env::var("FUZZ_STATS").is_ok() {
        for (kind, (calls, ok)) in STATS.lock().unwrap().iter() {
            println!("{kind:<45} {calls:>6} calls {ok:>6} ok");
        }
    }
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// The harness itself
// ---------------------------------------------------------------------------------------------

fn panicking_execute(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    panic!("boom in execute")
}

fn quiet_instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    Ok(Response::new())
}

fn panicking_query(_: cosmwasm_std::Deps, _: Env, _: Empty) -> StdResult<Binary> {
    panic!("boom in query")
}

#[test]
fn the_harness_catches_a_panicking_contract() {
    // A contract whose entry points panic: the harness must report it, not lose it.
    let mut p = build(&Shape {
        lot: false,
        deficit: false,
        circuit: false,
    });
    let code = p.app.store_code(Box::new(ContractWrapper::new(
        panicking_execute,
        quiet_instantiate,
        panicking_query,
    )));
    let owner = p.owner.clone();
    let bomb = p
        .app
        .instantiate_contract(code, owner.clone(), &Empty {}, &[], "bomb", None)
        .unwrap();
    let holders = addresses(&p);
    let before = bank(&p, &holders);
    let outcome = execute_raw(&mut p, &owner, &bomb, b"{}".to_vec(), vec![]);
    assert!(
        matches!(&outcome, Outcome::Panicked(m) if m == "boom in execute"),
        "{outcome:?}"
    );
    let outcome = query_raw(&p, &bomb, b"{}".to_vec());
    assert!(
        matches!(&outcome, Outcome::Panicked(m) if m == "boom in query"),
        "{outcome:?}"
    );
    // the chain is still usable and nothing moved
    assert_eq!(bank(&p, &holders), before);
    let bob = p.user("bob");
    p.deposit(&bob, coin(1, QUOTE)).unwrap();
    // and a real contract's refusal is a failure, not a panic
    let market = p.market.clone();
    let outcome = execute_raw(&mut p, &bob, &market, b"\x00\xff".to_vec(), vec![]);
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
}

#[test]
fn every_target_answers_garbage_with_an_error() {
    // The smallest fuzz, run always: each contract refuses empty, binary and deeply nested input.
    let mut p = build(&Shape {
        lot: true,
        deficit: true,
        circuit: true,
    });
    let bob = p.user("bob");
    let holders = addresses(&p);
    let garbage: Vec<Vec<u8>> = vec![
        vec![],
        b"{}".to_vec(),
        vec![0xff; 64],
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000)).into_bytes(),
        br#"{"deposit":{},"withdraw":{"denom":"uusd"}}"#.to_vec(),
    ];
    for target in TARGETS {
        let contract = contract_of(&p, target);
        for g in &garbage {
            let before = bank(&p, &holders);
            let outcome = execute_raw(&mut p, &bob, &contract, g.clone(), vec![coin(5, QUOTE)]);
            assert!(
                matches!(outcome, Outcome::Failed(_)),
                "{target:?}: {outcome:?}"
            );
            assert_eq!(bank(&p, &holders), before);
            let outcome = query_raw(&p, &contract, g.clone());
            assert!(
                matches!(outcome, Outcome::Failed(_)),
                "{target:?}: {outcome:?}"
            );
        }
    }
}
