//! Property tests: the whole protocol under random sequences of actions (deposits, withdrawals,
//! borrows, repays, collateral toggles, time jumps, price moves with crashes and spikes, Pyth
//! glitches, liquidations, bids, resets, ADL steps, pokes, stakes and exits, keeper pay claims,
//! fund top-ups, reserve claims, sales of absorbed collateral, circuit levels). Actions may fail;
//! after EVERY step the invariants below must hold.
//!
//! 1. Conservation (`common::check_books`): for every denom each contract's bank balance is what
//!    its books say it holds, to the unit (market: cash + in-kind + unclaimed social collateral;
//!    auction: open lots' collateral; backstop: at least the stake pool plus unsold absorbed
//!    collateral), identity A holds with bounded slack in the protocol's favour, scaled balances
//!    add up exactly, the market's and the auction's lots agree, and no coin is created or lost
//!    anywhere on the chain.
//! 2. Debt ≤ borrowing power (recomputed from Default prices with conservative valuation) after
//!    every successful borrow, withdraw and collateral toggle that took collateral away or added
//!    debt (withdrawing a supply that backs nothing is allowed under water).
//! 3. Only accounts with health factor < 1 are liquidated (the `health_factor` attribute and the
//!    `Position` just before agree), and the in-auction caps are never exceeded.
//! 4. Every loss is accounted for: recorded shortfalls = cover paid + deficit pending + ADL
//!    written down + socialised, to the unit; the backstop ran its waterfall on each recorded loss
//!    once; ADL never pushes a deficit below zero, writes down only levered accounts and never
//!    below `adl_min_hf` (an account already below it takes no write-down; netting its loop
//!    may cost it at most 3 units of each coin to rounding).
//! 5. Suppliers without debt lose nothing unless a socialisation happened: their supply never
//!    decreases through someone else's action, and the liquidity index never falls otherwise.
//! 6. No unexpected error: a failure that can only come from broken books (a contract's bank send
//!    bouncing, an overflow, a lot or cover the books do not know) fails the test.
//!
//! The default run is CI-sized; `PROPTEST_CASES=10000 cargo test --release -p ballast-tests
//! --test invariants` runs the long one (set `INVARIANTS_STATS=1` to print what the actions did,
//! `INVARIANTS_EVENTS=1` to print the events of a failing step).
//! Failing seeds are kept in `tests/proptest-regressions/invariants.txt`.

mod common;

use ballast_tests::{d, proptest_config};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ballast_testing::{attribute, Protocol, ProtocolBuilder, ATOM, ATOM_FEED, OSMO, QUOTE};
use ballast_types::auction::{self, LotStatus};
use ballast_types::backstop;
use ballast_types::circuit::CircuitLevel;
use ballast_types::market;
use ballast_types::math::{dec256, dec_mul, div_dec, mul_dec, value_of, Rounding};
use ballast_types::oracle::{self, PriceKind, PriceResponse};
use ballast_types::pyth::{PriceFeedResponse, PythPrice, PythQueryMsg};
use common::{amt, check_queries, check_raw, read_raw, try_position, LossLedger, Raw, DENOMS};
use cosmwasm_std::{coin, Addr, Decimal, Decimal256, HexBinary, StdError, Uint128};
use cw_multi_test::AppResponse;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Cases in the default (CI) run; `PROPTEST_CASES` overrides.
const DEFAULT_CASES: u32 = 12;
/// Balance of each generated account in each denom.
const BALANCE: u128 = 10_000_000_000_000_000;

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

/// One step. Indices pick among what exists when the step runs (users, lots, denoms), so a
/// shrunk sequence stays meaningful.
#[derive(Clone, Debug)]
enum Action {
    Deposit {
        user: u8,
        denom: u8,
        value: u128,
    },
    Withdraw {
        user: u8,
        denom: u8,
        permille: u16,
    },
    Borrow {
        user: u8,
        denom: u8,
        permille: u16,
    },
    Repay {
        user: u8,
        denom: u8,
        permille: u16,
    },
    SetCollateral {
        user: u8,
        denom: u8,
        enable: bool,
    },
    Advance {
        seconds: u64,
    },
    MovePrice {
        denom: u8,
        permille: u32,
    },
    PythGlitch {
        kind: u8,
    },
    Liquidate {
        keeper: u8,
        target: u8,
    },
    Bid {
        bidder: u8,
        lot: u8,
        permille: u16,
        pay_permille: u16,
    },
    Reset {
        keeper: u8,
        lot: u8,
    },
    AdlStep {
        denom: u8,
        limit: u8,
    },
    Poke {
        user: u8,
    },
    Stake {
        user: u8,
        value: u128,
    },
    Unstake {
        user: u8,
        permille: u16,
    },
    Claim {
        user: u8,
    },
    ClaimKeeperPay {
        keeper: u8,
    },
    Fund {
        denom: u8,
        value: u128,
    },
    ClaimReserves,
    SellAbsorbed {
        by_owner: bool,
        denom: u8,
        permille: u16,
    },
    Observe,
    CircuitLevel {
        level: u8,
    },
}

/// The circuit levels by their old numbers, the index `Action::CircuitLevel` draws (0..4).
const CIRCUIT_LEVELS: [CircuitLevel; 4] = [
    CircuitLevel::Normal,
    CircuitLevel::NoBorrows,
    CircuitLevel::NoCollateralWithdrawals,
    CircuitLevel::Halt,
];

