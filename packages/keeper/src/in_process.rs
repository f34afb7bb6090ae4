//! [`Chain`] over a cw-multi-test [`App`]: the keeper driving the real contracts in process (tests
//! and the spiral simulator).
//!
//! The chain borrows the `App` for as long as it lives, so a caller that owns the `App` (the
//! simulator, a test) builds one per round: `InProcessChain::new(&mut app, keeper)` is free.
//!
//! **Simulation** runs the messages for real through the `App`'s router, on a copy-on-write
//! overlay of its storage ([`Overlay`]) that is dropped afterwards: the contracts execute exactly
//! as `execute` would run them (same block, same sender, same funds), and nothing is written back.
//! Its cost is that of the writes, not of the state's size. cw-multi-test meters no gas, so
//! `gas_used` is `None` here, in simulation and in execution alike.

use std::collections::BTreeMap;
use std::ops::Bound;

use cosmwasm_std::testing::{MockApi, MockStorage};
use cosmwasm_std::{
    to_json_vec, Addr, Api, Binary, ContractResult, CosmosMsg, CustomMsg, CustomQuery, Empty,
    Order, Querier, QueryRequest, Record, Storage, SystemResult, Uint128, WasmMsg, WasmQuery,
};
use cw_multi_test::{
    App, AppResponse, Bank, BankKeeper, CosmosRouter, Distribution, DistributionKeeper,
    FailingModule, Gov, GovFailingModule, Ibc, IbcFailingModule, Module, StakeKeeper, Staking,
    Stargate, StargateFailing, Wasm, WasmKeeper,
};
use serde::de::DeserializeOwned;

use crate::chain::{BlockInfo, Chain, ChainError, ContractMsg, SimOutcome, TxEvent, TxOutcome};

/// The keeper's view of a cw-multi-test `App`, acting as `sender`. The type parameters are the
/// `App`'s own, with the same defaults (a `BasicApp`).
pub struct InProcessChain<
    'a,
    BankT = BankKeeper,
    ApiT = MockApi,
    StorageT = MockStorage,
    CustomT = FailingModule<Empty, Empty, Empty>,
    WasmT = WasmKeeper<Empty, Empty>,
    StakingT = StakeKeeper,
    DistrT = DistributionKeeper,
    IbcT = IbcFailingModule,
    GovT = GovFailingModule,
    StargateT = StargateFailing,
> {
    app:
        &'a mut App<BankT, ApiT, StorageT, CustomT, WasmT, StakingT, DistrT, IbcT, GovT, StargateT>,
    sender: Addr,
}

impl<'a, BankT, ApiT, StorageT, CustomT, WasmT, StakingT, DistrT, IbcT, GovT, StargateT>
    InProcessChain<
        'a,
        BankT,
        ApiT,
        StorageT,
        CustomT,
        WasmT,
        StakingT,
        DistrT,
        IbcT,
        GovT,
        StargateT,
    >
{
    /// The keeper acting as `sender` on `app`.
    pub fn new(
        app: &'a mut App<
            BankT,
            ApiT,
            StorageT,
            CustomT,
            WasmT,
            StakingT,
            DistrT,
            IbcT,
            GovT,
            StargateT,
        >,
        sender: Addr,
    ) -> Self {
        InProcessChain { app, sender }
    }

    /// The underlying `App` (to move prices or time between keeper calls).
    pub fn app_mut(
        &mut self,
    ) -> &mut App<BankT, ApiT, StorageT, CustomT, WasmT, StakingT, DistrT, IbcT, GovT, StargateT>
    {
        self.app
    }
}

fn to_cosmos_msgs<ExecC>(msgs: &[ContractMsg]) -> Vec<CosmosMsg<ExecC>> {
    msgs.iter()
        .map(|m| {
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr: m.contract.clone(),
                msg: Binary::from(m.msg.clone()),
                funds: m.funds.clone(),
            })
        })
        .collect()
}

fn events_of(responses: &[AppResponse]) -> Vec<TxEvent> {
    responses
        .iter()
        .flat_map(|r| r.events.iter())
        .map(|e| TxEvent {
            kind: e.ty.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect(),
        })
        .collect()
}

