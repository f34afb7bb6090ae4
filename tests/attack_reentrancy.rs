//! Attack: re-entering the protocol from a contract. CosmWasm runs a contract's messages only
//! after it returns (its state is saved by then), and a contract that sends a submessage gets
//! control back in its `reply` with every message that submessage caused already executed. So a
//! malicious contract's only window is its own reply: this suite builds one (`attacker`, a small
//! `ContractWrapper` contract) that sends a protocol message as a submessage, and in its reply
//! records what the protocol's books say and immediately sends follow-up messages, recording
//! each one's result.
//!
//! - None of the four contracts sends a submessage or has a `reply`: every cross call (market →
//!   auction `StartAuction`, auction → market `RepayFromAuction`/`ReturnCollateral`, auction →
//!   backstop `AbsorbLot`/`PayKeeper`, market → backstop `CoverShortfall`, backstop → market
//!   `ApplyCover`/`RunAdl`/`TripBreaker`, backstop → auction `StartSale`) is a plain message sent
//!   after the sender saved its state, and each receiver checks the sender and the funds.
//!   No contract holds state across a callback.
//! - No protocol contract ever sends a message to a user-named address except bank sends, which
//!   run no code: collateral, refunds, withdrawals and keeper pay to a contract never call it.
//! - In its reply, the attacker finds a lot it bought already settled in both contracts' books,
//!   a loss its bid caused already recognised (withdrawals gated), and a lot its liquidation
//!   opened already running; impersonating a sibling from there is refused like anywhere else.

mod common;

