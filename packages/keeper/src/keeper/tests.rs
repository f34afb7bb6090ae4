//! The round against a scripted chain: queries answered from a small model of the protocol's
//! state, executions recorded and applied to that model.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::str::FromStr;

use ballast_types::auction::{ConfigResponse as AuctionConfig, Curve, LotKind, LotStatus};
use ballast_types::backstop::ConfigResponse as BackstopConfig;
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{
    AdlQueueEntry, CoinValue, Config as MarketConfig, LiquidatableAccount, SupplyValue,
};
use cosmwasm_std::{coin, Addr, Decimal, Decimal256, Uint128};
use serde_json::Value;

use super::*;
use crate::chain::{SimOutcome, TxOutcome};

const KEEPER: &str = "keeper";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn d256(s: &str) -> Decimal256 {
    Decimal256::from_str(s).unwrap()
}

/// The model the mock answers from.
struct State {
    wired: bool,
    circuit_level: CircuitLevel,
    /// Pages of `Liquidatable`, keyed by `start_after` ("" for the first).
    pages: BTreeMap<String, LiquidatableResponse>,
    positions: BTreeMap<String, PositionResponse>,
    max_in_auction: u128,
    in_auction: u128,
    lots: Vec<LotResponse>,
    prices: BTreeMap<String, Decimal256>,
    balance: u128,
    deficit: u128,
    adl_per_step: u128,
    queue: Vec<AdlQueueEntry>,
    /// Keeper pay the auction has accrued for the keeper (uusd).
    owed: u128,
    /// Messages whose simulation fails (substring match on the JSON).
    fail_simulation: Vec<String>,
    fail_query: Vec<String>,
    queries: RefCell<Vec<String>>,
    executed: Vec<Vec<String>>,
}

fn liquidatable(account: &str, hf: &str) -> LiquidatableAccount {
    LiquidatableAccount {
        account: account.into(),
        health_factor: dec(hf),
        debt_value: Uint128::new(1_000),
    }
}

fn position(account: &str, hf: &str, collateral: &str) -> PositionResponse {
    PositionResponse {
        account: account.into(),
        supply: vec![SupplyValue {
            denom: collateral.into(),
            amount: Uint128::new(10_000),
            value: Some(Uint128::new(1_000)),
            collateral: true,
        }],
        debt: vec![CoinValue {
            denom: "uusd".into(),
            amount: Uint128::new(900),
            value: Uint128::new(900),
        }],
        total_collateral_value: Uint128::new(1_000),
        total_debt_value: Uint128::new(900),
        health_factor: Some(dec(hf)),
        max_borrow_value: None,
        liquidatable: dec(hf) < Decimal::one(),
        open_lots: 0,
    }
}

fn lot(id: u64, status: LotStatus, price: &str) -> LotResponse {
    LotResponse {
        lot_id: id,
        kind: LotKind::Liquidation,
        borrower: "b".into(),
        collateral: coin(100, "uatom"),
        debt: coin(900, "uusd"),
        penalty: coin(45, "uusd"),
        tab: coin(945, "uusd"),
        start_price: d256("12"),
        current_price: d256(price),
        started_at: 0,
        resets: 0,
        status,
        min_debt: Uint128::zero(),
    }
}

