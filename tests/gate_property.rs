//! Property test of the gate (contracts/market/src/gate.rs, docs/ARCHITECTURE.md "The gate: one
//! path for every account change"): every execute message of the market that changes an account
//! is judged and stored by `Books::commit`, so what a handler's judgement decided is what the
//! queries show afterwards, whatever the handler.
//!
//! World: the default `ProtocolBuilder` (USD fixed $1, ATOM Pyth $10, OSMO fixed $0.50), a
//! supplier's liquidity in all three, four actors (alice, bob, carol, dave) who start with some
//! collateral and a loan, a funded backstop, two keepers. Random sequences of 20–80 actions:
//! deposits (own, and on behalf of another actor), withdrawals (some or all), borrows (shares of
//! the account's `max_borrow_value`, amounts within a few units of it either side, amounts beyond
//! it), repays (own and on behalf), collateral on/off, liquidations, bids, resets, pokes, ADL
//! steps (the backstop's `AdlStep` while a deficit is pending), reserve claims, price moves and
//! crashes (accounts become liquidatable or bankrupt), ATOM Pyth prices 15% off their EMA (the
//! Default price is refused), ATOM's oracle circuit opened by a >20% move after an `Observe`, the
//! market's circuit level (the guardian raises, the owner lowers) and time.
//!
//! After EVERY step, successful or not:
//! 1. ADL filing agrees with the accounts: for each denom, `AdlQueue` lists no account twice,
//!    only accounts that owe debt (`Position.debt`) and supply the denom, each with the supply
//!    `Position` shows, to the unit: both read the same stored scaled balance at the same index
//!    accrued to the block (no rounding between them). `Position` may show more only by the
//!    collateral of that denom the account is owed after a socialised loss and not yet credited
//!    (`Position` credits it, the queue reads the stored record); that claim is recomputed here
//!    from the stored checkpoints and bounds the difference. Beyond the queries, the stored
//!    records agree: an actor's supply is queued exactly when its stored `adl_bucket` is set,
//!    never without debt, in bucket order, and each `(denom, bucket)` total is the sum of the
//!    scaled supplies filed in it.
//! 2. After a successful holder change the gate had to judge (a borrow; a withdrawal or a
//!    collateral toggle that took collateral from an account left with debt): `Position` gives
//!    a `max_borrow_value`; the account is not liquidatable (HF > 1: debt within max LTV at
//!    Default prices, valued at price ∓ conf, implies HF ≥ LT / LTV = 8/7 at the same prices,
//!    and Liquidation prices are the same prices with fewer checks; collateral counted as zero
//!    for borrowing power only raises the HF, so there is no edge to allow for); and its debt
//!    is within the borrowing power recomputed here, exactly as `health::capacity` does, from
//!    `Position` amounts, the oracle's Default prices and circuits. After such a change, a
//!    `Poke` or a liquidation (each rescored at prices), every supply of an account with debt is
//!    filed when it has net value, and none when it has not.
//! 3. A refused call moves no coin and changes no books: the whole chain state (every bank
//!    balance, every key of every contract's storage) and the block are as before. On the first
//!    refusals of each case the call is also re-run through `Watch::refused`, whose own view
//!    (balances, positions, lots, caps, deficits, fund, assets) must stay as it was.
//! 4. A deposit on behalf of another account never makes a new supply collateral and changes no
//!    collateral flag of the holder, stored or as `Position` shows it; the holder's own deposit
//!    of a new denom is collateral.
//! 5. Books reconcile: `assert_books_balance` for each denom, holding apart the in-kind
//!    collateral of deficits and the unclaimed social collateral (as `common::check_raw`
//!    computes them for the invariant suite), and `check_raw` itself (bank = cash + in kind +
//!    social to the unit, scaled totals, lots, caps).
//!
//! The default run (64 cases) is CI-sized; `PROPTEST_CASES=1000 cargo test --release -p
//! ballast-tests --test gate_property` runs a long one; `GATE_STATS=1` (with `--nocapture`)
//! prints what the actions did. Failing seeds are kept in
//! `tests/proptest-regressions/gate_property.txt`.

mod common;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use ballast_market::state::Account;
use ballast_testing::{Protocol, ProtocolBuilder, ATOM, ATOM_FEED, OSMO, QUOTE, USER_BALANCE};
use ballast_tests::{assert_books_balance, d, error_message, market_query, proptest_config, Watch};
use ballast_types::auction::{self, LotStatus};
use ballast_types::backstop;
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{self, AdlQueueResponse, ExecuteMsg, PositionResponse};
use ballast_types::math::{dec256, dec_mul, div_dec, mul_dec, scaled, value_of, Rounding};
use ballast_types::oracle::{self, CircuitResponse, PriceKind, PriceResponse};
use ballast_types::pyth::PythPrice;
use common::{amt, try_position, DENOMS};
use cosmwasm_std::{coin, Addr, Coin, Decimal, Decimal256, Order, Storage, Uint128};
use cw_multi_test::{AppResponse, Executor};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Cases in the default (CI) run; `PROPTEST_CASES` overrides.
const DEFAULT_CASES: u32 = 64;
/// Largest rounding slack of identity A that `assert_books_balance` accepts, in units of a
/// denom. Each operation rounds by at most a unit or two in the protocol's favour
/// (ARCHITECTURE.md, "Accounting identities") and a case runs at most 80 of them after a genesis
/// of about 20; the largest slack seen over 1,900 cases was 19.
const MAX_SLACK: u128 = 200;
/// Refused calls per case that are re-run through `Watch::refused` (its view queries every
/// watched position twice, so it is kept to a few per case; the whole-chain comparison runs on
/// every refusal).
const WATCH_RERUNS: u32 = 2;

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

/// How much a borrow asks for, against the account's `max_borrow_value` (Default prices,
/// conservative) converted at the debt's price + conf (what the gate values a new debt at).
#[derive(Clone, Debug)]
enum Size {
    /// A share of the headroom, in permille (over 1000: beyond it).
    Permille(u16),
    /// The largest amount the headroom covers, plus `offset` units (the edge, both sides).
    Edge(i8),
    /// A value in uusd, whatever the headroom.
    Value(u128),
}