impl Action {
    fn kind(&self) -> &'static str {
        match self {
            Action::Deposit { .. } => "deposit",
            Action::Withdraw { .. } => "withdraw",
            Action::Borrow { .. } => "borrow",
            Action::Repay { .. } => "repay",
            Action::SetCollateral { .. } => "set_collateral",
            Action::Advance { .. } => "advance",
            Action::MovePrice { .. } => "move_price",
            Action::PythGlitch { .. } => "pyth_glitch",
            Action::Liquidate { .. } => "liquidate",
            Action::Bid { .. } => "bid",
            Action::Reset { .. } => "reset",
            Action::AdlStep { .. } => "adl_step",
            Action::Poke { .. } => "poke",
            Action::Stake { .. } => "stake",
            Action::Unstake { .. } => "unstake",
            Action::Claim { .. } => "claim",
            Action::ClaimKeeperPay { .. } => "claim_keeper_pay",
            Action::Fund { .. } => "fund",
            Action::ClaimReserves => "claim_reserves",
            Action::SellAbsorbed { .. } => "sell_absorbed",
            Action::Observe => "observe",
            Action::CircuitLevel { .. } => "circuit_level",
        }
    }
}

/// A value in uusd: dust, retail or whale sized.
fn value() -> impl Strategy<Value = u128> {
    prop_oneof![
        2 => 1u128..2_000,
        5 => 1_000_000u128..1_000_000_000,
        3 => 1_000_000_000u128..200_000_000_000,
    ]
}

fn permille() -> impl Strategy<Value = u16> {
    prop_oneof![1u16..1000, Just(1000u16), 1000u16..1300]
}

fn action() -> impl Strategy<Value = Action> {
    let u = any::<u8>;
    prop_oneof![
        12 => (u(), u(), value()).prop_map(|(user, denom, value)| Action::Deposit { user, denom, value }),
        5 => (u(), u(), permille()).prop_map(|(user, denom, permille)| Action::Withdraw { user, denom, permille }),
        12 => (u(), u(), 50u16..1100).prop_map(|(user, denom, permille)| Action::Borrow { user, denom, permille }),
        5 => (u(), u(), permille()).prop_map(|(user, denom, permille)| Action::Repay { user, denom, permille }),
        2 => (u(), u(), any::<bool>()).prop_map(|(user, denom, enable)| Action::SetCollateral { user, denom, enable }),
        10 => prop_oneof![
            Just(30u64), Just(61), Just(600), Just(3600), Just(3 * 3600 + 1), Just(86_400),
            Just(8 * 86_400), Just(90 * 86_400)
        ].prop_map(|seconds| Action::Advance { seconds }),
        9 => (u(), prop_oneof![
            3 => 950u32..1050, 3 => 700u32..1400, 2 => 300u32..700, 1 => 10u32..300,
            1 => 1_500u32..5_000
        ]).prop_map(|(denom, permille)| Action::MovePrice { denom, permille }),
        1 => (0u8..5).prop_map(|kind| Action::PythGlitch { kind }),
        12 => (u(), u()).prop_map(|(keeper, target)| Action::Liquidate { keeper, target }),
        12 => (u(), u(), permille(), prop_oneof![Just(1000u16), 900u16..1200, 1u16..900])
            .prop_map(|(bidder, lot, permille, pay_permille)| Action::Bid { bidder, lot, permille, pay_permille }),
        5 => (u(), u()).prop_map(|(keeper, lot)| Action::Reset { keeper, lot }),
        4 => (u(), 1u8..60).prop_map(|(denom, limit)| Action::AdlStep { denom, limit }),
        2 => u().prop_map(|user| Action::Poke { user }),
        3 => (u(), value()).prop_map(|(user, value)| Action::Stake { user, value }),
        2 => (u(), permille()).prop_map(|(user, permille)| Action::Unstake { user, permille }),
        2 => u().prop_map(|user| Action::Claim { user }),
        2 => u().prop_map(|keeper| Action::ClaimKeeperPay { keeper }),
        2 => (u(), value()).prop_map(|(denom, value)| Action::Fund { denom, value }),
        1 => Just(Action::ClaimReserves),
        2 => (any::<bool>(), u(), permille()).prop_map(|(by_owner, denom, permille)| Action::SellAbsorbed { by_owner, denom, permille }),
        1 => Just(Action::Observe),
        1 => prop_oneof![6 => Just(0u8), 1 => 1u8..4].prop_map(|level| Action::CircuitLevel { level }),
    ]
}

/// One case: the world's shape and the actions run on it.
#[derive(Clone, Debug)]
struct Case {
    users: usize,
    /// (denom, uusd value) each user deposits first.
    genesis: Vec<(u8, u128)>,
    fund: u128,
    tight_caps: bool,
    circuit: bool,
    actions: Vec<Action>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        5usize..=20,
        prop::collection::vec((any::<u8>(), 1_000_000u128..100_000_000_000), 20),
        prop_oneof![Just(0u128), 1_000_000u128..50_000_000_000],
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action(), 50..=500),
    )
        .prop_map(
            |(users, genesis, fund, tight_caps, circuit, actions)| Case {
                users,
                genesis,
                fund,
                tight_caps,
                circuit,
                actions,
            },
        )
}

// ---------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------

struct World {
    p: Protocol,
    users: Vec<Addr>,
    keepers: Vec<Addr>,
    /// Every address that can hold coins (for the chain-wide totals).
    holders: Vec<Addr>,
    totals: BTreeMap<String, u128>,
    losses: LossLedger,
    step: usize,
    adl_min_hf: Decimal,
}

fn denom_of(i: u8) -> &'static str {
    DENOMS[i as usize % DENOMS.len()]
}

