//! Helpers shared by the flow tests: typed errors out of cw-multi-test results, balance
//! snapshots, and the reconciliation of a denom across the contracts' books and the bank.

use ballast_testing::{Protocol, ProtocolBuilder, ATOM, QUOTE};
use ballast_types::market::{self, AssetResponse};
use cosmwasm_std::{coin, Addr, Decimal256, StdError, Uint128};
use cw_multi_test::Executor;
use std::str::FromStr;

/// One US dollar in the quote denom's smallest units (6 decimals).
pub const USD: u128 = 1_000_000;
/// One ATOM in its smallest units (6 decimals).
pub const ATOM_UNIT: u128 = 1_000_000;

/// A `Decimal256` from its text; tests write prices and indices as text.
pub fn d(s: &str) -> Decimal256 {
    Decimal256::from_str(s).unwrap()
}

/// The world several attack suites start from: bob supplies 100,000 USD and puts 10,000 USD in
/// the insurance fund, dave stakes 1,000 USD, alice borrows 6,500 USD against 1,000 ATOM and,
/// after ATOM fell to $8, is in auction (lot 1). `builder` adds the suite's own users.
pub fn alice_in_auction(builder: ProtocolBuilder) -> Protocol {
    let mut p = builder.build();
    let [alice, bob, dave, keeper] = ["alice", "bob", "dave", "keeper"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.fund(&bob, coin(10_000 * USD, QUOTE)).unwrap();
    p.stake(&dave, coin(1_000 * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    p.set_price(ATOM, d("8"));
    p.liquidate(&keeper, &alice).unwrap();
    p
}

/// The configuration of the property suites: `default_cases` unless `PROPTEST_CASES` says
/// otherwise, `default_shrink_iters` unless `PROPTEST_MAX_SHRINK_ITERS` does, and failing seeds
/// kept in `regressions` (relative to `tests/`).
pub fn proptest_config(
    default_cases: u32,
    default_shrink_iters: u32,
    regressions: &'static str,
) -> proptest::test_runner::Config {
    let from_env = |name: &str, default: u32| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    proptest::test_runner::Config {
        cases: from_env("PROPTEST_CASES", default_cases),
        max_shrink_iters: from_env("PROPTEST_MAX_SHRINK_ITERS", default_shrink_iters),
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(regressions),
        )),
        ..proptest::test_runner::Config::default()
    }
}

/// The innermost error message of a failed execution: the contract's own `ContractError`
/// text (cw-multi-test 3 wraps it in context and keeps only its text).
pub fn error_message(err: &StdError) -> String {
    let text = err.to_string();
    let marker = "error: ";
    match text.rfind(marker) {
        Some(at) => text[at + marker.len()..].trim().to_string(),
        None => text,
    }
}

/// Asserts that a failed execution failed with exactly `expected` (a contract error value, so
/// the variant and every value in its message are checked).
#[track_caller]
pub fn assert_error(err: &StdError, expected: impl std::fmt::Display) {
    assert_eq!(
        error_message(err),
        expected.to_string(),
        "full error: {err}"
    );
}

/// Asserts that a failed execution's error starts with `prefix` (for errors whose values are
/// not the point of the test).
#[track_caller]
pub fn assert_error_starts(err: &StdError, prefix: &str) {
    let message = error_message(err);
    assert!(
        message.starts_with(prefix),
        "expected an error starting with {prefix:?}, got {message:?}"
    );
}

/// Bank balances of some addresses in some denoms, to show that a failed call moved nothing.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot(Vec<(Addr, String, Uint128)>);

impl Snapshot {
    pub fn take(p: &Protocol, addrs: &[&Addr], denoms: &[&str]) -> Self {
        let mut rows = vec![];
        for addr in addrs {
            for denom in denoms {
                rows.push(((*addr).clone(), denom.to_string(), p.balance(addr, denom)));
            }
        }
        Snapshot(rows)
    }
}

/// Checks identity A of docs/ARCHITECTURE.md for one denom from the outside:
/// the market's bank balance covers what its books say it holds (cash plus in-kind and social
/// collateral of that denom), and cash + debt + debt in auction + deficit covers all supply,
/// with no more slack than `max_slack` units of rounding, all in the protocol's favour.
pub fn assert_books_balance(p: &Protocol, denom: &str, held_apart: Uint128, max_slack: u128) {
    let asset: AssetResponse = p.asset(denom);
    let bank = p.balance(&p.market, denom);
    assert!(
        bank >= asset.cash + held_apart,
        "{denom}: market holds {bank}, books say cash {} + {held_apart} held apart",
        asset.cash
    );
    let backing = asset.cash + asset.total_debt + asset.debt_in_auction + asset.deficit;
    assert!(
        backing >= asset.total_supply,
        "{denom}: cash + debt + in auction + deficit = {backing} < supply {}",
        asset.total_supply
    );
    let slack = backing - asset.total_supply;
    assert!(
        slack <= Uint128::new(max_slack),
        "{denom}: rounding slack {slack} above {max_slack}"
    );
}

/// Sum of every listed user's supply and debt of a denom, from `Position` queries.
pub fn totals_over(p: &Protocol, users: &[&Addr], denom: &str) -> (Uint128, Uint128) {
    let mut supply = Uint128::zero();
    let mut debt = Uint128::zero();
    for user in users {
        supply += p.supplied(user, denom);
        debt += p.owed(user, denom);
    }
    (supply, debt)
}

pub fn market_query<T: serde::de::DeserializeOwned>(p: &Protocol, msg: &market::QueryMsg) -> T {
    p.query(&p.market, msg).expect("market query")
}

// ---------------------------------------------------------------------------------------------
// The attack suites: a failed attack must move no coin and change no books
// ---------------------------------------------------------------------------------------------

/// Every address that may hold coins or positions in a world from `ProtocolBuilder`: the four
/// contracts, the Pyth feed, the owner, the guardian and the named users.
pub fn holders(p: &Protocol, users: &[&str]) -> Vec<Addr> {
    let mut all = vec![
        p.market.clone(),
        p.oracle.clone(),
        p.auction.clone(),
        p.backstop.clone(),
        p.pyth.clone(),
        p.owner.clone(),
        p.guardian.clone(),
    ];
    all.extend(users.iter().map(|u| p.user(u)));
    all
}

/// What the protocol's books say, from its queries: each watched account's position (or the
/// error its query gives, e.g. while a price is refused), every open lot, the caps in use, the
/// deficits, the fund and the stake pool, each asset's totals and indices.
#[derive(Debug, PartialEq)]
pub struct Books {
    positions: Vec<Result<market::PositionResponse, String>>,
    lots: Result<ballast_types::auction::LotsResponse, String>,
    in_auction: Result<ballast_types::auction::InAuctionResponse, String>,
    deficits: Result<market::DeficitsResponse, String>,
    fund: Result<ballast_types::backstop::FundResponse, String>,
    assets: Vec<Result<AssetResponse, String>>,
}

impl Books {
    pub fn take(p: &Protocol, accounts: &[&Addr], denoms: &[&str]) -> Self {
        use ballast_types::{auction, backstop};
        fn q<T: serde::de::DeserializeOwned>(
            p: &Protocol,
            contract: &Addr,
            msg: &impl serde::Serialize,
        ) -> Result<T, String> {
            p.query(contract, msg).map_err(|e| error_message(&e))
        }
        Books {
            positions: accounts
                .iter()
                .map(|a| {
                    q(
                        p,
                        &p.market,
                        &market::QueryMsg::Position {
                            account: a.to_string(),
                        },
                    )
                })
                .collect(),
            lots: q(
                p,
                &p.auction,
                &auction::QueryMsg::ActiveLots {
                    start_after: None,
                    limit: Some(100),
                },
            ),
            in_auction: q(p, &p.auction, &auction::QueryMsg::InAuction {}),
            deficits: q(p, &p.market, &market::QueryMsg::Deficits {}),
            fund: q(p, &p.backstop, &backstop::QueryMsg::Fund {}),
            assets: denoms
                .iter()
                .map(|d| {
                    q(
                        p,
                        &p.market,
                        &market::QueryMsg::Asset {
                            denom: d.to_string(),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// The coins and books an attack must leave alone: the bank balances of `addrs` in `denoms`, and
/// the books of those addresses (as accounts) and of those denoms.
pub struct Watch {
    pub addrs: Vec<Addr>,
    pub denoms: Vec<String>,
}

impl Watch {
    pub fn new(addrs: Vec<Addr>, denoms: &[&str]) -> Self {
        Watch {
            addrs,
            denoms: denoms.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn state(&self, p: &Protocol) -> (Snapshot, Books) {
        let addrs: Vec<&Addr> = self.addrs.iter().collect();
        let denoms: Vec<&str> = self.denoms.iter().map(|d| d.as_str()).collect();
        (
            Snapshot::take(p, &addrs, &denoms),
            Books::take(p, &addrs, &denoms),
        )
    }

    /// Executes `msg` on `contract` from `sender` with `funds`; it must fail with exactly
    /// `expected`, and move no coin and change no books.
    #[track_caller]
    pub fn refused<M: serde::Serialize + std::fmt::Debug>(
        &self,
        p: &mut Protocol,
        contract: &Addr,
        sender: &Addr,
        msg: &M,
        funds: &[cosmwasm_std::Coin],
        expected: impl std::fmt::Display,
    ) {
        let before = self.state(p);
        let err = p
            .app
            .execute_contract(sender.clone(), contract.clone(), msg, funds)
            .expect_err(&format!("{msg:?} from {sender} should fail"));
        assert_eq!(
            error_message(&err),
            expected.to_string(),
            "{msg:?} from {sender}: full error: {err}"
        );
        let after = self.state(p);
        assert_eq!(after.0, before.0, "{msg:?} from {sender} moved coins");
        assert_eq!(after.1, before.1, "{msg:?} from {sender} changed the books");
    }
}

/// An error message made into a statistics key: addresses and numbers masked, cut at `max`
/// characters (the property suites count refusals by kind).
pub fn error_kind(message: &str, max: usize) -> String {
    message
        .split(' ')
        .map(|w| {
            if w.starts_with("cosmwasm1") {
                "<addr>".to_string()
            } else if w.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                "#".to_string()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect()
}