impl State {
    fn new() -> Self {
        let mut pages = BTreeMap::new();
        pages.insert(
            String::new(),
            LiquidatableResponse {
                accounts: vec![
                    liquidatable("alice", "0.9"),
                    liquidatable(KEEPER, "0.5"),
                    liquidatable("bob", "1"),
                ],
                unpriced: vec![],
                next: Some("bob".into()),
            },
        );
        pages.insert(
            "bob".into(),
            LiquidatableResponse {
                accounts: vec![liquidatable("carol", "0.7"), liquidatable("dave", "0.95")],
                unpriced: vec![],
                next: None,
            },
        );
        let positions = [
            position("alice", "0.9", "uatom"),
            position("carol", "0.7", "uatom"),
            position("dave", "0.95", "uatom"),
            position("erin", "1.5", "uatom"),
        ]
        .into_iter()
        .map(|p| (p.account.clone(), p))
        .collect();
        State {
            wired: true,
            circuit_level: CircuitLevel::Normal,
            pages,
            positions,
            max_in_auction: 10_000,
            in_auction: 0,
            lots: vec![
                lot(1, LotStatus::NeedsReset, "3"),
                lot(2, LotStatus::Active, "9"),  // under 9.8: bid
                lot(3, LotStatus::Active, "11"), // over: no bid
            ],
            prices: [("uatom", "10"), ("uusd", "1")]
                .into_iter()
                .map(|(d, p)| (d.to_string(), d256(p)))
                .collect(),
            balance: 10_000,
            deficit: 0,
            adl_per_step: 60,
            queue: vec![],
            owed: 0,
            fail_simulation: vec![],
            fail_query: vec![],
            queries: RefCell::new(vec![]),
            executed: vec![],
        }
    }
}

struct Mock(State);

fn variant(v: &Value) -> (String, Value) {
    let (k, inner) = v.as_object().unwrap().iter().next().unwrap();
    (k.clone(), inner.clone())
}

impl Mock {
    fn answer(&self, contract: &str, msg: &Value) -> Result<Value, ChainError> {
        let s = &self.0;
        let (name, args) = variant(msg);
        s.queries.borrow_mut().push(format!("{contract}.{name}"));
        if s.fail_query.contains(&name) {
            return Err(ChainError::Transport("node down".into()));
        }
        let v = |x: &dyn erased::Ser| x.to_value();
        Ok(match (contract, name.as_str()) {
            ("market", "config") => v(&MarketConfig {
                owner: Addr::unchecked("owner"),
                pending_owner: None,
                guardian: None,
                oracle: Addr::unchecked("oracle"),
                auction: s.wired.then(|| Addr::unchecked("auction")),
                backstop: s.wired.then(|| Addr::unchecked("backstop")),
                quote_denom: "uusd".into(),
                target_hf: dec("1.05"),
                full_liquidation_hf: dec("0.95"),
                ramp_duration: 1,
                grace_period: 1,
                dust_value: Uint128::new(10),
            }),
            ("market", "circuit_level") => v(&CircuitLevelResponse {
                level: s.circuit_level,
                raised_at: None,
                liquidations_resume_at: None,
                auto_level: CircuitLevel::Normal,
                auto_until: None,
            }),
            ("market", "liquidatable") => {
                let start = args["start_after"].as_str().unwrap_or("").to_string();
                v(&s.pages[&start])
            }
            ("market", "position") => {
                let account = args["account"].as_str().unwrap();
                match s.positions.get(account) {
                    Some(p) => v(p),
                    None => {
                        return Err(ChainError::Query {
                            contract: contract.into(),
                            message: "no position".into(),
                        })
                    }
                }
            }
            ("market", "asset") => {
                // only min_debt is read; build the smallest valid answer
                let json = serde_json::json!({
                    "denom": args["denom"], "params": {
                        "max_ltv": "0.7", "liquidation_threshold": "0.8", "liquidation_penalty": "0.05",
                        "reserve_factor": "0.1",
                        "interest": {"base": "0", "slope_1": "0.04", "slope_2": "0.75", "optimal_utilization": "0.8"},
                        "supply_cap": "0", "borrow_cap": "0", "min_debt": "50",
                        "deposit_enabled": true, "borrow_enabled": true, "collateral_enabled": true},
                    "liquidation_threshold": "0.8", "liquidation_threshold_ramp": null,
                    "liquidity_index": "1", "borrow_index": "1", "borrow_rate": "0", "supply_rate": "0",
                    "utilization": "0", "total_supply": "0", "total_debt": "0", "debt_in_auction": "0",
                    "cash": "0", "reserves": "0", "deficit": "0", "last_updated": 0
                });
                serde_json::from_value::<ballast_types::market::AssetResponse>(json.clone())
                    .unwrap();
                json
            }
            ("market", "adl_queue") => v(&AdlQueueResponse {
                entries: s.queue.clone(),
            }),
            ("auction", "config") => v(&AuctionConfig {
                owner: Addr::unchecked("owner"),
                pending_owner: None,
                market: Addr::unchecked("market"),
                params: AuctionParams {
                    buf: dec("1.2"),
                    curve: Curve::Linear { tau: 3600 },
                    tail: 7200,
                    cusp: dec("0.4"),
                    max_resets: 3,
                    tip: Uint128::zero(),
                    chip: Decimal::zero(),
                    max_in_auction: Uint128::new(s.max_in_auction),
                    max_in_auction_per_denom: vec![],
                },
                next_lot_id: 10,
            }),
            ("auction", "in_auction") => v(&InAuctionResponse {
                total_value: Uint128::new(s.in_auction),
                per_denom: vec![],
            }),
            ("auction", "active_lots") => {
                let after = args["start_after"].as_u64().unwrap_or(0);
                let limit = args["limit"].as_u64().unwrap() as usize;
                v(&LotsResponse {
                    lots: s
                        .lots
                        .iter()
                        .filter(|l| l.lot_id > after)
                        .take(limit)
                        .cloned()
                        .collect(),
                })
            }
            ("oracle", "price") => {
                let denom = args["denom"].as_str().unwrap();
                assert_eq!(args["kind"], "liquidation");
                v(&PriceResponse {
                    denom: denom.into(),
                    price: s.prices[denom],
                    conf: Decimal256::zero(),
                    publish_time: 1,
                })
            }
            ("backstop", "deficits") => v(&DeficitsResponse {
                deficits: vec![DeficitResponse {
                    denom: "uusd".into(),
                    amount: Uint128::new(s.deficit),
                    collateral_in_kind: vec![],
                }],
            }),
            ("auction", "keeper_pay") => v(&ballast_types::auction::KeeperPayResponse {
                keeper: args["keeper"].as_str().unwrap_or_default().into(),
                owed: if s.owed == 0 {
                    vec![]
                } else {
                    vec![coin(s.owed, "uusd")]
                },
            }),
            ("backstop", "deficit") => v(&DeficitResponse {
                denom: "uusd".into(),
                amount: Uint128::new(s.deficit),
                collateral_in_kind: vec![],
            }),
            ("backstop", "config") => v(&BackstopConfig {
                owner: Addr::unchecked("owner"),
                market: Addr::unchecked("market"),
                oracle: Addr::unchecked("oracle"),
                params: ballast_types::backstop::BackstopParams {
                    stake_denom: "ustake".into(),
                    max_cover_per_event: dec("0.5"),
                    stake_cooldown: 1,
                    max_drawdown: dec("0.3"),
                    drawdown_window: 1,
                    adl_buckets: vec![dec("0.5"), dec("1"), dec("2")],
                    adl_min_hf: dec("1.05"),
                },
                pending_owner: None,
            }),
            other => panic!("unexpected query {other:?}"),
        })
    }