use ballast_testing::{attribute, Protocol, ProtocolBuilder, ATOM, QUOTE};
use ballast_tests::{assert_books_balance, d, ATOM_UNIT, USD};
use ballast_types::auction::{self, LotResponse, LotStatus};
use ballast_types::market::{self, DeficitResponse, PositionResponse};
use cosmwasm_std::{
    coin, to_json_binary, Addr, Binary, CosmosMsg, Decimal256, Deps, DepsMut, Empty, Env,
    MessageInfo, QueryRequest, Reply, Response, StdResult, SubMsg, SubMsgResult, Uint128, WasmMsg,
    WasmQuery,
};
use cw_multi_test::{ContractWrapper, Executor};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// The attacker contract
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
enum AttackerMsg {
    /// Sends `first` as a submessage; in the reply, runs each of `observe` and records its
    /// answer, then sends each of `then` as a submessage and records its result.
    Run {
        first: CosmosMsg,
        observe: Vec<QueryRequest<Empty>>,
        then: Vec<CosmosMsg>,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
enum AttackerQuery {
    /// What the last run's reply saw and what its follow-ups returned, in order.
    Log {},
    /// How many times the attacker's `execute` ran.
    Calls {},
}

/// The attacker's storage: three JSON values under fixed keys.
struct Slot<T>(&'static [u8], std::marker::PhantomData<T>);

impl<T: Serialize + DeserializeOwned> Slot<T> {
    const fn new(key: &'static [u8]) -> Self {
        Slot(key, std::marker::PhantomData)
    }

    fn may_load(&self, storage: &dyn cosmwasm_std::Storage) -> StdResult<Option<T>> {
        storage
            .get(self.0)
            .map(|b| cosmwasm_std::from_json(&b))
            .transpose()
    }

    fn load(&self, storage: &dyn cosmwasm_std::Storage) -> StdResult<T> {
        self.may_load(storage)?
            .ok_or_else(|| cosmwasm_std::StdError::msg("attacker slot not set"))
    }

    fn save(&self, storage: &mut dyn cosmwasm_std::Storage, value: &T) -> StdResult<()> {
        storage.set(self.0, &cosmwasm_std::to_json_vec(value)?);
        Ok(())
    }
}

const LOG: Slot<Vec<String>> = Slot::new(b"log");
const PLAN: Slot<(Vec<QueryRequest<Empty>>, Vec<CosmosMsg>)> = Slot::new(b"plan");
const CALLS: Slot<u32> = Slot::new(b"calls");

const FIRST: u64 = 1;
const THEN: u64 = 2;

fn log(deps: &mut DepsMut, line: String) -> StdResult<()> {
    let mut lines = LOG.may_load(deps.storage)?.unwrap_or_default();
    lines.push(line);
    LOG.save(deps.storage, &lines)
}

/// The innermost error text of a submessage failure (as `ballast_tests::error_message` does).
fn bare(error: &str) -> String {
    let inner = match error.rfind("error: ") {
        Some(at) => error[at + "error: ".len()..].trim(),
        None => error,
    };
    // the chain reports a submessage's error as the debug form of its StdError
    inner.trim_end_matches("\" })").to_string()
}

fn attacker_instantiate(deps: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    CALLS.save(deps.storage, &0)?;
    Ok(Response::new())
}

fn attacker_execute(
    deps: DepsMut,
    _: Env,
    _: MessageInfo,
    msg: AttackerMsg,
) -> StdResult<Response> {
    let calls = CALLS.load(deps.storage)? + 1;
    CALLS.save(deps.storage, &calls)?;
    match msg {
        AttackerMsg::Run {
            first,
            observe,
            then,
        } => {
            PLAN.save(deps.storage, &(observe, then))?;
            LOG.save(deps.storage, &vec![])?;
            Ok(Response::new().add_submessage(SubMsg::reply_always(first, FIRST)))
        }
    }
}

fn attacker_reply(mut deps: DepsMut, _: Env, reply: Reply) -> StdResult<Response> {
    let outcome = match &reply.result {
        SubMsgResult::Ok(_) => "ok".to_string(),
        SubMsgResult::Err(e) => format!("err: {}", bare(e)),
    };
    if reply.id == THEN {
        log(&mut deps, format!("then: {outcome}"))?;
        return Ok(Response::new());
    }
    log(&mut deps, format!("first: {outcome}"))?;
    let (observe, then) = PLAN.load(deps.storage)?;
    for request in observe {
        let seen: StdResult<serde_json::Value> = deps.querier.query(&request);
        log(
            &mut deps,
            match seen {
                Ok(v) => format!("seen: {v}"),
                Err(e) => format!("seen: err: {}", bare(&e.to_string())),
            },
        )?;
    }
    Ok(Response::new().add_submessages(
        then.into_iter()
            .map(|m| SubMsg::reply_always(m, THEN))
            .collect::<Vec<_>>(),
    ))
}

fn attacker_query(deps: Deps, _: Env, msg: AttackerQuery) -> StdResult<Binary> {
    match msg {
        AttackerQuery::Log {} => to_json_binary(&LOG.may_load(deps.storage)?.unwrap_or_default()),
        AttackerQuery::Calls {} => to_json_binary(&CALLS.load(deps.storage)?),
    }
}

fn deploy_attacker(p: &mut Protocol) -> Addr {
    let code = p.app.store_code(Box::new(
        ContractWrapper::new(attacker_execute, attacker_instantiate, attacker_query)
            .with_reply(attacker_reply),
    ));
    let owner = p.user("mallory");
    p.app
        .instantiate_contract(code, owner, &Empty {}, &[], "attacker", None)
        .unwrap()
}

fn attacker_log(p: &Protocol, attacker: &Addr) -> Vec<String> {
    p.query(attacker, &AttackerQuery::Log {}).unwrap()
}

fn attacker_calls(p: &Protocol, attacker: &Addr) -> u32 {
    p.query(attacker, &AttackerQuery::Calls {}).unwrap()
}

fn wasm<M: serde::Serialize>(
    contract: &Addr,
    msg: &M,
    funds: Vec<cosmwasm_std::Coin>,
) -> CosmosMsg {
    CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg).unwrap(),
        funds,
    })
}

fn smart<M: serde::Serialize>(contract: &Addr, msg: &M) -> QueryRequest<Empty> {
    QueryRequest::Wasm(WasmQuery::Smart {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg).unwrap(),
    })
}