/// One step. Indices pick among what exists when the step runs, so a shrunk sequence stays
/// meaningful.
#[derive(Clone, Debug)]
enum Action {
    Deposit {
        user: u8,
        denom: u8,
        value: u128,
    },
    /// A deposit into actor `to` by someone else (another actor, a keeper or the supplier).
    DepositFor {
        from: u8,
        to: u8,
        denom: u8,
        value: u128,
    },
    Withdraw {
        user: u8,
        denom: u8,
        /// 1000: all (`amount: None`).
        permille: u16,
    },
    Borrow {
        user: u8,
        denom: u8,
        size: Size,
    },
    Repay {
        user: u8,
        /// Repays this actor's debt (itself, or another: on behalf).
        of: u8,
        denom: u8,
        permille: u16,
    },
    SetCollateral {
        user: u8,
        denom: u8,
        enable: bool,
    },
    Liquidate {
        keeper: u8,
        target: u8,
    },
    Bid {
        keeper: u8,
        lot: u8,
        permille: u16,
    },
    Reset {
        keeper: u8,
        lot: u8,
    },
    Poke {
        user: u8,
    },
    AdlStep {
        denom: u8,
        limit: u8,
    },
    ClaimReserves,
    MovePrice {
        denom: u8,
        permille: u32,
    },
    /// ATOM (`atom`) or OSMO falls to `permille` of its price (0: to the least its source
    /// expresses, $0.01 for ATOM and $0.000001 for OSMO: OSMO collateral becomes dust).
    Crash {
        atom: bool,
        permille: u32,
    },
    /// ATOM's Pyth price 15% above or below its EMA: its Default price is refused.
    EmaGap {
        up: bool,
    },
    /// ATOM's circuit (20% in an hour), an observation, then a move to `permille`.
    CircuitBreach {
        permille: u32,
    },
    Observe,
    /// 0: the owner lowers to Normal; 1..=3: the guardian raises to that level.
    MarketLevel {
        level: u8,
    },
    Advance {
        seconds: u64,
    },
}

impl Action {
    fn kind(&self) -> &'static str {
        match self {
            Action::Deposit { .. } => "deposit",
            Action::DepositFor { .. } => "deposit_for",
            Action::Withdraw { .. } => "withdraw",
            Action::Borrow { .. } => "borrow",
            Action::Repay { .. } => "repay",
            Action::SetCollateral { .. } => "set_collateral",
            Action::Liquidate { .. } => "liquidate",
            Action::Bid { .. } => "bid",
            Action::Reset { .. } => "reset",
            Action::Poke { .. } => "poke",
            Action::AdlStep { .. } => "adl_step",
            Action::ClaimReserves => "claim_reserves",
            Action::MovePrice { .. } => "move_price",
            Action::Crash { .. } => "crash",
            Action::EmaGap { .. } => "ema_gap",
            Action::CircuitBreach { .. } => "circuit_breach",
            Action::Observe => "observe",
            Action::MarketLevel { .. } => "market_level",
            Action::Advance { .. } => "advance",
        }
    }
}

/// A value in uusd: dust, retail or whale sized.
fn value() -> impl Strategy<Value = u128> {
    prop_oneof![
        1 => 1u128..2_000,
        6 => 1_000_000u128..20_000_000_000,
        3 => 20_000_000_000u128..200_000_000_000,
    ]
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        4 => (1u16..1000).prop_map(Size::Permille),
        3 => (990u16..1010).prop_map(Size::Permille),
        4 => (-3i8..=3).prop_map(Size::Edge),
        3 => (1010u16..2500).prop_map(Size::Permille),
        1 => value().prop_map(Size::Value),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    let u = any::<u8>;
    prop_oneof![
        7 => (u(), u(), value()).prop_map(|(user, denom, value)| Action::Deposit { user, denom, value }),
        4 => (u(), u(), u(), value()).prop_map(|(from, to, denom, value)| Action::DepositFor { from, to, denom, value }),
        6 => (u(), u(), prop_oneof![3 => 1u16..1000, 1 => Just(1000u16)])
            .prop_map(|(user, denom, permille)| Action::Withdraw { user, denom, permille }),
        14 => (u(), u(), size()).prop_map(|(user, denom, size)| Action::Borrow { user, denom, size }),
        5 => (u(), prop_oneof![3 => Just(None), 1 => u().prop_map(Some)], u(), prop_oneof![1u16..1000, 1000u16..1200])
            .prop_map(|(user, of, denom, permille)| Action::Repay { user, of: of.unwrap_or(user), denom, permille }),
        4 => (u(), u(), any::<bool>()).prop_map(|(user, denom, enable)| Action::SetCollateral { user, denom, enable }),
        9 => (u(), u()).prop_map(|(keeper, target)| Action::Liquidate { keeper, target }),
        7 => (u(), u(), prop_oneof![1u16..1000, Just(1000u16)])
            .prop_map(|(keeper, lot, permille)| Action::Bid { keeper, lot, permille }),
        2 => (u(), u()).prop_map(|(keeper, lot)| Action::Reset { keeper, lot }),
        3 => u().prop_map(|user| Action::Poke { user }),
        8 => (u(), 1u8..20).prop_map(|(denom, limit)| Action::AdlStep { denom, limit }),
        1 => Just(Action::ClaimReserves),
        6 => (u(), prop_oneof![3 => 900u32..1100, 2 => 600u32..1500, 1 => 1_500u32..4_000])
            .prop_map(|(denom, permille)| Action::MovePrice { denom, permille }),
        5 => (any::<bool>(), prop_oneof![3 => 300u32..800, 2 => 1u32..300, 2 => Just(0u32)])
            .prop_map(|(atom, permille)| Action::Crash { atom, permille }),
        2 => any::<bool>().prop_map(|up| Action::EmaGap { up }),
        2 => prop_oneof![1_250u32..1_800, 400u32..780].prop_map(|permille| Action::CircuitBreach { permille }),
        1 => Just(Action::Observe),
        2 => prop_oneof![3 => Just(0u8), 1 => 1u8..4].prop_map(|level| Action::MarketLevel { level }),
        6 => prop_oneof![
            Just(30u64), Just(61), Just(600), Just(3_601), Just(3 * 3_600 + 1), Just(86_400),
            Just(7 * 86_400)
        ].prop_map(|seconds| Action::Advance { seconds }),
    ]
}

/// One case: the world's shape and the actions run on it.
#[derive(Clone, Debug)]
struct Case {
    /// (denom, uusd value) the actors deposit first, round robin.
    genesis: Vec<(u8, u128)>,
    /// (denom, permille of `max_borrow_value`) each actor then borrows.
    loans: Vec<(u8, u16)>,
    /// USD in the insurance fund.
    fund: u128,
    /// ATOM's oracle circuit is configured from the start.
    circuit: bool,
    actions: Vec<Action>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((any::<u8>(), 1_000_000_000u128..100_000_000_000), 4..=8),
        prop::collection::vec((any::<u8>(), 300u16..1000), 4),
        1_000_000_000u128..30_000_000_000,
        any::<bool>(),
        prop::collection::vec(action(), 20..=80),
    )
        .prop_map(|(genesis, loans, fund, circuit, actions)| Case {
            genesis,
            loans,
            fund,
            circuit,
            actions,
        })
}

// ---------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------