impl World {
    fn new(case: &Case) -> Self {
        let mut builder = ProtocolBuilder::new();
        let names: Vec<String> = (0..case.users).map(|i| format!("user{i}")).collect();
        for name in &names {
            builder = builder.user(
                name,
                vec![
                    coin(BALANCE, QUOTE),
                    coin(BALANCE, ATOM),
                    coin(BALANCE, OSMO),
                ],
            );
        }
        if case.tight_caps {
            builder = builder.auction_params(|a| {
                a.max_in_auction = Uint128::new(400_000_000_000);
                a.max_in_auction_per_denom =
                    vec![(ATOM.to_string(), Uint128::new(150_000_000_000))];
            });
        }
        let mut p = builder.build();
        let users: Vec<Addr> = names.iter().map(|n| p.user(n)).collect();
        let keepers = vec![p.user("keeper"), p.user("keeper2")];
        if case.circuit {
            p.set_circuit(ATOM, Decimal::percent(30), 3600, 3600)
                .expect("circuit params");
        }
        let mut holders = users.clone();
        holders.extend(keepers.iter().cloned());
        for name in ["alice", "bob", "carol", "dave"] {
            holders.push(p.user(name));
        }
        holders.extend([
            p.market.clone(),
            p.auction.clone(),
            p.backstop.clone(),
            p.oracle.clone(),
            p.owner.clone(),
            p.guardian.clone(),
            p.pyth.clone(),
        ]);
        let mut world = World {
            p,
            users,
            keepers,
            holders,
            totals: BTreeMap::new(),
            losses: LossLedger::default(),
            step: 0,
            adl_min_hf: Decimal::percent(105),
        };
        for denom in DENOMS {
            let total = world
                .holders
                .iter()
                .map(|a| world.p.balance(a, denom).u128())
                .sum();
            world.totals.insert(denom.to_string(), total);
        }
        for (i, user) in world.users.clone().iter().enumerate() {
            let (denom, value) = case.genesis[i % case.genesis.len()];
            let denom = denom_of(denom);
            let amount = world.amount_for(denom, value);
            world
                .p
                .deposit(user, coin(amount, denom))
                .expect("genesis deposit");
        }
        if case.fund > 0 {
            let dave = world.p.user("dave");
            world
                .p
                .fund(&dave, coin(case.fund, QUOTE))
                .expect("genesis fund");
        }
        world
    }

    /// Every address that may hold a market position or stake.
    fn accounts(&self) -> Vec<Addr> {
        let mut all = self.users.clone();
        all.extend(self.keepers.iter().cloned());
        all.push(self.p.user("dave"));
        all
    }

    fn amount_for(&self, denom: &str, value: u128) -> u128 {
        div_dec(Uint128::new(value), self.p.price(denom), Rounding::Down)
            .map(|a| a.u128())
            .unwrap_or(u128::MAX)
            .max(1)
    }

    fn user(&self, i: u8) -> Addr {
        self.users[i as usize % self.users.len()].clone()
    }

    /// A keeper: one of the two, or any user.
    fn keeper(&self, i: u8) -> Addr {
        if i % 3 == 0 {
            self.user(i / 3)
        } else {
            self.keepers[i as usize % 2].clone()
        }
    }

    fn balance(&self, who: &Addr, denom: &str) -> u128 {
        self.p.balance(who, denom).u128()
    }

    fn account<'a>(&self, raw: &'a Raw, who: &Addr) -> Option<&'a ballast_market::state::Account> {
        raw.accounts
            .iter()
            .find(|(a, _)| a == who)
            .map(|(_, acc)| acc)
    }

    /// A supply as stored (before the next accrual), rounded down.
    fn supplied(&self, raw: &Raw, who: &Addr, denom: &str) -> u128 {
        self.account(raw, who)
            .and_then(|acc| acc.supplies.iter().find(|s| s.denom == denom))
            .map(|s| {
                ballast_types::math::scaled::supply_amount(
                    s.scaled,
                    raw.assets[denom].liquidity_index,
                )
                .unwrap()
                .u128()
            })
            .unwrap_or_default()
    }

    /// A debt as stored, rounded up.
    fn owed(&self, raw: &Raw, who: &Addr, denom: &str) -> u128 {
        self.account(raw, who)
            .and_then(|acc| acc.debts.iter().find(|s| s.denom == denom))
            .map(|s| {
                ballast_types::math::scaled::debt_amount(s.scaled, raw.assets[denom].borrow_index)
                    .unwrap()
                    .u128()
            })
            .unwrap_or_default()
    }

    fn price_f64(&self, denom: &str) -> f64 {
        self.p.price(denom).to_string().parse().unwrap_or(0.0)
    }

    /// Rough (floating point) borrowing headroom in uusd, to size borrows: the contracts decide.
    fn headroom(&self, raw: &Raw, who: &Addr) -> u128 {
        let Some(acc) = self.account(raw, who) else {
            return 0;
        };
        let mut power = 0.0;
        for s in acc.supplies.iter().filter(|s| s.collateral) {
            power += self.supplied(raw, who, &s.denom) as f64 * self.price_f64(&s.denom) * 0.699;
        }
        let mut debt = 0.0;
        for d in &acc.debts {
            debt += self.owed(raw, who, &d.denom) as f64 * self.price_f64(&d.denom) * 1.001;
        }
        (power - debt).max(0.0) as u128
    }

    /// Rough health factor (floating point), to pick liquidation targets.
    fn health(&self, raw: &Raw, who: &Addr) -> Option<f64> {
        let acc = self.account(raw, who)?;
        let mut weighted = 0.0;
        for s in acc.supplies.iter().filter(|s| s.collateral) {
            weighted += self.supplied(raw, who, &s.denom) as f64 * self.price_f64(&s.denom) * 0.8;
        }
        let mut debt = 0.0;
        for d in &acc.debts {
            debt += self.owed(raw, who, &d.denom) as f64 * self.price_f64(&d.denom);
        }
        (debt > 0.0).then(|| weighted / debt)
    }
}

