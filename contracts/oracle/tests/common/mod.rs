//! The oracle on a cw-multi-test chain beside the Pyth-format mock feed, and helpers to assert
//! exact errors and events.

#![allow(dead_code)] // each test file uses its own share of these helpers

use std::fmt::Display;
use std::str::FromStr;

use ballast_oracle::contract;
use ballast_testing::pyth::{feed_id, pyth_contract, pyth_price, set_feed};
use ballast_types::oracle::{
    CircuitRecord, CircuitResponse, ExecuteMsg, InstantiateMsg, PriceKind, PriceResponse,
    PriceSource, QueryMsg, CIRCUITS,
};
use ballast_types::pyth::PythPrice;
use cosmwasm_std::{coin, Addr, Coin, Decimal, Decimal256, Empty, StdError, StdResult, Timestamp};
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};

pub const QUOTE: &str = "uusd";
pub const QUOTE_DECIMALS: u8 = 6;
/// 6 decimals, Pyth-priced.
pub const ATOM: &str = "uatom";
/// 18 decimals, Pyth-priced.
pub const ETH: &str = "aeth";
pub const GENESIS: u64 = 1_700_000_000;

pub fn atom_feed() -> String {
    feed_id(1)
}
pub fn eth_feed() -> String {
    feed_id(2)
}

pub fn dec(s: &str) -> Decimal256 {
    Decimal256::from_str(s).expect("decimal literal")
}

pub fn pct(n: u64) -> Decimal {
    Decimal::percent(n)
}

pub struct Suite {
    pub app: App,
    pub oracle: Addr,
    pub pyth: Addr,
    pub owner: Addr,
    pub keeper: Addr,
    pub code_id: u64,
}

impl Suite {
    /// The oracle (quote `uusd`, 6 decimals) and an empty Pyth feed, at `GENESIS`. The owner
    /// and the keeper hold some `uusd` and `uatom`, so that tests can send coins.
    pub fn new() -> Self {
        let mut app = App::new(|router, api, storage| {
            for name in ["owner", "keeper"] {
                router
                    .bank
                    .init_balance(
                        storage,
                        &api.addr_make(name),
                        vec![coin(1_000_000, QUOTE), coin(1_000_000, ATOM)],
                    )
                    .expect("genesis balances");
            }
        });
        app.update_block(|b| b.time = Timestamp::from_seconds(GENESIS));
        let owner = app.api().addr_make("owner");
        let keeper = app.api().addr_make("keeper");
        let pyth_code = app.store_code(pyth_contract());
        let pyth = app
            .instantiate_contract(pyth_code, owner.clone(), &Empty {}, &[], "pyth", None)
            .expect("pyth mock");
        let code_id = app.store_code(oracle_contract());
        let oracle = app
            .instantiate_contract(
                code_id,
                owner.clone(),
                &InstantiateMsg {
                    owner: owner.to_string(),
                    quote_denom: QUOTE.into(),
                    quote_decimals: QUOTE_DECIMALS,
                },
                &[],
                "oracle",
                Some(owner.to_string()),
            )
            .expect("oracle");
        Suite {
            app,
            oracle,
            pyth,
            owner,
            keeper,
            code_id,
        }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// (uusd, uatom) held by `addr`.
    pub fn balances(&self, addr: &Addr) -> (u128, u128) {
        let of = |denom: &str| {
            let c = self.app.wrap().query_balance(addr, denom).expect("balance");
            c.amount.to_string().parse::<u128>().expect("amount")
        };
        (of(QUOTE), of(ATOM))
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    /// Moves block time (and height) on by `seconds`.
    pub fn advance(&mut self, seconds: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += 1;
        });
    }