struct World {
    p: Protocol,
    actors: Vec<Addr>,
    supplier: Addr,
    keepers: [Addr; 2],
    /// The addresses and denoms `Watch::refused` watches.
    watch: Watch,
    /// Every address that may hold a market position.
    accounts: Vec<Addr>,
    max_ltv: BTreeMap<String, Decimal>,
    step: usize,
    watch_reruns: u32,
    /// The last `Position` of each account check 1 read, with the state it was read from
    /// (stored account, asset books, block time): the amounts it shows depend on nothing else,
    /// so it is read again only when that state changed.
    positions: RefCell<BTreeMap<Addr, (String, PositionResponse)>>,
}

fn denom_of(i: u8) -> &'static str {
    DENOMS[i as usize % DENOMS.len()]
}

impl World {
    fn new(case: &Case) -> Self {
        let rich = vec![
            coin(USER_BALANCE, QUOTE),
            coin(USER_BALANCE, ATOM),
            coin(USER_BALANCE, OSMO),
        ];
        let mut p = ProtocolBuilder::new()
            .user("supplier", rich.clone())
            .user("funder", rich)
            .build();
        let actors: Vec<Addr> = ["alice", "bob", "carol", "dave"]
            .iter()
            .map(|n| p.user(n))
            .collect();
        let supplier = p.user("supplier");
        let funder = p.user("funder");
        let keepers = [p.user("keeper"), p.user("keeper2")];
        p.deposit(&supplier, coin(2_000_000_000_000, QUOTE))
            .expect("USD liquidity");
        p.deposit(&supplier, coin(200_000_000_000, ATOM))
            .expect("ATOM liquidity");
        p.deposit(&supplier, coin(4_000_000_000_000, OSMO))
            .expect("OSMO liquidity");
        p.fund(&funder, coin(case.fund, QUOTE)).expect("fund");
        if case.circuit {
            p.set_circuit(ATOM, Decimal::percent(20), 3_600, 3_600)
                .expect("circuit params");
            p.observe(&keepers[0], &[ATOM]).expect("observe");
        }
        let mut accounts = actors.clone();
        accounts.push(supplier.clone());
        let mut watched = accounts.clone();
        watched.extend(keepers.iter().cloned());
        watched.extend([
            funder,
            p.market.clone(),
            p.auction.clone(),
            p.backstop.clone(),
        ]);
        let max_ltv = DENOMS
            .iter()
            .map(|d| (d.to_string(), p.asset(d).params.max_ltv))
            .collect();
        let mut w = World {
            p,
            actors,
            supplier,
            keepers,
            watch: Watch::new(watched, &DENOMS),
            accounts,
            max_ltv,
            step: 0,
            watch_reruns: 0,
            positions: RefCell::new(BTreeMap::new()),
        };
        for (i, (denom, value)) in case.genesis.iter().enumerate() {
            let user = w.actor(i as u8);
            let denom = denom_of(*denom);
            let amount = w.amount_for(denom, *value);
            w.p.deposit(&user, coin(amount, denom))
                .expect("genesis deposit");
        }
        for (i, (denom, permille)) in case.loans.iter().enumerate() {
            let user = w.actor(i as u8);
            let denom = denom_of(*denom);
            let amount = borrow_amount(&w, &user, denom, &Size::Permille(*permille));
            // a loan below min_debt is refused: that actor starts without one
            let _ = w.p.borrow(&user, denom, amount.max(1));
        }
        w
    }

    fn actor(&self, i: u8) -> Addr {
        self.actors[i as usize % self.actors.len()].clone()
    }

    fn keeper(&self, i: u8) -> Addr {
        self.keepers[i as usize % 2].clone()
    }

    /// Units of `denom` worth `value` uusd at the test's price.
    fn amount_for(&self, denom: &str, value: u128) -> u128 {
        div_dec(Uint128::new(value), self.p.price(denom), Rounding::Down)
            .map(|a| a.u128())
            .unwrap_or(u128::MAX)
            .clamp(1, USER_BALANCE / 10)
    }

    fn price(&self, denom: &str, kind: PriceKind) -> Result<PriceResponse, String> {
        self.p
            .query(
                &self.p.oracle,
                &oracle::QueryMsg::Price {
                    denom: denom.into(),
                    kind: Some(kind),
                },
            )
            .map_err(|e| error_message(&e))
    }

    fn circuit_open(&self, denom: &str) -> Result<bool, String> {
        let c: CircuitResponse = self
            .p
            .query(
                &self.p.oracle,
                &oracle::QueryMsg::Circuit {
                    denom: denom.into(),
                },
            )
            .map_err(|e| error_message(&e))?;
        Ok(c.open)
    }

    fn raw_account(&self, who: &Addr) -> Account {
        common::raw_account(&self.p, who)
    }

    /// A denom `who` supplies (`debt`: owes), picked by `i`; any denom when it has none or
    /// when `i` says so (a call that the market refuses is checked too).
    fn held_denom(&self, who: &Addr, i: u8, debt: bool) -> &'static str {
        let account = self.raw_account(who);
        let held: Vec<&'static str> = DENOMS
            .iter()
            .copied()
            .filter(|d| {
                if debt {
                    account.debt(d).is_some()
                } else {
                    account.supply(d).is_some()
                }
            })
            .collect();
        if held.is_empty() || i >= 224 {
            denom_of(i)
        } else {
            held[i as usize % held.len()]
        }
    }

    /// A stored supply or debt at the stored index (not accrued: to size actions only).
    fn stored_amounts(&self, who: &Addr, denom: &str) -> (u128, u128) {
        let account = self.raw_account(who);
        let state = common::raw_asset_state(&self.p, denom);
        let supply = account
            .supply(denom)
            .and_then(|s| scaled::supply_amount(s.scaled, state.liquidity_index).ok())
            .map(|a| a.u128())
            .unwrap_or_default();
        let debt = account
            .debt(denom)
            .and_then(|s| scaled::debt_amount(s.scaled, state.borrow_index).ok())
            .map(|a| a.u128())
            .unwrap_or_default();
        (supply, debt)
    }

    /// Rough health factor at the test's prices (to pick liquidation targets; the market
    /// decides).
    fn rough_health(&self, who: &Addr) -> Option<f64> {
        let account = self.raw_account(who);
        let price = |d: &str| self.p.price(d).to_string().parse::<f64>().unwrap_or(0.0);
        let mut weighted = 0.0;
        for s in account.supplies.iter().filter(|s| s.collateral) {
            weighted += self.stored_amounts(who, &s.denom).0 as f64 * price(&s.denom) * 0.8;
        }
        let mut debt = 0.0;
        for c in &account.debts {
            debt += self.stored_amounts(who, &c.denom).1 as f64 * price(&c.denom);
        }
        (debt > 0.0).then(|| weighted / debt)
    }

    /// `Position` of `who`, read again only when the state it is computed from changed.
    fn position(&self, who: &Addr) -> Result<PositionResponse, String> {
        let states: Vec<_> = DENOMS
            .iter()
            .map(|d| common::raw_asset_state(&self.p, d))
            .collect();
        let key = format!("{:?}|{states:?}|{}", self.raw_account(who), self.p.now());
        if let Some((k, position)) = self.positions.borrow().get(who) {
            if *k == key {
                return Ok(position.clone());
            }
        }
        let position = try_position(&self.p, who)?;
        self.positions
            .borrow_mut()
            .insert(who.clone(), (key, position.clone()));
        Ok(position)
    }
}