/// No coin is created or destroyed anywhere on the chain.
fn check_chain_totals(w: &World) -> Result<(), String> {
    for denom in DENOMS {
        let total: u128 = w.holders.iter().map(|a| w.p.balance(a, denom).u128()).sum();
        if Some(&total) != w.totals.get(denom) {
            return Err(format!(
                "{denom}: coins on the chain {total} != {:?}",
                w.totals.get(denom)
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running a step
// ---------------------------------------------------------------------------------------------

/// What a step did, for the checks after it.
#[derive(Default)]
struct Outcome {
    response: Option<AppResponse>,
    error: Option<String>,
    /// The account whose own market balances the action changes.
    actor: Option<Addr>,
    /// The borrower a liquidation targeted and whether `Position` said it was liquidatable.
    liquidation: Option<(Addr, bool)>,
    /// A borrow, withdraw or collateral toggle that must leave debt within borrowing power.
    capacity_check: Option<Addr>,
    /// Health factors (where `Position` gives one) before an ADL step, per account.
    health_before: BTreeMap<String, Decimal>,
    skipped: bool,
}

fn run(w: &mut World, action: &Action, raw: &Raw) -> Outcome {
    let mut out = Outcome::default();
    let result: Option<Result<AppResponse, StdError>> = match action {
        Action::Deposit { user, denom, value } => {
            let (user, denom) = (w.user(*user), denom_of(*denom));
            let amount = w.amount_for(denom, *value).min(w.balance(&user, denom));
            out.actor = Some(user.clone());
            (amount > 0).then(|| w.p.deposit(&user, coin(amount, denom)))
        }
        Action::Withdraw {
            user,
            denom,
            permille,
        } => {
            let (user, denom) = (w.user(*user), denom_of(*denom));
            out.actor = Some(user.clone());
            out.capacity_check = Some(user.clone());
            let supplied = w.supplied(raw, &user, denom);
            let amount = if *permille >= 1000 {
                None
            } else {
                Some((supplied * *permille as u128 / 1000).max(1))
            };
            Some(w.p.withdraw(&user, denom, amount))
        }
        Action::Borrow {
            user,
            denom,
            permille,
        } => {
            let (user, denom) = (w.user(*user), denom_of(*denom));
            out.actor = Some(user.clone());
            out.capacity_check = Some(user.clone());
            let headroom = w.headroom(raw, &user);
            let amount = w.amount_for(denom, headroom * *permille as u128 / 1000);
            Some(w.p.borrow(&user, denom, amount))
        }
        Action::Repay {
            user,
            denom,
            permille,
        } => {
            let (user, denom) = (w.user(*user), denom_of(*denom));
            out.actor = Some(user.clone());
            let owed = w.owed(raw, &user, denom);
            let amount = (owed * *permille as u128 / 1000)
                .max(1)
                .min(w.balance(&user, denom));
            (amount > 0).then(|| w.p.repay(&user, coin(amount, denom)))
        }
        Action::SetCollateral {
            user,
            denom,
            enable,
        } => {
            let (user, denom) = (w.user(*user), denom_of(*denom));
            out.actor = Some(user.clone());
            if !enable {
                out.capacity_check = Some(user.clone());
            }
            Some(w.p.execute_market(
                &user,
                &market::ExecuteMsg::SetCollateral {
                    denom: denom.into(),
                    enable: *enable,
                },
                &[],
            ))
        }
        Action::Advance { seconds } => {
            w.p.advance(*seconds);
            None
        }
        Action::MovePrice { denom, permille } => {
            let denom = denom_of(*denom);
            let permille = if denom == QUOTE {
                // the quote stablecoin wobbles, it does not crash
                (*permille).clamp(950, 1050)
            } else {
                *permille
            };
            let old = w.p.price(denom);
            let new = (old * Decimal256::from_ratio(permille, 1000u32))
                .max(d("0.000001"))
                .min(d("1000000"));
            w.p.set_price(denom, new);
            None
        }
        Action::PythGlitch { kind } => {
            let price = w.p.price(ATOM);
            let raw = Protocol::pyth_integer(price, -8, 6);
            let now = w.p.now() as i64;
            let good = PythPrice {
                price: raw,
                conf: (raw / 1000) as u64,
                expo: -8,
                publish_time: now,
            };
            let (price, ema) = match kind {
                0 => (
                    PythPrice {
                        publish_time: now - 120,
                        ..good.clone()
                    },
                    good,
                ),
                1 => (
                    good.clone(),
                    PythPrice {
                        price: raw.saturating_mul(3) / 2,
                        ..good
                    },
                ),
                2 => (
                    PythPrice {
                        conf: (raw / 10) as u64,
                        ..good.clone()
                    },
                    good,
                ),
                3 => (
                    PythPrice {
                        price: 0,
                        ..good.clone()
                    },
                    good,
                ),
                _ => (
                    PythPrice {
                        price: -raw,
                        ..good.clone()
                    },
                    good,
                ),
            };
            w.p.set_pyth_feed(ATOM_FEED, price, ema);
            None
        }
        Action::Liquidate { keeper, target } => {
            let keeper = w.keeper(*keeper);
            let listed: Vec<Addr> = w
                .users
                .iter()
                .filter(|u| w.health(raw, u).is_some_and(|hf| hf < 1.0))
                .cloned()
                .collect();
            let borrower = if !listed.is_empty() && *target < 224 {
                listed[*target as usize % listed.len()].clone()
            } else {
                w.user(*target)
            };
            let liquidatable = try_position(&w.p, &borrower)
                .map(|p| p.liquidatable)
                .unwrap_or(false);
            out.liquidation = Some((borrower.clone(), liquidatable));
            Some(w.p.liquidate(&keeper, &borrower))
        }
        Action::Bid {
            bidder,
            lot,
            permille,
            pay_permille,
        } => {
            let bidder = w.keeper(*bidder);
            let lots: Vec<_> = common::active_lots(&w.p)
                .into_iter()
                .filter(|l| l.status == LotStatus::Active)
                .collect();
            let _ = raw;
            if lots.is_empty() {
                None
            } else {
                let l = &lots[*lot as usize % lots.len()];
                let collateral = amt(&l.collateral);
                let max_collateral = (collateral * (*permille).min(1000) as u128 / 1000).max(1);
                let cost = mul_dec(Uint128::new(max_collateral), l.current_price, Rounding::Up)
                    .map(|c| c.u128())
                    .unwrap_or(u128::MAX);
                let pay = (cost.saturating_mul(*pay_permille as u128) / 1000)
                    .max(1)
                    .min(w.balance(&bidder, &l.debt.denom));
                (pay > 0).then(|| {
                    w.p.bid(
                        &bidder,
                        l.lot_id,
                        max_collateral,
                        l.current_price,
                        coin(pay, &l.debt.denom),
                    )
                })
            }
        }
        Action::Reset { keeper, lot } => {
            let keeper = w.keeper(*keeper);
            let lots = common::active_lots(&w.p);
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
                None
            } else {
                let id = pick[*lot as usize % pick.len()].lot_id;
                Some(w.p.reset(&keeper, id))
            }
        }
        Action::AdlStep { denom, limit } => {
            let keeper = w.keeper(*denom);
            let pending: Vec<String> = raw
                .deficits
                .iter()
                .filter(|(_, d)| !d.amount.is_zero())
                .map(|(denom, _)| denom.clone())
                .collect();
            let denom = if pending.is_empty() {
                denom_of(*denom).to_string()
            } else {
                pending[*denom as usize % pending.len()].clone()
            };
            // health factors before the step: ADL may write down a supply that backs nothing
            // (it changes no health factor) of an account already below adl_min_hf
            out.health_before = w
                .users
                .iter()
                .filter_map(|u| {
                    let hf = try_position(&w.p, u).ok()?.health_factor?;
                    Some((u.to_string(), hf))
                })
                .collect();
            Some(w.p.execute_backstop(
                &keeper,
                &backstop::ExecuteMsg::AdlStep {
                    denom,
                    limit: *limit as u32,
                },
                &[],
            ))
        }
        Action::Poke { user } => {
            let target = w.user(*user);
            let keeper = w.keepers[0].clone();
            Some(w.p.execute_market(
                &keeper,
                &market::ExecuteMsg::Poke {
                    account: target.to_string(),
                },
                &[],
            ))
        }
        Action::Stake { user, value } => {
            let user = w.user(*user);
            let amount = (*value).min(w.balance(&user, QUOTE));
            (amount > 0).then(|| w.p.stake(&user, coin(amount, QUOTE)))
        }
        Action::Unstake { user, permille } => {
            let user = w.user(*user);
            let shares = raw
                .stakers
                .iter()
                .find(|(a, _)| *a == user)
                .map(|(_, s)| s.shares.u128())
                .unwrap_or_default();
            let amount = (shares * (*permille).min(1000) as u128 / 1000).max(1);
            Some(w.p.execute_backstop(
                &user,
                &backstop::ExecuteMsg::Unstake {
                    amount: Uint128::new(amount),
                },
                &[],
            ))
        }
        Action::Claim { user } => {
            let user = w.user(*user);
            Some(w.p.execute_backstop(&user, &backstop::ExecuteMsg::Claim {}, &[]))
        }
        Action::ClaimKeeperPay { keeper } => {
            let keeper = w.keeper(*keeper);
            let owed: auction::KeeperPayResponse =
                w.p.query(
                    &w.p.auction,
                    &auction::QueryMsg::KeeperPay {
                        keeper: keeper.to_string(),
                    },
                )
                .expect("keeper pay");
            let before: Vec<u128> = owed
                .owed
                .iter()
                .map(|c| w.balance(&keeper, &c.denom))
                .collect();
            let result = w.p.execute_auction(
                &keeper,
                &auction::ExecuteMsg::ClaimKeeperPay { denoms: None },
                &[],
            );
            if result.is_ok() {
                // a keeper never receives more than it earned
                for (c, b) in owed.owed.iter().zip(before) {
                    let got = w.balance(&keeper, &c.denom) - b;
                    assert!(
                        got <= amt(c),
                        "keeper {keeper} received {got}{} for {} owed",
                        c.denom,
                        c.amount
                    );
                }
            }
            Some(result)
        }
        Action::Fund { denom, value } => {
            let denom = denom_of(*denom);
            let dave = w.p.user("dave");
            let amount = w.amount_for(denom, *value).min(w.balance(&dave, denom));
            (amount > 0).then(|| w.p.fund(&dave, coin(amount, denom)))
        }
        Action::ClaimReserves => {
            let keeper = w.keepers[1].clone();
            Some(w.p.execute_market(
                &keeper,
                &market::ExecuteMsg::ClaimReserves { denoms: None },
                &[],
            ))
        }
        Action::SellAbsorbed {
            by_owner,
            denom,
            permille,
        } => {
            let held: Vec<(&String, &Uint128)> = raw.absorbed.iter().collect();
            if held.is_empty() {
                None
            } else {
                let (c_denom, c_amount) = held[*denom as usize % held.len()];
                let total = c_amount.u128();
                let amount = (total * (*permille).min(1000) as u128 / 1000).max(1);
                let sender = if *by_owner {
                    w.p.owner.clone()
                } else {
                    w.keepers[0].clone()
                };
                Some(w.p.execute_backstop(
                    &sender,
                    &backstop::ExecuteMsg::SellAbsorbed {
                        denom: c_denom.clone(),
                        amount: Uint128::new(amount),
                        proceeds_denom: None,
                    },
                    &[],
                ))
            }
        }
        Action::Observe => {
            let keeper = w.keepers[0].clone();
            Some(w.p.observe(&keeper, &[ATOM]))
        }
        Action::CircuitLevel { level } => {
            let sender = if *level > 0 && w.step % 2 == 0 {
                w.p.guardian.clone()
            } else {
                w.p.owner.clone()
            };
            Some(w.p.execute_market(
                &sender,
                &market::ExecuteMsg::SetCircuitLevel {
                    level: CIRCUIT_LEVELS[*level as usize],
                },
                &[],
            ))
        }
    };
    match result {
        None => out.skipped = true,
        Some(Ok(response)) => out.response = Some(response),
        Some(Err(e)) => out.error = Some(common_error(&e)),
    }
    out
}

fn common_error(e: &StdError) -> String {
    ballast_tests::error_message(e)
}

/// Failures that only broken books can cause: a contract's own bank send bouncing, arithmetic
/// overflow, internal messages that the receiver's records refuse.
const UNEXPECTED: [&str; 12] = [
    "insufficient funds",
    "Cannot Sub",
    "overflow",
    "Overflow",
    "division by zero",
    "exceeds its deficit",
    "exceeds lot",
    "lot id mismatch",
    "in-auction cap exceeded",
    "unknown lot",
    "belongs to",
    "panicked",
];

// ---------------------------------------------------------------------------------------------
// Checks after each step
// ---------------------------------------------------------------------------------------------

fn fail(w: &World, action: &Action, message: String) -> TestCaseError {
    TestCaseError::fail(format!("step {} ({action:?}): {message}", w.step))
}

/// index_after / index_before of a socialisation of `denom` in `response`, if it has one.
fn socialised_share(response: Option<&AppResponse>, denom: &str) -> Option<Decimal> {
    let event = response?.events.iter().find(|e| {
        e.ty.ends_with("ballast_adl_socialize")
            && e.attributes
                .iter()
                .any(|a| a.key == "denom" && a.value == denom)
    })?;
    let index = |key: &str| -> Option<Decimal256> {
        let value = &event.attributes.iter().find(|a| a.key == key)?.value;
        Decimal256::from_str(value).ok()
    };
    let (before, after) = (index("index_before")?, index("index_after")?);
    Decimal::try_from(after.checked_div(before).ok()?).ok()
}

/// Whether `after` has debt and, against the account as it was in `before`, more scaled debt
/// of some denom or less of some collateral (a smaller scaled supply or a disabled flag).
fn weakened(before: &Raw, after: &ballast_market::state::Account, who: &Addr) -> bool {
    if after.debts.is_empty() {
        return false;
    }
    let empty = ballast_market::state::Account::default();
    let was = before
        .accounts
        .iter()
        .find(|(a, _)| a == who)
        .map(|(_, account)| account)
        .unwrap_or(&empty);
    let more_debt = after.debts.iter().any(|d| {
        let old = was.debts.iter().find(|o| o.denom == d.denom);
        old.is_none_or(|o| d.scaled > o.scaled)
    });
    let less_collateral = was.supplies.iter().filter(|s| s.collateral).any(|s| {
        let new = after.supplies.iter().find(|n| n.denom == s.denom);
        new.is_none_or(|n| !n.collateral || n.scaled < s.scaled)
    });
    more_debt || less_collateral
}

/// The account's `Position` past a refused ATOM price (stale, or a zero or negative print),
/// which refuses the Position query (a liquidation judgement waits for a good price) while the
/// gate and ADL count such collateral as zero. The query is then read with ATOM's feed (the
/// only Pyth one) republished fresh: at the same values when they are a price (stale), else at
/// $10; the refused feed is put back. Amounts are the same at any price; a health factor read
/// this way counts ATOM at a positive price, at least what the gate and ADL counted it at.
fn position_for_amounts(w: &mut World, who: &Addr) -> Result<market::PositionResponse, String> {
    let first = try_position(&w.p, who);
    match &first {
        Err(e) if e.contains(&format!("price of {ATOM} ")) => {}
        _ => return first,
    }
    let feed: PriceFeedResponse =
        w.p.query(
            &w.p.pyth,
            &PythQueryMsg::PriceFeed {
                id: HexBinary::from_hex(ATOM_FEED).unwrap(),
            },
        )
        .map_err(|e| e.to_string())?;
    let (price, ema) = (feed.price_feed.price, feed.price_feed.ema_price);
    let now = w.p.now() as i64;
    let good = if price.price > 0 && ema.price > 0 {
        (
            PythPrice {
                publish_time: now,
                ..price.clone()
            },
            PythPrice {
                publish_time: now,
                ..ema.clone()
            },
        )
    } else {
        let ten = PythPrice {
            price: 1_000_000_000,
            conf: 0,
            expo: -8,
            publish_time: now,
        };
        (ten.clone(), ten)
    };
    w.p.set_pyth_feed(ATOM_FEED, good.0, good.1);
    let fresh = try_position(&w.p, who);
    w.p.set_pyth_feed(ATOM_FEED, price, ema);
    fresh
}

/// Debt ≤ borrowing power at Default prices with conservative valuation, recomputed here from
/// `Position` amounts and the oracle's Default prices.
fn within_capacity(w: &mut World, who: &Addr, before: &Raw) -> Result<(), String> {
    let position = position_for_amounts(w, who);
    let w = &*w;
    let weakened_now = || weakened(before, &common::raw_account(&w.p, who), who);
    // With a debt's price refused (zero, stale, too uncertain) the account cannot be valued. An
    // action that succeeded then must not have needed that price (a toggle that changed
    // nothing, a supply that backs nothing, an account without debt): it may not have left the
    // account with debt and less collateral or more debt than before. Collateral whose price is
    // refused counts as zero, as the market's gate counts it.
    let refused = |e: String| {
        if weakened_now() {
            Err(format!(
                "{e} after an action that weakened an account with debt"
            ))
        } else {
            Ok(())
        }
    };
    let position = match position {
        Ok(position) => position,
        Err(e) if e.contains("price of") => return refused(e),
        Err(e) => return Err(e),
    };
    if position.debt.is_empty() {
        return Ok(());
    }
    let price = |denom: &str| -> Result<PriceResponse, String> {
        w.p.query(
            &w.p.oracle,
            &oracle::QueryMsg::Price {
                denom: denom.into(),
                kind: Some(PriceKind::Default),
            },
        )
        .map_err(|e| e.to_string())
    };
    // the builder's Pyth source has conf_multiplier 1; fixed prices have no interval
    let mut power = Decimal256::zero();
    for s in position.supply.iter().filter(|s| s.collateral) {
        let Ok(p) = price(&s.denom) else {
            continue;
        };
        let ltv = w.p.asset(&s.denom).params.max_ltv;
        let value = value_of(s.amount, p.price.saturating_sub(p.conf)).unwrap();
        power += dec_mul(value, dec256(ltv), Rounding::Down).unwrap();
    }
    let mut debt = Decimal256::zero();
    for c in &position.debt {
        let p = match price(&c.denom) {
            Ok(p) => p,
            Err(e) => return refused(e),
        };
        debt += value_of(c.amount, p.price + p.conf).unwrap();
    }
    // a supply that backs nothing may leave an account already under water: it changes
    // nothing its health depends on
    if debt > power && weakened_now() {
        return Err(format!(
            "{who}: debt {debt} above borrowing power {power} after a successful action"
        ));
    }
    Ok(())
}

fn check_step(
    w: &mut World,
    action: &Action,
    before: &Raw,
    out: &Outcome,
) -> Result<(), TestCaseError> {
    if let Some(error) = &out.error {
        // A sale of absorbed collateral asks the auction for room like any lot; the auction
        // refusing it beyond the caps is the cap doing its job (no fire sale), not broken books.
        let sale_refused_by_cap = matches!(action, Action::SellAbsorbed { .. })
            && error.contains("in-auction cap exceeded");
        if let Some(bad) = UNEXPECTED
            .iter()
            .find(|u| error.contains(*u))
            .filter(|_| !sale_refused_by_cap)
        {
            return Err(fail(
                w,
                action,
                format!("unexpected error ({bad}): {error}"),
            ));
        }
    }
    // 1. conservation
    let raw = read_raw(&w.p, &w.accounts());
    check_raw(&w.p, &raw).map_err(|e| fail(w, action, e))?;
    if w.step % 25 == 0 {
        check_queries(&w.p, &raw).map_err(|e| fail(w, action, e))?;
        check_chain_totals(w).map_err(|e| fail(w, action, e))?;
    }
    // 4. losses
    if let Some(response) = &out.response {
        w.losses
            .absorb(&w.p, response)
            .map_err(|e| fail(w, action, e))?;
    } else {
        w.losses.socialized_now.clear();
        w.losses.adl_now.clear();
    }
    w.losses.check(&raw).map_err(|e| fail(w, action, e))?;
    let ok = out.response.is_some();
    // 2. borrowing power
    if ok {
        if let Some(who) = &out.capacity_check {
            within_capacity(w, who, before).map_err(|e| fail(w, action, e))?;
        }
    }
    // 3. liquidations
    if let (Some(response), Some((borrower, liquidatable))) = (&out.response, &out.liquidation) {
        let hf = attribute(response, "health_factor")
            .and_then(|h| Decimal::from_str(&h).ok())
            .ok_or_else(|| fail(w, action, "liquidation without health_factor".into()))?;
        if hf >= Decimal::one() || !liquidatable {
            return Err(fail(
                w,
                action,
                format!("{borrower} liquidated at health factor {hf} (Position said liquidatable: {liquidatable})"),
            ));
        }
    }
    // ADL: only levered accounts, never below adl_min_hf
    // One unit of each coin, valued at its price: the rounding allowance below is 3 of each.
    let unit_values: u128 = DENOMS
        .iter()
        .map(|d| w.price_f64(d).ceil().max(1.0) as u128)
        .sum();
    for (account, denom, written) in w.losses.adl_now.clone() {
        let levered = before
            .accounts
            .iter()
            .find(|(a, _)| a.as_str() == account)
            .is_some_and(|(_, acc)| acc.has_debt());
        if !levered {
            return Err(fail(
                w,
                action,
                format!("ADL wrote down {written}{denom} of {account}, which had no debt"),
            ));
        }
        let position =
            position_for_amounts(w, &Addr::unchecked(&account)).map_err(|e| fail(w, action, e))?;
        if let Some(hf) = position.health_factor {
            // An account already below adl_min_hf takes no write-down, but its supply of the
            // denom may be netted against its debt of it; rounding (in the protocol's favour)
            // may cost it a few units, at most 3 of each coin, valued at its price.
            let rounding =
                Decimal::from_ratio(3 * unit_values, position.total_debt_value.u128().max(1));
            let floor = match out.health_before.get(&account) {
                Some(before) if *before < w.adl_min_hf => before.saturating_sub(rounding),
                _ => w.adl_min_hf,
            };
            // The same step may then socialise the rest over all of the denom's suppliers by
            // lowering its liquidity index: a loss every supplier bears, written-down ones too.
            // Their supply keeps index_after / index_before of its value, so their health factor
            // keeps at least that share of the floor.
            let floor = match socialised_share(out.response.as_ref(), &denom) {
                Some(kept) => (floor * kept).saturating_sub(rounding),
                None => floor,
            };
            if hf < floor {
                return Err(fail(
                    w,
                    action,
                    format!(
                        "ADL left {account} at health factor {hf} < {floor} (adl_min_hf {}, before {:?})",
                        w.adl_min_hf,
                        out.health_before.get(&account)
                    ),
                ));
            }
        }
    }
    // 5. indices and unlevered suppliers
    for denom in DENOMS {
        let (then, now) = (&before.assets[denom], &raw.assets[denom]);
        let socialized = w.losses.socialized_now.iter().any(|s| s == denom);
        if now.liquidity_index < then.liquidity_index && !socialized {
            return Err(fail(
                w,
                action,
                format!(
                    "{denom}: liquidity index fell from {} to {} without a socialisation",
                    then.liquidity_index, now.liquidity_index
                ),
            ));
        }
        if now.borrow_index < then.borrow_index {
            return Err(fail(w, action, format!("{denom}: borrow index fell")));
        }
    }
    for ((addr, acc), (_, after)) in before.accounts.iter().zip(&raw.accounts) {
        if acc.has_debt() || acc.open_lots > 0 || out.actor.as_ref() == Some(addr) {
            continue;
        }
        for s in &acc.supplies {
            if w.losses.socialized_now.iter().any(|d| d == &s.denom) {
                continue;
            }
            let then = ballast_types::math::scaled::supply_amount(
                s.scaled,
                before.assets[&s.denom].liquidity_index,
            )
            .unwrap();
            let index = raw.assets[&s.denom].liquidity_index;
            let now = after
                .supplies
                .iter()
                .find(|p| p.denom == s.denom)
                .map(|p| ballast_types::math::scaled::supply_amount(p.scaled, index).unwrap())
                .unwrap_or_default();
            if now < then {
                return Err(fail(
                    w,
                    action,
                    format!(
                        "{addr} (no debt) lost {}{} of supply to someone else's action",
                        then - now,
                        s.denom
                    ),
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Statistics (INVARIANTS_STATS=1)
// ---------------------------------------------------------------------------------------------

static TIMES: Mutex<(u64, u64, u64)> = Mutex::new((0, 0, 0));
static STEPS: AtomicU64 = AtomicU64::new(0);
static STATS: Mutex<BTreeMap<String, (u64, u64)>> = Mutex::new(BTreeMap::new());
static ERRORS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

fn record(action: &Action, out: &Outcome) {
    if std::env::var_os("INVARIANTS_STATS").is_none() {
        return;
    }
    let mut stats = STATS.lock().unwrap();
    let entry = stats.entry(action.kind().to_string()).or_default();
    let effect_only = matches!(
        action,
        Action::Advance { .. } | Action::MovePrice { .. } | Action::PythGlitch { .. }
    );
    if out.response.is_some() || effect_only {
        entry.0 += 1;
    } else {
        entry.1 += 1;
    }
    if let Some(e) = &out.error {
        let short = ballast_tests::error_kind(e, 90);
        *ERRORS
            .lock()
            .unwrap()
            .entry(format!("{}: {short}", action.kind()))
            .or_default() += 1;
    }
}

fn print_stats() {
    if std::env::var_os("INVARIANTS_STATS").is_none() {
        return;
    }
    eprintln!(
        "steps run: {} times {:?}",
        STEPS.load(Ordering::Relaxed),
        TIMES.lock().unwrap()
    );
    for (kind, (ok, failed)) in STATS.lock().unwrap().iter() {
        eprintln!("  {kind:18} ok {ok:7}  failed/skipped {failed:7}");
    }
    for (error, n) in ERRORS.lock().unwrap().iter() {
        eprintln!("  {n:7} × {error}");
    }
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

fn run_case(case: Case) -> Result<(), TestCaseError> {
    let mut w = World::new(&case);
    let raw = read_raw(&w.p, &w.accounts());
    check_raw(&w.p, &raw).map_err(|e| TestCaseError::fail(format!("genesis: {e}")))?;
    for action in &case.actions {
        w.step += 1;
        let t0 = std::time::Instant::now();
        let before = read_raw(&w.p, &w.accounts());
        let t1 = std::time::Instant::now();
        let out = run(&mut w, action, &before);
        let t2 = std::time::Instant::now();
        record(action, &out);
        if let Err(e) = check_step(&mut w, action, &before, &out) {
            if std::env::var("INVARIANTS_EVENTS").is_ok() {
                eprintln!("{:#?}", out.response.as_ref().map(|r| &r.events));
            }
            return Err(e);
        }
        let t3 = std::time::Instant::now();
        TIMES.lock().unwrap().0 += (t1 - t0).as_micros() as u64;
        TIMES.lock().unwrap().1 += (t2 - t1).as_micros() as u64;
        TIMES.lock().unwrap().2 += (t3 - t2).as_micros() as u64;
    }
    let raw = read_raw(&w.p, &w.accounts());
    check_queries(&w.p, &raw).map_err(|e| TestCaseError::fail(format!("end: {e}")))?;
    check_chain_totals(&w).map_err(|e| TestCaseError::fail(format!("end: {e}")))?;
    STEPS.fetch_add(case.actions.len() as u64, Ordering::Relaxed);
    Ok(())
}

fn config() -> ProptestConfig {
    proptest_config(DEFAULT_CASES, 4_096, "proptest-regressions/invariants.txt")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn invariants_hold_after_every_step(case in case()) {
        run_case(case)?;
    }
}

#[test]
fn zz_print_stats() {
    // runs last in name order when the suite is single-threaded; harmless otherwise
    print_stats();
}