impl<BankT, ApiT, StorageT, CustomT, WasmT, StakingT, DistrT, IbcT, GovT, StargateT> Chain
    for InProcessChain<
        '_,
        BankT,
        ApiT,
        StorageT,
        CustomT,
        WasmT,
        StakingT,
        DistrT,
        IbcT,
        GovT,
        StargateT,
    >
where
    CustomT::ExecT: CustomMsg + DeserializeOwned + 'static,
    CustomT::QueryT: CustomQuery + DeserializeOwned + 'static,
    WasmT: Wasm<CustomT::ExecT, CustomT::QueryT>,
    BankT: Bank,
    ApiT: Api,
    StorageT: Storage,
    CustomT: Module,
    StakingT: Staking,
    DistrT: Distribution,
    IbcT: Ibc,
    GovT: Gov,
    StargateT: Stargate,
{
    fn sender(&self) -> String {
        self.sender.to_string()
    }

    fn block(&self) -> Result<BlockInfo, ChainError> {
        let block = self.app.block_info();
        Ok(BlockInfo {
            height: block.height,
            time: block.time.seconds(),
        })
    }

    fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ChainError> {
        let request: QueryRequest<Empty> = QueryRequest::Wasm(WasmQuery::Smart {
            contract_addr: contract.to_string(),
            msg: Binary::from(msg.to_vec()),
        });
        let raw = to_json_vec(&request).map_err(|e| ChainError::Encode(e.to_string()))?;
        match self.app.raw_query(&raw) {
            SystemResult::Ok(ContractResult::Ok(answer)) => Ok(answer.to_vec()),
            SystemResult::Ok(ContractResult::Err(message)) => Err(ChainError::Query {
                contract: contract.to_string(),
                message,
            }),
            SystemResult::Err(e) => Err(ChainError::Query {
                contract: contract.to_string(),
                message: e.to_string(),
            }),
        }
    }

    fn balance(&self, address: &str, denom: &str) -> Result<Uint128, ChainError> {
        self.app
            .wrap()
            .query_balance(address, denom)
            .map_err(|e| ChainError::Query {
                contract: "bank".into(),
                message: e.to_string(),
            })
            .and_then(|c| {
                ballast_types::funds::amount_u128(&c)
                    .ok_or_else(|| ChainError::Decode(format!("balance {c} exceeds u128")))
            })
    }

    fn execute(&mut self, msgs: &[ContractMsg]) -> Result<TxOutcome, ChainError> {
        let height = self.app.block_info().height;
        match self
            .app
            .execute_multi(self.sender.clone(), to_cosmos_msgs(msgs))
        {
            Ok(responses) => Ok(TxOutcome {
                height,
                events: events_of(&responses),
                ..Default::default()
            }),
            Err(e) => Ok(TxOutcome {
                height,
                error: Some(e.to_string()),
                ..Default::default()
            }),
        }
    }

    fn simulate(&mut self, msgs: &[ContractMsg]) -> Result<SimOutcome, ChainError> {
        let block = self.app.block_info();
        let sender = self.sender.clone();
        let cosmos_msgs = to_cosmos_msgs::<CustomT::ExecT>(msgs);
        let error = self.app.read_module(|router, api, storage| {
            let mut overlay = Overlay::new(storage);
            for msg in cosmos_msgs {
                if let Err(e) = router.execute(api, &mut overlay, &block, sender.clone(), msg) {
                    return Some(e.to_string());
                }
            }
            None
        });
        Ok(SimOutcome {
            gas_used: None,
            error,
        })
    }
}

/// A copy-on-write view of a storage: reads fall through to `base` unless the key was written
/// here; writes and removals stay here and are dropped with the overlay.
pub struct Overlay<'a> {
    base: &'a dyn Storage,
    /// `Some(value)` written, `None` removed.
    delta: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a dyn Storage) -> Self {
        Overlay {
            base,
            delta: BTreeMap::new(),
        }
    }
}