/// What a borrow of `denom` asks for: sized against `Position.max_borrow_value` at the debt's
/// price + conf.
fn borrow_amount(w: &World, user: &Addr, denom: &str, size: &Size) -> u128 {
    let headroom = try_position(&w.p, user)
        .ok()
        .and_then(|pos| pos.max_borrow_value)
        .unwrap_or_default();
    let debt_price = match w.price(denom, PriceKind::Default) {
        Ok(p) => p.price + p.conf,
        Err(_) => w.p.price(denom),
    };
    let edge = div_dec(headroom, debt_price, Rounding::Down)
        .map(|a| a.u128())
        .unwrap_or(0);
    match size {
        Size::Permille(pm) => edge.saturating_mul(*pm as u128) / 1000,
        Size::Edge(offset) => edge.saturating_add_signed(*offset as i128),
        Size::Value(value) => w.amount_for(denom, *value),
    }
}

// ---------------------------------------------------------------------------------------------
// Running a step
// ---------------------------------------------------------------------------------------------

/// A contract call a step makes.
struct Call {
    contract: Addr,
    sender: Addr,
    msg: serde_json::Value,
    funds: Vec<Coin>,
}

fn call(contract: &Addr, sender: &Addr, msg: &impl serde::Serialize, funds: Vec<Coin>) -> Call {
    Call {
        contract: contract.clone(),
        sender: sender.clone(),
        msg: serde_json::to_value(msg).expect("message to json"),
        funds,
    }
}

/// What the checks after a successful call look at.
#[derive(Clone, Debug)]
enum Judged {
    Nothing,
    /// A holder change (`Change::ByHolder`) of this account: the gate judges it when it leaves
    /// debt and added debt or took collateral.
    Holder(Addr),
    /// A deposit into `to` of `denom`, by its holder or by someone else.
    Deposit {
        to: Addr,
        denom: String,
        by_holder: bool,
    },
    /// A change judged and rescored at Liquidation prices (`Poke`, a liquidation).
    Rescored(Addr),
}

enum Plan {
    /// Nothing to do (no lot to bid on, no deficit for ADL).
    Skip,
    /// The world changed (time, prices, an oracle circuit); no market call to judge.
    Effect,
    Call(Call, Judged),
}