/// Runs the attack from `mallory` (the attacker's deployer; any sender would do).
fn run(
    p: &mut Protocol,
    attacker: &Addr,
    first: CosmosMsg,
    observe: Vec<QueryRequest<Empty>>,
    then: Vec<CosmosMsg>,
) -> cw_multi_test::AppResponse {
    let mallory = p.user("mallory");
    p.app
        .execute_contract(
            mallory,
            attacker.clone(),
            &AttackerMsg::Run {
                first,
                observe,
                then,
            },
            &[],
        )
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------

/// bob supplies 100,000 USD and funds the fund with `fund` USD; alice borrows 6,500 USD
/// against 1,000 ATOM; ATOM falls to `price` and a keeper liquidates her (lot 1).
fn crash(fund: u128, price: &str) -> Protocol {
    let mut p = ProtocolBuilder::new()
        .user("mallory", vec![coin(1_000_000 * USD, QUOTE)])
        .build();
    let (alice, bob, keeper) = (p.user("alice"), p.user("bob"), p.user("keeper"));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.fund(&bob, coin(fund * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    p.set_price(ATOM, d(price));
    p.liquidate(&keeper, &alice).unwrap();
    p
}

fn fund_attacker(p: &mut Protocol, attacker: &Addr, usd: u128) {
    let mallory = p.user("mallory");
    p.app
        .send_tokens(mallory, attacker.clone(), &[coin(usd, QUOTE)])
        .unwrap();
}

fn accounts(p: &Protocol, attacker: &Addr) -> Vec<Addr> {
    let mut all: Vec<Addr> = [
        "alice", "bob", "carol", "dave", "keeper", "keeper2", "mallory",
    ]
    .iter()
    .map(|u| p.user(u))
    .collect();
    all.push(attacker.clone());
    all
}

fn unauthorized(sender: &Addr, action: &str) -> String {
    format!("unauthorized: {sender} may not {action}")
}

// ---------------------------------------------------------------------------------------------
// The attacks
// ---------------------------------------------------------------------------------------------

#[test]
fn a_bidder_re_entering_from_its_reply_finds_the_lot_settled_in_both_books() {
    // Attack: the attacker buys a whole lot through a submessage and, in its reply, before the
    // transaction ends, bids again, reports "proceeds" to the market and opens an auction
    // itself, hoping that some book is half-updated.
    let mut p = crash(10_000, "8");
    let attacker = deploy_attacker(&mut p);
    fund_attacker(&mut p, &attacker, 5_000 * USD);
    let alice = p.user("alice");
    let (auction_addr, market_addr) = (p.auction.clone(), p.market.clone());
    let bid = |usd: u128| {
        wasm(
            &auction_addr,
            &auction::ExecuteMsg::Bid {
                lot_id: 1,
                max_collateral: Uint128::MAX,
                max_price: d("9.6"),
                recipient: None,
            },
            vec![coin(usd, QUOTE)],
        )
    };
    let r = run(
        &mut p,
        &attacker,
        bid(3_000 * USD),
        vec![
            smart(&auction_addr, &auction::QueryMsg::Lot { lot_id: 1 }),
            smart(
                &market_addr,
                &market::QueryMsg::Position {
                    account: alice.to_string(),
                },
            ),
        ],
        vec![
            bid(1_000 * USD),
            wasm(
                &market_addr,
                &market::ExecuteMsg::RepayFromAuction {
                    borrower: alice.to_string(),
                    lot_id: 1,
                    close: true,
                    penalty_collected: Uint128::zero(),
                },
                vec![coin(USD, QUOTE)],
            ),
            wasm(
                &auction_addr,
                &auction::ExecuteMsg::StartAuction {
                    borrower: alice.to_string(),
                    debt_denom: QUOTE.into(),
                    debt: Uint128::new(USD),
                    keeper: attacker.to_string(),
                    lot_id: 2,
                    penalty: Uint128::zero(),
                    price: d("8"),
                    debt_price: Decimal256::one(),
                    min_debt: Uint128::zero(),
                },
                vec![],
            ),
        ],
    );
    let lines = attacker_log(&p, &attacker);
    assert_eq!(lines[0], "first: ok");
    // in the reply the lot is already settled and alice's books already closed it
    let lot: LotResponse = serde_json::from_str(lines[1].trim_start_matches("seen: ")).unwrap();
    assert_eq!(lot.status, LotStatus::Settled);
    assert_eq!(lot.collateral.amount, cosmwasm_std::Uint256::zero());
    let position: PositionResponse =
        serde_json::from_str(lines[2].trim_start_matches("seen: ")).unwrap();
    assert_eq!(position.open_lots, 0);
    assert_eq!(
        lines[3..],
        [
            "then: err: lot 1 is settled, not active".to_string(),
            format!(
                "then: err: {}",
                unauthorized(&attacker, "report auction proceeds")
            ),
            format!("then: err: {}", unauthorized(&attacker, "start auctions")),
        ]
    );
    // the attacker holds what one purchase bought, and every book reconciles with the bank
    let bought: u128 = attribute(&r, "collateral_bought")
        .unwrap()
        .trim_end_matches(ATOM)
        .parse()
        .unwrap();
    assert_eq!(p.balance(&attacker, ATOM), Uint128::new(bought));
    common::check_books(&p, &accounts(&p, &attacker)).unwrap();
    // the protocol ran no reply of its own: the only replies are the attacker's
    for e in r.events.iter().filter(|e| e.ty == "reply") {
        assert!(e
            .attributes
            .iter()
            .any(|a| a.key == "_contract_address" && a.value == attacker.as_str()));
    }
}

#[test]
fn a_loss_caused_by_the_attackers_own_bid_is_recognised_before_its_reply_can_withdraw() {
    // Attack: the attacker supplies USD, then closes an under-water lot with a bid through a
    // submessage; in its reply (the loss is known to it, not yet to others) it withdraws its
    // USD before the deficit gates withdrawals.
    let mut p = crash(100, "6");
    let attacker = deploy_attacker(&mut p);
    fund_attacker(&mut p, &attacker, 20_000 * USD);
    let market_addr = p.market.clone();
    let auction_addr = p.auction.clone();
    let mallory = p.user("mallory");
    p.app
        .execute_contract(
            mallory,
            attacker.clone(),
            &AttackerMsg::Run {
                first: wasm(
                    &market_addr,
                    &market::ExecuteMsg::Deposit { on_behalf_of: None },
                    vec![coin(10_000 * USD, QUOTE)],
                ),
                observe: vec![],
                then: vec![],
            },
            &[],
        )
        .unwrap();
    // eleven price steps on, the whole lot sells for less than its debt
    p.advance(11 * 60);
    let price = p.lot(1).current_price;
    let withdraw = wasm(
        &market_addr,
        &market::ExecuteMsg::Withdraw {
            denom: QUOTE.into(),
            amount: None,
            recipient: None,
        },
        vec![],
    );
    let r = run(
        &mut p,
        &attacker,
        wasm(
            &auction_addr,
            &auction::ExecuteMsg::Bid {
                lot_id: 1,
                max_collateral: Uint128::MAX,
                max_price: price,
                recipient: None,
            },
            vec![coin(7_000 * USD, QUOTE)],
        ),
        vec![smart(
            &market_addr,
            &market::QueryMsg::Deficit {
                denom: QUOTE.into(),
            },
        )],
        vec![withdraw],
    );
    let lines = attacker_log(&p, &attacker);
    assert_eq!(lines[0], "first: ok", "{lines:?}");
    let seen: DeficitResponse =
        serde_json::from_str(lines[1].trim_start_matches("seen: ")).unwrap();
    assert!(!seen.amount.is_zero(), "the close recognised the loss");
    assert_eq!(
        lines[2],
        format!(
            "then: err: withdrawals of {QUOTE} are gated while its deficit of {} is pending",
            seen.amount
        )
    );
    assert!(attribute(&r, "shortfall").is_some());
    assert_eq!(p.supplied(&attacker, QUOTE), Uint128::new(10_000 * USD));
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
    common::check_books(&p, &accounts(&p, &attacker)).unwrap();
}

#[test]
fn a_liquidation_and_its_auction_start_run_as_one_before_the_keepers_reply() {
    // Attack: a keeper contract liquidates through a submessage; in its reply it looks for the
    // gap between the market's books (lot recorded) and the auction's (lot not started yet),
    // then tries to start lot 2 itself with the id the market would use next.
    let mut p = ProtocolBuilder::new()
        .user("mallory", vec![coin(1_000 * USD, QUOTE)])
        .build();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    p.set_price(ATOM, d("8"));
    let attacker = deploy_attacker(&mut p);
    let (market_addr, auction_addr) = (p.market.clone(), p.auction.clone());
    run(
        &mut p,
        &attacker,
        wasm(
            &market_addr,
            &market::ExecuteMsg::Liquidate {
                borrower: alice.to_string(),
            },
            vec![],
        ),
        vec![
            smart(&auction_addr, &auction::QueryMsg::Lot { lot_id: 1 }),
            smart(
                &market_addr,
                &market::QueryMsg::Position {
                    account: alice.to_string(),
                },
            ),
        ],
        vec![wasm(
            &auction_addr,
            &auction::ExecuteMsg::StartAuction {
                borrower: alice.to_string(),
                debt_denom: QUOTE.into(),
                debt: Uint128::new(USD),
                keeper: attacker.to_string(),
                lot_id: 2,
                penalty: Uint128::zero(),
                price: d("0.000001"),
                debt_price: Decimal256::one(),
                min_debt: Uint128::zero(),
            },
            vec![],
        )],
    );
    let lines = attacker_log(&p, &attacker);
    assert_eq!(lines[0], "first: ok");
    let lot: LotResponse = serde_json::from_str(lines[1].trim_start_matches("seen: ")).unwrap();
    assert_eq!(lot.status, LotStatus::Active);
    assert_eq!(lot.borrower, alice.to_string());
    let position: PositionResponse =
        serde_json::from_str(lines[2].trim_start_matches("seen: ")).unwrap();
    assert_eq!(position.open_lots, 1);
    assert_eq!(
        lines[3],
        format!("then: err: {}", unauthorized(&attacker, "start auctions"))
    );
    // the keeper contract earned its pay like any keeper, and nothing else
    let pay: auction::KeeperPayResponse = p
        .query(
            &p.auction,
            &auction::QueryMsg::KeeperPay {
                keeper: attacker.to_string(),
            },
        )
        .unwrap();
    assert_eq!(pay.owed, vec![coin(3_023_809, QUOTE)]);
    // it claims it: the fund pays by bank send, which runs none of the attacker's code (its
    // execute ran once per run, nothing more)
    let bob = p.user("bob");
    p.fund(&bob, coin(100 * USD, QUOTE)).unwrap();
    assert_eq!(attacker_calls(&p, &attacker), 1);
    run(
        &mut p,
        &attacker,
        wasm(
            &auction_addr,
            &auction::ExecuteMsg::ClaimKeeperPay { denoms: None },
            vec![],
        ),
        vec![],
        vec![],
    );
    assert_eq!(attacker_calls(&p, &attacker), 2);
    assert_eq!(p.balance(&attacker, QUOTE), Uint128::new(3_023_809));
    common::check_books(&p, &accounts(&p, &attacker)).unwrap();
}

#[test]
fn coins_sent_to_a_contract_by_the_protocol_run_none_of_its_code() {
    // Attack: a contract named as the recipient of collateral, of a withdrawal or a borrow, or
    // as the account of a deposit, hoping to be called back mid-transaction. Bank sends run no
    // code: the attacker's execute never runs.
    let mut p = crash(10_000, "8");
    let attacker = deploy_attacker(&mut p);
    let (keeper, bob, alice) = (p.user("keeper"), p.user("bob"), p.user("alice"));
    // collateral (and the refund stays with the bidder) to the contract
    p.execute_auction(
        &keeper,
        &auction::ExecuteMsg::Bid {
            lot_id: 1,
            max_collateral: Uint128::new(10 * ATOM_UNIT),
            max_price: d("9.6"),
            recipient: Some(attacker.to_string()),
        },
        &[coin(1_000 * USD, QUOTE)],
    )
    .unwrap();
    assert_eq!(p.balance(&attacker, ATOM), Uint128::new(10 * ATOM_UNIT));
    // a withdrawal and a borrow paid to the contract
    p.execute_market(
        &bob,
        &market::ExecuteMsg::Withdraw {
            denom: QUOTE.into(),
            amount: Some(Uint128::new(USD)),
            recipient: Some(attacker.to_string()),
        },
        &[],
    )
    .unwrap();
    p.set_price(ATOM, d("10"));
    p.execute_market(
        &alice,
        &market::ExecuteMsg::Borrow {
            denom: QUOTE.into(),
            amount: Uint128::new(USD),
            recipient: Some(attacker.to_string()),
        },
        &[],
    )
    .unwrap();
    // and a deposit on the contract's behalf
    p.execute_market(
        &bob,
        &market::ExecuteMsg::Deposit {
            on_behalf_of: Some(attacker.to_string()),
        },
        &[coin(USD, QUOTE)],
    )
    .unwrap();
    assert_eq!(p.balance(&attacker, QUOTE), Uint128::new(2 * USD));
    assert_eq!(attacker_calls(&p, &attacker), 0);
    assert!(attacker_log(&p, &attacker).is_empty());
    common::check_books(&p, &accounts(&p, &attacker)).unwrap();
}
