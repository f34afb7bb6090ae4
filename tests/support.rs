//! Helpers shared by the flow tests: typed errors out of cw-multi-test results, balance
//! snapshots, and the reconciliation of a denom across the contracts' books and the bank.

use ballast_testing::Protocol;
use ballast_types::market::{self, AssetResponse};
use cosmwasm_std::{Addr, StdError, Uint128};

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