fn plan(w: &mut World, action: &Action) -> Plan {
    let p = &w.p;
    match action {
        Action::Deposit { user, denom, value } => {
            let (user, denom) = (w.actor(*user), denom_of(*denom));
            let amount = w.amount_for(denom, *value);
            Plan::Call(
                call(
                    &p.market,
                    &user,
                    &ExecuteMsg::Deposit { on_behalf_of: None },
                    vec![coin(amount, denom)],
                ),
                Judged::Deposit {
                    to: user,
                    denom: denom.into(),
                    by_holder: true,
                },
            )
        }
        Action::DepositFor {
            from,
            to,
            denom,
            value,
        } => {
            let to = w.actor(*to);
            let mut from = match from % 6 {
                0..=3 => w.actor(*from),
                4 => w.keeper(*from / 6),
                _ => w.supplier.clone(),
            };
            if from == to {
                from = w.keeper(*denom);
            }
            let denom = denom_of(*denom);
            let amount = w.amount_for(denom, *value);
            Plan::Call(
                call(
                    &p.market,
                    &from,
                    &ExecuteMsg::Deposit {
                        on_behalf_of: Some(to.to_string()),
                    },
                    vec![coin(amount, denom)],
                ),
                Judged::Deposit {
                    to,
                    denom: denom.into(),
                    by_holder: false,
                },
            )
        }
        Action::Withdraw {
            user,
            denom,
            permille,
        } => {
            let user = w.actor(*user);
            let denom = w.held_denom(&user, *denom, false);
            let amount = if *permille >= 1000 {
                None
            } else {
                let supplied = w.stored_amounts(&user, denom).0;
                Some(Uint128::new((supplied * *permille as u128 / 1000).max(1)))
            };
            Plan::Call(
                call(
                    &p.market,
                    &user,
                    &ExecuteMsg::Withdraw {
                        denom: denom.into(),
                        amount,
                        recipient: None,
                    },
                    vec![],
                ),
                Judged::Holder(user),
            )
        }
        Action::Borrow { user, denom, size } => {
            let (user, denom) = (w.actor(*user), denom_of(*denom));
            let amount = borrow_amount(w, &user, denom, size);
            Plan::Call(
                call(
                    &p.market,
                    &user,
                    &ExecuteMsg::Borrow {
                        denom: denom.into(),
                        amount: Uint128::new(amount.max(1)),
                        recipient: None,
                    },
                    vec![],
                ),
                Judged::Holder(user),
            )
        }
        Action::Repay {
            user,
            of,
            denom,
            permille,
        } => {
            let (payer, of) = (w.actor(*user), w.actor(*of));
            let denom = w.held_denom(&of, *denom, true);
            let owed = w.stored_amounts(&of, denom).1;
            let amount = (owed * *permille as u128 / 1000).max(1);
            let on_behalf_of = (payer != of).then(|| of.to_string());
            Plan::Call(
                call(
                    &p.market,
                    &payer,
                    &ExecuteMsg::Repay { on_behalf_of },
                    vec![coin(amount, denom)],
                ),
                Judged::Nothing,
            )
        }
        Action::SetCollateral {
            user,
            denom,
            enable,
        } => {
            let user = w.actor(*user);
            let denom = w.held_denom(&user, *denom, false);
            Plan::Call(
                call(
                    &p.market,
                    &user,
                    &ExecuteMsg::SetCollateral {
                        denom: denom.into(),
                        enable: *enable,
                    },
                    vec![],
                ),
                Judged::Holder(user),
            )
        }
        Action::Liquidate { keeper, target } => {
            let keeper = w.keeper(*keeper);
            let underwater: Vec<Addr> = w
                .actors
                .iter()
                .filter(|a| w.rough_health(a).is_some_and(|hf| hf < 1.02))
                .cloned()
                .collect();
            let borrower = if !underwater.is_empty() && *target < 200 {
                underwater[*target as usize % underwater.len()].clone()
            } else {
                w.actor(*target)
            };
            Plan::Call(
                call(
                    &p.market,
                    &keeper,
                    &ExecuteMsg::Liquidate {
                        borrower: borrower.to_string(),
                    },
                    vec![],
                ),
                Judged::Rescored(borrower),
            )
        }
        Action::Bid {
            keeper,
            lot,
            permille,
        } => {
            let bidder = w.keeper(*keeper);
            let lots: Vec<_> = common::active_lots(p)
                .into_iter()
                .filter(|l| l.status == LotStatus::Active)
                .collect();
            if lots.is_empty() {
                return Plan::Skip;
            }
            let l = &lots[*lot as usize % lots.len()];
            let max_collateral = (amt(&l.collateral) * *permille as u128 / 1000).max(1);
            let cost = mul_dec(Uint128::new(max_collateral), l.current_price, Rounding::Up)
                .map(|c| c.u128())
                .unwrap_or(u128::MAX)
                .clamp(1, USER_BALANCE / 10);
            Plan::Call(
                call(
                    &p.auction,
                    &bidder,
                    &auction::ExecuteMsg::Bid {
                        lot_id: l.lot_id,
                        max_collateral: Uint128::new(max_collateral),
                        max_price: l.current_price,
                        recipient: None,
                    },
                    vec![coin(cost, &l.debt.denom)],
                ),
                Judged::Nothing,
            )
        }
        Action::Reset { keeper, lot } => {
            let keeper = w.keeper(*keeper);
            let lots = common::active_lots(p);
            let due: Vec<_> = lots
                .iter()
                .filter(|l| l.status == LotStatus::NeedsReset)
                .collect();
            let pick = if due.is_empty() {
                lots.iter().collect()
            } else {
                due
            };
            if pick.is_empty() {
                return Plan::Skip;
            }
            let lot_id = pick[*lot as usize % pick.len()].lot_id;
            Plan::Call(
                call(
                    &p.auction,
                    &keeper,
                    &auction::ExecuteMsg::Reset { lot_id },
                    vec![],
                ),
                Judged::Nothing,
            )
        }
        Action::Poke { user } => {
            let target = w.actor(*user);
            Plan::Call(
                call(
                    &p.market,
                    &w.keepers[0],
                    &ExecuteMsg::Poke {
                        account: target.to_string(),
                    },
                    vec![],
                ),
                Judged::Rescored(target),
            )
        }
        Action::AdlStep { denom, limit } => {
            let pending: Vec<String> = common::deficits(p)
                .into_iter()
                .filter(|(_, d)| !d.amount.is_zero())
                .map(|(denom, _)| denom)
                .collect();
            if pending.is_empty() {
                return Plan::Skip;
            }
            let denom = pending[*denom as usize % pending.len()].clone();
            Plan::Call(
                call(
                    &p.backstop,
                    &w.keeper(*limit),
                    &backstop::ExecuteMsg::AdlStep {
                        denom,
                        limit: *limit as u32,
                    },
                    vec![],
                ),
                Judged::Nothing,
            )
        }
        Action::ClaimReserves => Plan::Call(
            call(
                &p.market,
                &w.keepers[1],
                &ExecuteMsg::ClaimReserves { denoms: None },
                vec![],
            ),
            Judged::Nothing,
        ),
        Action::MovePrice { denom, permille } => {
            let denom = denom_of(*denom);
            // the quote stablecoin wobbles, it does not crash
            let permille = if denom == QUOTE {
                (*permille).clamp(980, 1020)
            } else {
                *permille
            };
            move_price(w, denom, permille);
            Plan::Effect
        }
        Action::Crash { atom, permille } => {
            move_price(w, if *atom { ATOM } else { OSMO }, *permille);
            Plan::Effect
        }
        Action::EmaGap { up } => {
            let ema = w.p.price(ATOM);
            let gap = if *up { d("1.15") } else { d("0.85") };
            let raw = Protocol::pyth_integer(ema * gap, -8, 6);
            let ema_raw = Protocol::pyth_integer(ema, -8, 6);
            let now = w.p.now() as i64;
            let at = |price: i64| PythPrice {
                price,
                conf: (price / 1000) as u64,
                expo: -8,
                publish_time: now,
            };
            // the next `advance` republishes the price with its EMA (the gap closes)
            w.p.set_pyth_feed(ATOM_FEED, at(raw), at(ema_raw));
            Plan::Effect
        }
        Action::CircuitBreach { permille } => {
            let keeper = w.keepers[0].clone();
            w.p.set_circuit(ATOM, Decimal::percent(20), 3_600, 3_600)
                .expect("circuit params");
            // the observation may be refused (a price that cannot be read); the move is made
            // either way
            let _ = w.p.observe(&keeper, &[ATOM]);
            move_price(w, ATOM, *permille);
            Plan::Effect
        }
        Action::Observe => Plan::Call(
            call(
                &p.oracle,
                &w.keepers[0],
                &oracle::ExecuteMsg::Observe {
                    denoms: vec![ATOM.to_string()],
                },
                vec![],
            ),
            Judged::Nothing,
        ),
        Action::MarketLevel { level } => {
            let (sender, level) = match level {
                0 => (p.owner.clone(), CircuitLevel::Normal),
                1 => (p.guardian.clone(), CircuitLevel::NoBorrows),
                2 => (p.guardian.clone(), CircuitLevel::NoCollateralWithdrawals),
                _ => (p.guardian.clone(), CircuitLevel::Halt),
            };
            Plan::Call(
                call(
                    &p.market,
                    &sender,
                    &ExecuteMsg::SetCircuitLevel { level },
                    vec![],
                ),
                Judged::Nothing,
            )
        }
        Action::Advance { seconds } => {
            w.p.advance(*seconds);
            Plan::Effect
        }
    }
}

/// Moves `denom`'s price to `permille` of what it is, within what its source can express (a
/// Pyth price below $0.01 would round to nothing in the feed's integer form).
fn move_price(w: &mut World, denom: &str, permille: u32) {
    let floor = match denom {
        QUOTE => d("0.9"),
        ATOM => d("0.01"),
        _ => d("0.000001"),
    };
    let old = w.p.price(denom);
    let new = (old * Decimal256::from_ratio(permille, 1000u32))
        .max(floor)
        .min(d("10000"));
    w.p.set_price(denom, new);
}

/// The whole chain: every key of the app's storage (bank balances, every contract's storage
/// and record) and the block.
type Chain = (u64, u64, Vec<(Vec<u8>, Vec<u8>)>);

fn chain(w: &World) -> Chain {
    let block = w.p.app.block_info();
    let storage =
        w.p.app
            .storage()
            .range(None, None, Order::Ascending)
            .collect();
    (block.height, block.time.seconds(), storage)
}