    pub fn execute(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.oracle.clone(), msg, funds)
    }

    /// An execution by the owner that must succeed.
    pub fn owner_does(&mut self, msg: &ExecuteMsg) -> AppResponse {
        let owner = self.owner.clone();
        self.execute(&owner, msg, &[])
            .unwrap_or_else(|e| panic!("owner's {msg:?} failed: {e}"))
    }

    pub fn observe(&mut self, denoms: &[&str]) -> StdResult<AppResponse> {
        let keeper = self.keeper.clone();
        self.execute(
            &keeper,
            &ExecuteMsg::Observe {
                denoms: denoms.iter().map(|d| d.to_string()).collect(),
            },
            &[],
        )
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(&self.oracle, msg)
    }

    pub fn price(&self, denom: &str, kind: Option<PriceKind>) -> StdResult<PriceResponse> {
        self.query(&QueryMsg::Price {
            denom: denom.into(),
            kind,
        })
    }

    pub fn circuit(&self, denom: &str) -> CircuitResponse {
        self.query(&QueryMsg::Circuit {
            denom: denom.into(),
        })
        .expect("circuit query")
    }

    /// The circuit record as the market reads it (raw).
    pub fn circuit_record(&self, denom: &str) -> Option<CircuitRecord> {
        CIRCUITS
            .query(&self.app.wrap(), self.oracle.clone(), denom)
            .expect("raw circuit read")
    }

    /// Publishes a feed's price and EMA (any sender may set the mock's feeds).
    pub fn set_feed(&mut self, id: &str, price: PythPrice, ema_price: PythPrice) {
        let keeper = self.keeper.clone();
        let pyth = self.pyth.clone();
        self.app
            .execute_contract(keeper, pyth, &set_feed(id, price, ema_price), &[])
            .expect("set feed");
    }

    /// Publishes `price` (expo −8) with its EMA equal to it, conf 0.1%, published now.
    pub fn publish(&mut self, id: &str, price: i64) {
        let now = self.now() as i64;
        let p = pyth_price(price, price.unsigned_abs() / 1_000, -8, now);
        self.set_feed(id, p.clone(), p);
    }

    /// A Pyth source on the mock: 60 s staleness, 2% confidence, 5% deviation, k = 1.
    pub fn pyth_source(&self, feed: &str, denom_decimals: u8) -> PriceSource {
        PriceSource::Pyth {
            contract: self.pyth.to_string(),
            feed_id: feed.into(),
            max_staleness: 60,
            max_confidence: pct(2),
            max_deviation: pct(5),
            conf_multiplier: Decimal::one(),
            denom_decimals,
        }
    }

    pub fn set_source(&mut self, denom: &str, source: PriceSource) -> AppResponse {
        self.owner_does(&ExecuteMsg::SetSource {
            denom: denom.into(),
            source,
        })
    }

    /// `uatom` on its Pyth feed at $10, published now.
    pub fn with_atom(mut self) -> Self {
        let feed = atom_feed();
        self.publish(&feed, 1_000_000_000);
        let source = self.pyth_source(&feed, 6);
        self.set_source(ATOM, source);
        self
    }

    pub fn set_circuit(&mut self, denom: &str, max_move: Decimal, window: u64, cooldown: u64) {
        self.owner_does(&ExecuteMsg::UpdateCircuitParams {
            denom: denom.into(),
            max_move,
            move_window: window,
            cooldown,
        });
    }
}

pub fn oracle_contract() -> Box<dyn cw_multi_test::Contract<Empty>> {
    Box::new(
        ContractWrapper::new(contract::execute, contract::instantiate, contract::query)
            .with_migrate(contract::migrate),
    )
}

/// The contract's own error text inside a cw-multi-test error: cw-multi-test keeps only the
/// text of a contract's error, after its own context (`... kind: Other, error: <text>`), and a
/// query error wraps it once more (`Querier contract error: ...`).
pub fn error_message(err: &StdError) -> String {
    let text = err.to_string();
    const MARKER: &str = "kind: Other, error: ";
    match text.rfind(MARKER) {
        Some(at) => text[at + MARKER.len()..].trim().to_string(),
        None => text,
    }
}

/// Asserts that a failed execution or query failed with exactly `expected`: a `ContractError`
/// or `PriceError` value, so that the variant and every value in its message are checked.
#[track_caller]
pub fn assert_error(err: &StdError, expected: impl Display) {
    assert_eq!(
        error_message(err),
        expected.to_string(),
        "full error: {err}"
    );
}

/// The value of `key` in the first event of type `ty` (`wasm` for the contract's attributes,
/// `wasm-<name>` for its custom events).
pub fn attr(res: &AppResponse, ty: &str, key: &str) -> Option<String> {
    res.events
        .iter()
        .filter(|e| e.ty == ty)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// The `wasm` event's attribute `key`, which must be there.
#[track_caller]
pub fn wasm_attr(res: &AppResponse, key: &str) -> String {
    attr(res, "wasm", key).unwrap_or_else(|| panic!("no wasm attribute {key} in {:?}", res.events))
}