impl Storage for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.delta.get(key) {
            Some(written) => written.clone(),
            None => self.base.get(key),
        }
    }

    fn range<'b>(
        &'b self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'b> {
        let bounds = (
            start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec())),
            end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec())),
        );
        let local: Vec<(Vec<u8>, Option<Vec<u8>>)> = match order {
            Order::Ascending => self
                .delta
                .range::<Vec<u8>, _>(bounds)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            Order::Descending => self
                .delta
                .range::<Vec<u8>, _>(bounds)
                .rev()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        Box::new(Merged {
            base: self.base.range(start, end, order).peekable(),
            local: local.into_iter().peekable(),
            order,
        })
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.delta.insert(key.to_vec(), Some(value.to_vec()));
    }

    fn remove(&mut self, key: &[u8]) {
        self.delta.insert(key.to_vec(), None);
    }
}

/// Merges the base's ordered records with the overlay's ordered changes.
struct Merged<'b, L: Iterator<Item = (Vec<u8>, Option<Vec<u8>>)>> {
    base: std::iter::Peekable<Box<dyn Iterator<Item = Record> + 'b>>,
    local: std::iter::Peekable<L>,
    order: Order,
}

impl<L: Iterator<Item = (Vec<u8>, Option<Vec<u8>>)>> Iterator for Merged<'_, L> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            let take_local = match (self.base.peek(), self.local.peek()) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((bk, _)), Some((lk, _))) => {
                    if bk == lk {
                        // The overlay's change shadows the base's record.
                        self.base.next();
                        true
                    } else {
                        match self.order {
                            Order::Ascending => lk < bk,
                            Order::Descending => lk > bk,
                        }
                    }
                }
            };
            if take_local {
                let (key, value) = self.local.next()?;
                match value {
                    Some(value) => return Some((key, value)),
                    None => continue, // removed here
                }
            }
            return self.base.next();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{
        coin, to_json_binary, Deps, DepsMut, Env, MessageInfo, Response, StdError, StdResult,
    };
    use cw_multi_test::{ContractWrapper, Executor};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum CounterExec {
        Add { n: u64 },
        Fail {},
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum CounterQuery {
        Count {},
    }

    fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        deps.storage.set(b"count", &0u64.to_be_bytes());
        Ok(Response::new())
    }

    fn execute(deps: DepsMut, _: Env, info: MessageInfo, msg: CounterExec) -> StdResult<Response> {
        match msg {
            CounterExec::Add { n } => {
                let count = read(deps.storage) + n;
                deps.storage.set(b"count", &count.to_be_bytes());
                // a key per call, so that ranges see the overlay's writes
                deps.storage.set(format!("k{count:04}").as_bytes(), b"x");
                Ok(Response::new()
                    .add_attribute("action", "add")
                    .add_attribute("count", count.to_string())
                    .add_attribute("paid", format!("{:?}", info.funds)))
            }
            CounterExec::Fail {} => Err(StdError::msg("told to fail")),
        }
    }

    fn read(storage: &dyn Storage) -> u64 {
        let bytes = storage.get(b"count").unwrap();
        u64::from_be_bytes(bytes.try_into().unwrap())
    }

    fn query(deps: Deps, _: Env, msg: CounterQuery) -> StdResult<Binary> {
        match msg {
            CounterQuery::Count {} => to_json_binary(&read(deps.storage)),
        }
    }

    fn setup() -> (App, Addr, Addr) {
        let keeper = MockApi::default().addr_make("keeper");
        let mut app = App::new(|router, _, storage| {
            router
                .bank
                .init_balance(storage, &keeper, vec![coin(1_000, "uusd")])
                .unwrap();
        });
        let code = app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
        let contract = app
            .instantiate_contract(code, keeper.clone(), &Empty {}, &[], "counter", None)
            .unwrap();
        (app, keeper, contract)
    }

    fn add(contract: &Addr, n: u64, funds: Vec<cosmwasm_std::Coin>) -> ContractMsg {
        ContractMsg::new(contract.as_str(), &CounterExec::Add { n }, funds).unwrap()
    }

    fn count(chain: &dyn Chain, contract: &Addr) -> u64 {
        crate::chain::query(chain, contract.as_str(), &CounterQuery::Count {}).unwrap()
    }

    #[test]
    fn executes_several_messages_atomically_with_funds_and_events() {
        let (mut app, keeper, contract) = setup();
        let mut chain = InProcessChain::new(&mut app, keeper.clone());
        assert_eq!(chain.sender(), keeper.to_string());
        let outcome = chain
            .execute(&[
                add(&contract, 2, vec![coin(10, "uusd")]),
                add(&contract, 3, vec![]),
            ])
            .unwrap();
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(outcome.gas_used, None);
        let counts: Vec<&str> = outcome
            .events
            .iter()
            .filter(|e| e.kind == "wasm")
            .flat_map(|e| e.attributes.iter())
            .filter(|(k, _)| k == "count")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(counts, vec!["2", "5"]);
        assert_eq!(count(&chain, &contract), 5);
        assert_eq!(chain.balance(keeper.as_str(), "uusd").unwrap().u128(), 990);
        assert_eq!(chain.balance(contract.as_str(), "uusd").unwrap().u128(), 10);

        // One failing message reverts the whole transaction.
        let fail = ContractMsg::new(contract.as_str(), &CounterExec::Fail {}, vec![]).unwrap();
        let outcome = chain
            .execute(&[add(&contract, 100, vec![coin(5, "uusd")]), fail])
            .unwrap();
        assert!(outcome.error.as_deref().unwrap().contains("told to fail"));
        assert_eq!(count(&chain, &contract), 5);
        assert_eq!(chain.balance(keeper.as_str(), "uusd").unwrap().u128(), 990);
    }

    #[test]
    fn simulation_runs_the_contracts_and_keeps_nothing() {
        let (mut app, keeper, contract) = setup();
        let mut chain = InProcessChain::new(&mut app, keeper.clone());
        let sim = chain
            .simulate(&[
                add(&contract, 7, vec![coin(100, "uusd")]),
                add(&contract, 1, vec![]),
            ])
            .unwrap();
        assert!(sim.would_succeed(), "{sim:?}");
        assert_eq!(count(&chain, &contract), 0);
        assert_eq!(
            chain.balance(keeper.as_str(), "uusd").unwrap().u128(),
            1_000
        );

        // It sees what it would fail on, including funds the sender does not have.
        let sim = chain
            .simulate(&[add(&contract, 1, vec![coin(5_000, "uusd")])])
            .unwrap();
        assert!(sim.error.is_some());
        let fail = ContractMsg::new(contract.as_str(), &CounterExec::Fail {}, vec![]).unwrap();
        let sim = chain.simulate(&[add(&contract, 1, vec![]), fail]).unwrap();
        assert!(sim.error.unwrap().contains("told to fail"));
        assert_eq!(count(&chain, &contract), 0);
    }

    #[test]
    fn queries_report_contract_errors() {
        let (mut app, keeper, contract) = setup();
        let chain = InProcessChain::new(&mut app, keeper);
        let err = chain
            .query_smart(contract.as_str(), br#"{"nope":{}}"#)
            .unwrap_err();
        assert!(matches!(err, ChainError::Query { .. }), "{err}");
        let block = chain.block().unwrap();
        assert!(block.height > 0 && block.time > 0);
    }

    #[test]
    fn overlay_merges_ranges_both_ways() {
        let mut base = MockStorage::new();
        for k in [b"a", b"c", b"e"] {
            base.set(k, b"base");
        }
        let mut overlay = Overlay::new(&base);
        overlay.set(b"b", b"new");
        overlay.set(b"c", b"changed");
        overlay.remove(b"e");
        overlay.set(b"f", b"new");
        let asc: Vec<(Vec<u8>, Vec<u8>)> = overlay.range(None, None, Order::Ascending).collect();
        assert_eq!(
            asc,
            vec![
                (b"a".to_vec(), b"base".to_vec()),
                (b"b".to_vec(), b"new".to_vec()),
                (b"c".to_vec(), b"changed".to_vec()),
                (b"f".to_vec(), b"new".to_vec()),
            ]
        );
        let desc: Vec<Vec<u8>> = overlay
            .range(Some(b"b"), Some(b"f"), Order::Descending)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(desc, vec![b"c".to_vec(), b"b".to_vec()]);
        assert_eq!(overlay.get(b"e"), None);
        assert_eq!(overlay.get(b"a"), Some(b"base".to_vec()));
        assert_eq!(base.get(b"c"), Some(b"base".to_vec()));
    }
}