/// The first key two chain states differ at, as text.
fn first_difference(before: &Chain, after: &Chain) -> String {
    if (before.0, before.1) != (after.0, after.1) {
        return "the block".into();
    }
    let keys = |c: &Chain| -> BTreeMap<Vec<u8>, Vec<u8>> { c.2.iter().cloned().collect() };
    let (b, a) = (keys(before), keys(after));
    for key in b.keys().chain(a.keys()) {
        if b.get(key) != a.get(key) {
            return format!(
                "key {:?}: {:?} -> {:?}",
                String::from_utf8_lossy(key),
                b.get(key).map(|v| String::from_utf8_lossy(v).to_string()),
                a.get(key).map(|v| String::from_utf8_lossy(v).to_string()),
            );
        }
    }
    "nothing".into()
}

/// What a step did.
struct Outcome {
    result: Option<Result<AppResponse, String>>,
    judged: Judged,
    /// The stored account of the judged holder, target or depositee before the call.
    before: Option<Account>,
    /// The depositee's `Position` before a deposit on its behalf.
    position_before: Option<PositionResponse>,
}

fn run(w: &mut World, action: &Action) -> Result<Outcome, TestCaseError> {
    let (call, judged) = match plan(w, action) {
        Plan::Skip | Plan::Effect => {
            return Ok(Outcome {
                result: None,
                judged: Judged::Nothing,
                before: None,
                position_before: None,
            })
        }
        Plan::Call(call, judged) => (call, judged),
    };
    let before = match &judged {
        Judged::Holder(who) | Judged::Rescored(who) | Judged::Deposit { to: who, .. } => {
            Some(w.raw_account(who))
        }
        Judged::Nothing => None,
    };
    let position_before = match &judged {
        Judged::Deposit {
            to,
            by_holder: false,
            ..
        } => try_position(&w.p, to).ok(),
        _ => None,
    };
    let chain_before = chain(w);
    let result =
        w.p.app
            .execute_contract(
                call.sender.clone(),
                call.contract.clone(),
                &call.msg,
                &call.funds,
            )
            .map_err(|e| error_message(&e));
    if let Err(error) = &result {
        // 3. a refused call moves no coin and changes no books
        let chain_after = chain(w);
        if chain_after != chain_before {
            return Err(fail(
                w,
                action,
                format!(
                    "refused call ({error}) changed the chain, first at {}: {}",
                    first_difference(&chain_before, &chain_after),
                    call.msg
                ),
            ));
        }
        if w.watch_reruns < WATCH_RERUNS {
            // The state is as before the call (just checked): re-run it through `Watch`, which
            // takes its own view before and after and wants the same refusal.
            w.watch_reruns += 1;
            let watch = Watch::new(w.watch.addrs.clone(), &DENOMS);
            watch.refused(
                &mut w.p,
                &call.contract,
                &call.sender,
                &call.msg,
                &call.funds,
                error,
            );
        }
    }
    Ok(Outcome {
        result: Some(result),
        judged,
        before,
        position_before,
    })
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

fn fail(w: &World, action: &Action, message: String) -> TestCaseError {
    TestCaseError::fail(format!("step {} ({action:?}): {message}", w.step))
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

/// Collateral of `denom` that `account` (as stored) is owed after socialised losses and that is
/// not credited yet: `Position` credits it (as `Books::open` does), the stored record and the
/// ADL queue do not. Per supply, ⌊scaled × (per scaled unit − checkpoint)⌋ of each claim
/// (`ledger::settle_social_claims`); crediting it mints ⌊claim / index⌋ scaled, which adds at
/// most `claim` to the supply shown.
fn pending_claim(w: &World, account: &Account, denom: &str) -> u128 {
    let mut owed = 0u128;
    for position in &account.supplies {
        let state = common::raw_asset_state(&w.p, &position.denom);
        for (claim_denom, per_scaled) in &state.social_per_scaled {
            if claim_denom != denom {
                continue;
            }
            let checkpoint = position
                .social_checkpoints
                .iter()
                .find(|(d, _)| d == claim_denom)
                .map(|(_, c)| *c)
                .unwrap_or_default();
            if *per_scaled > checkpoint {
                owed += mul_dec(position.scaled, *per_scaled - checkpoint, Rounding::Down)
                    .map(|a| a.u128())
                    .unwrap_or(u128::MAX);
            }
        }
    }
    owed
}

/// Whether some collateral waits to be credited after a socialised loss (for the statistics).
fn social_pending(w: &World) -> bool {
    DENOMS.iter().any(|d| {
        common::raw_asset_state(&w.p, d)
            .social_unclaimed
            .iter()
            .any(|c| !c.amount.is_zero())
    })
}

/// Check 1: the ADL queue of every denom agrees with the accounts.
fn check_adl_filing(w: &World) -> Result<(), String> {
    let raw: Vec<(Addr, Account)> = w
        .accounts
        .iter()
        .map(|a| (a.clone(), w.raw_account(a)))
        .collect();
    let store = w.p.app.contract_storage(&w.p.market);
    for denom in DENOMS {
        let queue: AdlQueueResponse = market_query(
            &w.p,
            &market::QueryMsg::AdlQueue {
                denom: denom.into(),
                limit: Some(100),
            },
        );
        let mut seen = BTreeSet::new();
        let mut last_bucket = u8::MAX;
        for entry in &queue.entries {
            ensure!(
                seen.insert(entry.account.clone()),
                "{denom}: {} is queued twice: {queue:?}",
                entry.account
            );
            let Some((addr, account)) = raw.iter().find(|(a, _)| a.as_str() == entry.account)
            else {
                return Err(format!(
                    "{denom}: {} is queued, but no such account holds a position",
                    entry.account
                ));
            };
            // `Position` where it can be read (a refused Liquidation price makes it fail);
            // the stored account otherwise.
            match w.position(addr) {
                Ok(position) => {
                    ensure!(
                        position.debt.iter().any(|c| !c.amount.is_zero()),
                        "{denom}: {addr} is queued but owes nothing: {position:?}"
                    );
                    let Some(supply) = position.supply.iter().find(|s| s.denom == denom) else {
                        return Err(format!(
                            "{denom}: {addr} is queued but supplies none: {position:?}"
                        ));
                    };
                    // the same stored scaled balance at the same accrued index, to the unit,
                    // plus what `Position` credits of the account's pending claims
                    let claim = pending_claim(w, account, denom);
                    if claim > 0 {
                        count("checked: queued supply with a pending claim");
                    }
                    ensure!(
                        supply.amount >= entry.supply
                            && supply.amount.u128() - entry.supply.u128() <= claim,
                        "{denom}: {addr} is queued with supply {}, Position shows {} (claims \
                         pending in {denom}: {claim})",
                        entry.supply,
                        supply.amount
                    );
                }
                Err(_) => {
                    ensure!(
                        account.has_debt(),
                        "{denom}: {addr} is queued but owes nothing"
                    );
                    ensure!(
                        account.supply(denom).is_some_and(|s| !s.scaled.is_zero()),
                        "{denom}: {addr} is queued but supplies none"
                    );
                }
            }
            let bucket = account
                .supply(denom)
                .and_then(|s| s.adl_bucket)
                .ok_or_else(|| {
                    format!("{denom}: {addr} is queued, its stored supply is not filed")
                })?;
            ensure!(
                bucket <= last_bucket,
                "{denom}: the queue is not in bucket order: {queue:?}"
            );
            last_bucket = bucket;
        }
        // The stored records: queued exactly when filed, never without debt, and the bucket
        // totals are the filed supplies.
        let mut filed: BTreeMap<u8, u128> = BTreeMap::new();
        for (addr, account) in &raw {
            let position = account.supply(denom);
            let bucket = position.and_then(|s| s.adl_bucket);
            ensure!(
                bucket.is_some() == seen.contains(addr.as_str()),
                "{denom}: {addr}'s stored supply is filed in {bucket:?}, queued: {}",
                seen.contains(addr.as_str())
            );
            if let (Some(bucket), Some(position)) = (bucket, position) {
                ensure!(
                    account.has_debt(),
                    "{denom}: {addr} is filed in bucket {bucket} without debt"
                );
                *filed.entry(bucket).or_default() += position.scaled.u128();
            }
        }
        let totals: BTreeMap<u8, u128> = ballast_market::state::ADL_BUCKET_SUPPLY
            .prefix(denom)
            .range(&*store, None, None, Order::Ascending)
            .map(|r| r.map(|(b, s)| (b, s.u128())))
            .collect::<cosmwasm_std::StdResult<_>>()
            .map_err(|e| e.to_string())?;
        ensure!(
            totals == filed,
            "{denom}: bucket totals {totals:?} != the filed scaled supplies {filed:?}"
        );
    }
    Ok(())
}

/// Whether the stored account has debt and, against `before`, more scaled debt of some denom
/// or less of some collateral (a smaller scaled supply, or its flag off): a change the gate
/// must judge. (The gate compares with the account as opened, social claims credited, which
/// holds at least the stored collateral: it judges at least these.)
fn weakened(before: &Account, after: &Account) -> bool {
    if !after.has_debt() {
        return false;
    }
    let more_debt = after.debts.iter().any(|d| {
        before
            .debt(&d.denom)
            .is_none_or(|old| d.scaled > old.scaled)
    });
    let less_collateral = before.supplies.iter().filter(|s| s.collateral).any(|s| {
        after
            .supply(&s.denom)
            .is_none_or(|now| !now.collateral || now.scaled < s.scaled)
    });
    more_debt || less_collateral
}

/// Check 2: after a holder change the gate judged, borrowing power covers the debt and the
/// account is not liquidatable.
fn check_judged_holder(w: &World, who: &Addr) -> Result<(), String> {
    let position = try_position(&w.p, who)
        .map_err(|e| format!("{who}: Position fails after a judged change: {e}"))?;
    ensure!(
        position.max_borrow_value.is_some(),
        "{who}: no max_borrow_value after a judged change: {position:?}"
    );
    ensure!(
        !position.liquidatable && position.health_factor.is_some_and(|hf| hf > Decimal::one()),
        "{who}: liquidatable after a judged change: {position:?}"
    );
    // Borrowing power at Default prices, recomputed as `health::capacity` does: collateral at
    // (price − conf) × max LTV, rounded down, a refused Default price or an open circuit
    // counting as zero; debt at price + conf (the builder's Pyth source has conf_multiplier 1,
    // fixed prices have no interval).
    let mut power = Decimal256::zero();
    let mut zeroed = vec![];
    for s in position.supply.iter().filter(|s| s.collateral) {
        let price = match w.price(&s.denom, PriceKind::Default) {
            Ok(price) if !w.circuit_open(&s.denom)? => price,
            _ => {
                zeroed.push(s.denom.clone());
                continue;
            }
        };
        let value = value_of(s.amount, price.price.saturating_sub(price.conf))
            .map_err(|e| e.to_string())?;
        power += dec_mul(value, dec256(w.max_ltv[&s.denom]), Rounding::Down)
            .map_err(|e| e.to_string())?;
    }
    let mut debt = Decimal256::zero();
    for c in &position.debt {
        let price = w.price(&c.denom, PriceKind::Default).map_err(|e| {
            format!("{who}: a judged change succeeded without a Default price of its debt: {e}")
        })?;
        debt += value_of(c.amount, price.price + price.conf).map_err(|e| e.to_string())?;
    }
    ensure!(
        debt <= power,
        "{who}: debt {debt} above borrowing power {power} (zeroed: {zeroed:?}) after a judged \
         change: {position:?}"
    );
    // Rescored at Default prices: where they are the Liquidation prices for every collateral
    // (none refused, no circuit open), the filing is the one a Poke would give.
    if zeroed.is_empty() {
        check_scored_filing(w, who, &position)?;
    }
    Ok(())
}

/// After a change rescored at prices: an account with debt and net value (collateral value
/// above debt) has every supply filed; one without net value has none.
fn check_scored_filing(w: &World, who: &Addr, position: &PositionResponse) -> Result<(), String> {
    let account = w.raw_account(who);
    if !account.has_debt() {
        return Ok(()); // check 1: nothing of it is filed
    }
    let (collateral, debt) = (
        position.total_collateral_value.u128(),
        position.total_debt_value.u128(),
    );
    // collateral is rounded down and debt up: only a gap of 2 decides the comparison
    let net_value = if collateral > debt {
        true
    } else if collateral + 1 < debt {
        false
    } else {
        return Ok(());
    };
    for s in account.supplies.iter().filter(|s| !s.scaled.is_zero()) {
        ensure!(
            s.adl_bucket.is_some() == net_value,
            "{who}: rescored with net value {net_value} (collateral {collateral}, debt {debt}), \
             its {} supply is filed in {:?}",
            s.denom,
            s.adl_bucket
        );
    }
    Ok(())
}

/// Check 4: only the holder's own deposit makes a new supply collateral, and a deposit on its
/// behalf changes none of its collateral flags, stored or shown.
fn check_deposit(
    w: &World,
    to: &Addr,
    denom: &str,
    by_holder: bool,
    before: &Account,
    position_before: Option<&PositionResponse>,
) -> Result<(), String> {
    let after = w.raw_account(to);
    let position = try_position(&w.p, to).ok();
    if before.supply(denom).is_none() {
        let stored = after.supply(denom).map(|s| s.collateral);
        ensure!(
            stored == Some(by_holder),
            "{to}: a new {denom} supply deposited by {} is stored with collateral {stored:?}",
            if by_holder {
                "its holder"
            } else {
                "someone else"
            }
        );
    }
    if by_holder {
        return Ok(());
    }
    for s in &before.supplies {
        let now = after.supply(&s.denom).map(|n| n.collateral);
        ensure!(
            now.is_none_or(|flag| flag == s.collateral),
            "{to}: a deposit on its behalf turned its stored {} collateral flag from {} to \
             {now:?}",
            s.denom,
            s.collateral
        );
    }
    if let (Some(then), Some(now)) = (position_before, position.as_ref()) {
        for s in &now.supply {
            let was = then.supply.iter().find(|b| b.denom == s.denom);
            let expected = was.is_some_and(|b| b.collateral);
            ensure!(
                s.collateral == expected,
                "{to}: a deposit of {denom} on its behalf shows its {} supply with collateral \
                 {} (before: {:?})",
                s.denom,
                s.collateral,
                was
            );
        }
    }
    Ok(())
}

/// Check 5: the books reconcile with the bank.
fn check_books(w: &World) -> Result<(), String> {
    let raw = common::read_raw(&w.p, &w.accounts);
    for denom in DENOMS {
        // held apart from the pool's cash, as `check_raw` counts it: collateral held in kind
        // for deficits, and collateral of socialised losses not yet credited
        let in_kind: u128 = raw
            .deficits
            .values()
            .flat_map(|d| d.collateral_in_kind.iter())
            .filter(|c| c.denom == denom)
            .map(amt)
            .sum();
        let social: u128 = raw
            .assets
            .values()
            .flat_map(|a| a.social_unclaimed.iter())
            .filter(|c| c.denom == denom)
            .map(amt)
            .sum();
        let held_apart = Uint128::new(in_kind + social);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_books_balance(&w.p, denom, held_apart, MAX_SLACK)
        }))
        .map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "assert_books_balance failed".into())
        })?;
        if stats_on() {
            let a = w.p.asset(denom);
            let slack = (a.cash + a.total_debt + a.debt_in_auction + a.deficit).u128()
                - a.total_supply.u128();
            let mut max = MAX_SEEN_SLACK.lock().unwrap();
            *max = (*max).max(slack);
        }
    }
    common::check_raw(&w.p, &raw)?;
    Ok(())
}