    fn apply(&mut self, contract: &str, msg: &Value, funds: &[cosmwasm_std::Coin]) {
        let s = &mut self.0;
        let (name, args) = variant(msg);
        match (contract, name.as_str()) {
            ("market", "liquidate") => {
                let who = args["borrower"].as_str().unwrap();
                s.in_auction += 6_000;
                let p = s.positions.get_mut(who).unwrap();
                p.liquidatable = false;
                p.health_factor = Some(dec("1.05"));
            }
            ("auction", "bid") => {
                let paid: u128 = funds[0].amount.to_string().parse().unwrap();
                s.balance -= paid;
                let id = args["lot_id"].as_u64().unwrap();
                s.lots.retain(|l| l.lot_id != id);
            }
            ("auction", "reset") => {
                let id = args["lot_id"].as_u64().unwrap();
                let l = s.lots.iter_mut().find(|l| l.lot_id == id).unwrap();
                l.status = LotStatus::Active;
                l.current_price = d256("12");
            }
            ("backstop", "adl_step") => s.deficit = s.deficit.saturating_sub(s.adl_per_step),
            ("auction", "claim_keeper_pay") => {
                s.balance += s.owed;
                s.owed = 0;
            }
            _ => {}
        }
    }
}

/// `serde_json::to_value` through a trait object (the answers have many types).
mod erased {
    pub trait Ser {
        fn to_value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

impl Chain for Mock {
    fn sender(&self) -> String {
        KEEPER.into()
    }
    fn block(&self) -> Result<BlockInfo, ChainError> {
        Ok(BlockInfo {
            height: 100,
            time: 1_000,
        })
    }
    fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ChainError> {
        let msg: Value = serde_json::from_slice(msg).unwrap();
        Ok(serde_json::to_vec(&self.answer(contract, &msg)?).unwrap())
    }
    fn balance(&self, address: &str, denom: &str) -> Result<Uint128, ChainError> {
        assert_eq!((address, denom), (KEEPER, "uusd"));
        Ok(Uint128::new(self.0.balance))
    }
    fn execute(&mut self, msgs: &[ContractMsg]) -> Result<TxOutcome, ChainError> {
        self.0.executed.push(
            msgs.iter()
                .map(|m| format!("{} {}", m.contract, m.msg_text()))
                .collect(),
        );
        for m in msgs {
            let v: Value = serde_json::from_slice(&m.msg).unwrap();
            self.apply(&m.contract, &v, &m.funds);
        }
        Ok(TxOutcome {
            gas_used: Some(100_000),
            ..Default::default()
        })
    }
    fn simulate(&mut self, msgs: &[ContractMsg]) -> Result<SimOutcome, ChainError> {
        let text: String = msgs.iter().map(|m| m.msg_text()).collect();
        let error = self
            .0
            .fail_simulation
            .iter()
            .find(|f| text.contains(f.as_str()))
            .map(|f| format!("would fail on {f}"));
        Ok(SimOutcome {
            gas_used: Some(90_000),
            error,
        })
    }
}

fn settings() -> KeeperSettings {
    KeeperSettings {
        liquidatable_page_limit: 3,
        lots_page_limit: 2,
        ..Default::default()
    }
}

#[test]
fn a_round_resets_bids_liquidates_within_the_caps_and_skips_what_would_fail() {
    let mut chain = Mock(State::new());
    let mut keeper = Keeper::new("market", settings());
    let report = keeper.round(&mut chain).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let executed = &chain.0.executed;
    assert_eq!(
        executed,
        &vec![
            vec![r#"auction {"reset":{"lot_id":1}}"#.to_string()],
            // lot 2 at 9 ≤ 10 × 0.98: all its collateral costs 900 ≤ tab 945
            vec![r#"auction {"bid":{"lot_id":2,"max_collateral":"100","max_price":"9","recipient":null}}"#.to_string()],
            // worst health first: carol (0.7), alice (0.9); then the room is gone (12,000 in
            // auction against a 10,000 cap) and dave waits
            vec![r#"market {"liquidate":{"borrower":"carol"}}"#.to_string()],
            vec![r#"market {"liquidate":{"borrower":"alice"}}"#.to_string()],
        ]
    );
    // bob (HF 1) and the keeper itself were never candidates; dave found no room.
    assert!(
        report.skipped.iter().any(|s| s.contains("no room")),
        "{:?}",
        report.skipped
    );
    let positions = chain
        .0
        .queries
        .borrow()
        .iter()
        .filter(|q| *q == "market.position")
        .count();
    assert_eq!(positions, 2);
    let c = &report.counters;
    assert_eq!(
        (c.resets, c.bids, c.liquidations, c.adl_steps),
        (1, 1, 2, 0)
    );
    assert_eq!(c.gas_used, 400_000);
    assert_eq!(c.profit, Uint128::new(1_000 - 900));
    assert_eq!(chain.0.balance, 10_000 - 900);
    assert_eq!(keeper.totals, report.counters);
    // a second round adds up
    keeper.round(&mut chain).unwrap();
    assert_eq!(keeper.totals.rounds, 2);
}

#[test]
fn liquidations_recheck_the_position_and_the_caps() {
    let mut state = State::new();
    // dave turned healthy since the scan; carol's collateral has no room at all
    state
        .positions
        .insert("dave".into(), position("dave", "1.01", "uatom"));
    state.max_in_auction = 10_000;
    state.in_auction = 4_000;
    state.lots.clear();
    let mut chain = Mock(state);
    let mut keeper = Keeper::new("market", settings());
    let report = keeper.round(&mut chain).unwrap();
    // carol fits (room 6,000), then the room is zero and the scan stops
    assert_eq!(
        chain.0.executed,
        vec![vec![
            r#"market {"liquidate":{"borrower":"carol"}}"#.to_string()
        ]]
    );
    assert_eq!(report.counters.liquidations, 1);
    let mut state = State::new();
    state
        .positions
        .insert("carol".into(), position("carol", "1.01", "uatom"));
    state.lots.clear();
    let mut chain = Mock(state);
    let report = Keeper::new("market", settings()).round(&mut chain).unwrap();
    assert!(
        report.skipped.iter().any(|s| s == "carol: Healthy"),
        "{:?}",
        report.skipped
    );
    assert_eq!(
        chain.0.executed,
        vec![
            vec![r#"market {"liquidate":{"borrower":"alice"}}"#.to_string()],
            vec![r#"market {"liquidate":{"borrower":"dave"}}"#.to_string()],
        ]
    );
}

#[test]
fn a_halted_market_gets_no_liquidations() {
    let mut state = State::new();
    state.circuit_level = CircuitLevel::Halt;
    state.lots.clear();
    let mut chain = Mock(state);
    let report = Keeper::new("market", settings()).round(&mut chain).unwrap();
    assert!(chain.0.executed.is_empty());
    assert!(report.skipped[0].contains("the market is halted"));
    assert!(!chain
        .0
        .queries
        .borrow()
        .contains(&"market.liquidatable".to_string()));
}

#[test]
fn adl_steps_run_while_the_deficit_shrinks_and_stale_scores_are_poked_first() {
    let mut state = State::new();
    state.lots.clear();
    state.pages.clear();
    state.pages.insert(
        String::new(),
        LiquidatableResponse {
            accounts: vec![],
            unpriced: vec![],
            next: None,
        },
    );
    state.deficit = 150;
    // erin: 900 debt on 1,000 collateral → leverage 9 (bucket 3), filed at 0.6 (bucket 1)
    state.queue = vec![
        AdlQueueEntry {
            account: "erin".into(),
            score: dec("0.6"),
            supply: Uint128::new(10),
        },
        AdlQueueEntry {
            account: "ghost".into(),
            score: dec("0.6"),
            supply: Uint128::new(10),
        },
    ];
    let mut chain = Mock(state);
    let report = Keeper::new("market", settings()).round(&mut chain).unwrap();
    let step = r#"backstop {"adl_step":{"denom":"uusd","limit":20}}"#.to_string();
    assert_eq!(
        chain.0.executed,
        vec![
            vec![r#"market {"poke":{"account":"erin"}}"#.to_string()],
            vec![step.clone()],
            vec![step.clone()],
            vec![step],
        ]
    );
    assert_eq!(chain.0.deficit, 0);
    assert_eq!((report.counters.adl_steps, report.counters.pokes), (3, 1));

    // a step that makes no progress stops the loop
    let mut state = State::new();
    state.lots.clear();
    state.deficit = 150;
    state.adl_per_step = 0;
    let mut chain = Mock(state);
    let report = Keeper::new("market", settings()).round(&mut chain).unwrap();
    assert_eq!(report.counters.adl_steps, 1);
}

#[test]
fn simulation_failures_are_skipped_and_dry_runs_send_nothing() {
    let mut state = State::new();
    state.fail_simulation = vec![r#""borrower":"carol""#.into(), "reset".into()];
    let mut chain = Mock(state);
    let report = Keeper::new("market", settings()).round(&mut chain).unwrap();
    assert_eq!(report.counters.skipped_by_simulation, 2);
    assert!(!chain
        .0
        .executed
        .iter()
        .flatten()
        .any(|m| m.contains("carol") || m.contains("reset")));
    assert!(report.actions.iter().any(|a| matches!(
        (&a.action, &a.status),
        (Action::Liquidate { borrower }, Status::WouldFail(_)) if borrower == "carol"
    )));

    let mut chain = Mock(State::new());
    let mut s = settings();
    s.dry_run = true;
    let report = Keeper::new("market", s).round(&mut chain).unwrap();
    assert!(chain.0.executed.is_empty());
    assert!(!report.actions.is_empty());
    assert!(report.actions.iter().all(|a| a.status == Status::DryRun));
    assert_eq!(report.counters.liquidations + report.counters.bids, 0);
}

struct MarkUpdates(Vec<Option<Vec<String>>>);

impl PriceUpdates for MarkUpdates {
    fn update_msgs(
        &mut self,
        _chain: &dyn Chain,
        oracle: &str,
        denoms: Option<&[String]>,
    ) -> Result<Vec<ContractMsg>, ChainError> {
        assert_eq!(oracle, "oracle");
        self.0.push(denoms.map(|d| d.to_vec()));
        Ok(vec![ContractMsg::new(
            "pyth",
            &serde_json::json!({"update_price_feeds":{"data":[]}}),
            vec![coin(1, "untrn")],
        )
        .unwrap()])
    }
}

#[test]
fn price_updates_go_ahead_of_liquidations_and_resets_in_the_same_tx() {
    let mut chain = Mock(State::new());
    let mut keeper =
        Keeper::new("market", settings()).with_price_updates(Box::new(MarkUpdates(vec![])));
    keeper.round(&mut chain).unwrap();
    let update = r#"pyth {"update_price_feeds":{"data":[]}}"#.to_string();
    let executed = &chain.0.executed;
    assert_eq!(
        executed[0],
        vec![update.clone(), r#"auction {"reset":{"lot_id":1}}"#.into()]
    );
    // bids need no update
    assert_eq!(executed[1].len(), 1);
    assert_eq!(
        executed[2],
        vec![
            update,
            r#"market {"liquidate":{"borrower":"carol"}}"#.into()
        ]
    );
}

#[test]
fn an_unwired_market_or_a_failing_phase_is_reported() {
    let mut state = State::new();
    state.wired = false;
    let mut chain = Mock(state);
    let report = Keeper::new("market", settings()).round(&mut chain).unwrap();
    assert!(report.errors[0].contains("no auction or backstop"));
    assert!(chain.0.executed.is_empty());

    let mut state = State::new();
    state.fail_query = vec!["deficits".into()];
    let mut chain = Mock(state);
    let report = Keeper::new("market", settings()).round(&mut chain).unwrap();
    assert_eq!(report.counters.errors, 1);
    assert!(
        report.errors[0].starts_with("adl: transport: node down"),
        "{:?}",
        report.errors
    );
    // the other phases ran
    assert_eq!(report.counters.liquidations, 2);
}

#[test]
fn earned_keeper_pay_is_claimed_once_it_reaches_the_minimum() {
    let mut state = State::new();
    state.wired = true;
    state.lots = vec![];
    state.pages.clear();
    state.pages.insert(
        String::new(),
        LiquidatableResponse {
            accounts: vec![],
            unpriced: vec![],
            next: None,
        },
    );
    state.owed = 700;
    let mut chain = Mock(state);
    let mut keeper = Keeper::new(
        "market",
        KeeperSettings {
            min_claim: Uint128::new(1_000),
            ..settings()
        },
    );
    keeper.round(&mut chain).unwrap();
    // below the minimum: nothing sent
    assert!(chain
        .0
        .executed
        .iter()
        .all(|tx| tx.iter().all(|m| !m.contains("claim_keeper_pay"))));
    chain.0.owed = 1_500;
    let report = keeper.round(&mut chain).unwrap();
    assert_eq!(report.counters.pay_claims, 1);
    let last = chain.0.executed.last().unwrap();
    assert_eq!(
        last,
        &vec![format!(
            "auction {}",
            r#"{"claim_keeper_pay":{"denoms":["uusd"]}}"#
        )]
    );
    assert_eq!(chain.0.owed, 0);
    assert_eq!(chain.0.balance, 10_000 + 1_500);
}