fn check_step(w: &World, action: &Action, out: &Outcome) -> Result<(), TestCaseError> {
    if let Some(Ok(response)) = &out.result {
        match (&out.judged, &out.before) {
            (Judged::Holder(who), Some(before)) if weakened(before, &w.raw_account(who)) => {
                count("checked: judged holder change");
                check_judged_holder(w, who).map_err(|e| fail(w, action, e))?;
            }
            (
                Judged::Deposit {
                    to,
                    denom,
                    by_holder,
                },
                Some(before),
            ) => {
                count("checked: deposit");
                check_deposit(
                    w,
                    to,
                    denom,
                    *by_holder,
                    before,
                    out.position_before.as_ref(),
                )
                .map_err(|e| fail(w, action, e))?;
            }
            (Judged::Rescored(who), Some(_)) => {
                let dust =
                    ballast_testing::attribute(response, "mode").is_some_and(|m| m == "dust");
                if !dust {
                    if let Ok(position) = try_position(&w.p, who) {
                        count("checked: rescored filing");
                        check_scored_filing(w, who, &position).map_err(|e| fail(w, action, e))?;
                    }
                }
            }
            _ => {}
        }
    }
    check_adl_filing(w).map_err(|e| fail(w, action, e))?;
    check_books(w).map_err(|e| fail(w, action, e))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Statistics (GATE_STATS=1, with --nocapture)
// ---------------------------------------------------------------------------------------------

static STATS: Mutex<BTreeMap<String, (u64, u64, u64)>> = Mutex::new(BTreeMap::new());
static ERRORS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
static MAX_SEEN_SLACK: Mutex<u128> = Mutex::new(0);

thread_local! {
    static STATS_ON: Cell<Option<bool>> = const { Cell::new(None) };
}

fn stats_on() -> bool {
    STATS_ON.with(|on| {
        *on.get()
            .get_or_insert_with(|| std::env::var_os("GATE_STATS").is_some())
    })
}

fn count(what: &str) {
    if stats_on() {
        STATS.lock().unwrap().entry(what.into()).or_default().0 += 1;
    }
}

fn record(w: &World, action: &Action, out: &Outcome) {
    if !stats_on() {
        return;
    }
    {
        let mut stats = STATS.lock().unwrap();
        let entry = stats.entry(action.kind().to_string()).or_default();
        match &out.result {
            None => entry.2 += 1,
            Some(Ok(_)) => entry.0 += 1,
            Some(Err(e)) => {
                entry.1 += 1;
                let short = ballast_tests::error_kind(e, 80);
                *ERRORS
                    .lock()
                    .unwrap()
                    .entry(format!("{}: {short}", action.kind()))
                    .or_default() += 1;
            }
        }
    }
    let queued: usize = DENOMS
        .iter()
        .map(|denom| {
            market_query::<AdlQueueResponse>(
                &w.p,
                &market::QueryMsg::AdlQueue {
                    denom: denom.to_string(),
                    limit: Some(100),
                },
            )
            .entries
            .len()
        })
        .sum();
    let mut stats = STATS.lock().unwrap();
    let e = stats.entry("state: ADL entries/steps".into()).or_default();
    e.0 += queued as u64;
    e.2 += 1;
    if common::deficits(&w.p).values().any(|d| !d.amount.is_zero()) {
        stats.entry("state: deficit pending".into()).or_default().0 += 1;
    }
    if social_pending(w) {
        stats
            .entry("state: social claims pending".into())
            .or_default()
            .0 += 1;
    }
}

fn print_stats() {
    if !stats_on() {
        return;
    }
    for (kind, (ok, failed, skipped)) in STATS.lock().unwrap().iter() {
        eprintln!("  {kind:32} ok {ok:6}  refused {failed:6}  skipped/effect {skipped:6}");
    }
    for (error, n) in ERRORS.lock().unwrap().iter() {
        eprintln!("  {n:6} × {error}");
    }
    eprintln!(
        "  largest identity-A slack seen: {}",
        MAX_SEEN_SLACK.lock().unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

fn run_case(case: Case) -> Result<(), TestCaseError> {
    let mut w = World::new(&case);
    check_adl_filing(&w).map_err(|e| TestCaseError::fail(format!("genesis: {e}")))?;
    check_books(&w).map_err(|e| TestCaseError::fail(format!("genesis: {e}")))?;
    for action in &case.actions {
        w.step += 1;
        let out = run(&mut w, action)?;
        record(&w, action, &out);
        check_step(&w, action, &out)?;
    }
    Ok(())
}

fn config() -> ProptestConfig {
    proptest_config(DEFAULT_CASES, 256, "proptest-regressions/gate_property.txt")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_account_change_is_judged_by_the_gate(case in case()) {
        run_case(case)?;
    }
}

#[test]
fn zz_print_stats() {
    // runs last in name order when the suite is single-threaded; harmless otherwise
    print_stats();
}
