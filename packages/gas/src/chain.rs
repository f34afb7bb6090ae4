//! A small multi-contract chain over cosmwasm-vm: contracts run as real wasm instances, messages
//! are dispatched in order with submessages and replies, failed messages roll back, and every
//! cost that wasmd charges is added to the world's tally (see `price`).

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{anyhow, bail, Result};
use ballast_types::pyth::{PriceFeed, PriceFeedResponse, PythQueryMsg};
use cosmwasm_std::{
    from_json, Addr, BankMsg, Binary, Coin, ContractResult, CosmosMsg, Empty, Env, Event,
    MessageInfo, MsgResponse, QueryRequest, Reply, ReplyOn, Response, SubMsgResponse, SubMsgResult,
    SystemError, SystemResult, WasmMsg, WasmQuery,
};
use cosmwasm_vm::{
    call_execute, call_instantiate, call_query, call_reply, capabilities_from_csv, Backend, Cache,
    CacheOptions, Instance, InstanceOptions, Querier, Size, VmResult,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::{contract_addr, Api};
use crate::price::{event_costs, Gas};
use crate::storage::ContractStorage;
use crate::world::{ContractMeta, PythFeeds, World};

/// The capabilities the harness's VM offers: what the contracts may require (they enable no
/// `cosmwasm_*` feature). `scripts/build-wasm.sh` checks the artifacts against the same list.
pub const CAPABILITIES: &str = "iterator";
/// CosmWasm gas limit of one call: far above any block limit (100M SDK gas × 140,000).
const CALL_GAS_LIMIT: u64 = 100_000_000 * crate::price::GAS_MULTIPLIER;
/// wasmd's `contractMemoryLimit` (32 MiB).
const MEMORY_LIMIT: Size = Size::mebi(32);

type Vm = Instance<Api, ContractStorage, ChainQuerier>;

/// What a successful message returns: its data and the events a chain would record.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub data: Option<Binary>,
    pub events: Vec<Event>,
}

/// cosmwasm-vm's module cache (checked, compiled code), in a private temporary directory that
/// is removed when the last chain using it is dropped. Share one between chains to compile each
/// contract once per run.
pub struct CodeCache {
    cache: Cache<Api, ContractStorage, ChainQuerier>,
    dir: PathBuf,
}

impl CodeCache {
    pub fn new() -> Result<Rc<CodeCache>> {
        let dir = std::env::temp_dir().join(format!(
            "ballast-gas-{}-{}",
            std::process::id(),
            CACHE_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let options = CacheOptions::new(
            dir.clone(),
            capabilities_from_csv(CAPABILITIES),
            Size::mebi(256),
            MEMORY_LIMIT,
        );
        // SAFETY: the directory is private to this process and created fresh.
        let cache = unsafe { Cache::new(options) }.map_err(|e| anyhow!("vm cache: {e}"))?;
        Ok(Rc::new(CodeCache { cache, dir }))
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Shared {
    world: Rc<RefCell<World>>,
    code: Rc<CodeCache>,
}

/// Answers contracts' queries: raw queries from the target's store (one KV read, no instance),
/// smart queries by running the target (an instance), Pyth price feeds natively, bank balances
/// from the world.
pub struct ChainQuerier {
    shared: Rc<Shared>,
}

impl Querier for ChainQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        _gas_limit: u64,
    ) -> cosmwasm_vm::BackendResult<SystemResult<ContractResult<Binary>>> {
        (
            Ok(self.shared.answer(request)),
            cosmwasm_vm::GasInfo::free(),
        )
    }
}

static CACHE_SEQ: AtomicU32 = AtomicU32::new(0);

/// The chain. Cheap to share by reference; not `Send` (single-threaded, like a block).
pub struct Chain {
    shared: Rc<Shared>,
}

impl Chain {
    /// A chain with its own code cache.
    pub fn new() -> Result<Chain> {
        Ok(Chain::with_cache(CodeCache::new()?))
    }

    /// A fresh chain (empty state) that shares compiled code with others.
    pub fn with_cache(code: Rc<CodeCache>) -> Chain {
        Chain {
            shared: Rc::new(Shared {
                world: Rc::new(RefCell::new(World::default())),
                code,
            }),
        }
    }

    pub fn world(&self) -> std::cell::RefMut<'_, World> {
        self.shared.world.borrow_mut()
    }

    /// Checks (as a chain's upload does, with `CAPABILITIES`) and stores wasm code; returns
    /// its code id.
    pub fn store_code(&self, wasm: &[u8]) -> Result<u64> {
        let checksum = self
            .shared
            .code
            .cache
            .store_code(wasm, true, true)
            .map_err(|e| anyhow!("the chain refuses this code: {e}"))?;
        let mut world = self.world();
        world.codes.push(checksum);
        Ok(world.codes.len() as u64)
    }

    /// Runs `f` with metering on and returns its result with the gas it used. Setup outside
    /// `measure` is free.
    pub fn measure<R>(&self, f: impl FnOnce(&Chain) -> Result<R>) -> (Result<R>, Gas) {
        {
            let mut w = self.world();
            w.gas = Gas::default();
            w.metering = true;
        }
        let result = f(self);
        let mut w = self.world();
        w.metering = false;
        (result, std::mem::take(&mut w.gas))
    }

    /// A transaction's `MsgInstantiateContract`: the new contract's address.
    pub fn instantiate(
        &self,
        code_id: u64,
        sender: &str,
        msg: &impl Serialize,
        funds: &[Coin],
        label: &str,
    ) -> Result<String> {
        let msg = serde_json::to_vec(msg)?;
        self.tx(|s| s.instantiate(code_id, sender, &msg, funds, label))
            .map(|(addr, _)| addr)
    }

    /// A transaction's `MsgExecuteContract`.
    pub fn execute(
        &self,
        contract: &str,
        sender: &str,
        msg: &impl Serialize,
        funds: &[Coin],
    ) -> Result<Outcome> {
        let msg = serde_json::to_vec(msg)?;
        self.tx(|s| s.execute(contract, sender, &msg, funds))
    }

    /// A client's smart query (a node charges it like a contract's: an instance plus its work).
    pub fn query<T: DeserializeOwned>(&self, contract: &str, msg: &impl Serialize) -> Result<T> {
        let msg = serde_json::to_vec(msg)?;
        let bin = self.shared.smart_query(contract, &msg)?;
        Ok(serde_json::from_slice(&bin)?)
    }

    /// Reads a key of a contract's store (free; for scenarios and tests).
    pub fn raw(&self, contract: &str, key: &[u8]) -> Option<Vec<u8>> {
        self.world()
            .store(contract)
            .and_then(|s| s.get(key).cloned())
    }

    fn tx<R>(&self, f: impl FnOnce(&Rc<Shared>) -> Result<R>) -> Result<R> {
        let checkpoint = self.world().checkpoint();
        match f(&self.shared) {
            Ok(r) => {
                self.world().commit();
                Ok(r)
            }
            Err(e) => {
                self.world().revert(checkpoint);
                Err(e)
            }
        }
    }

    pub fn mint(&self, addr: &str, coins: &[Coin]) {
        self.world().mint(addr, coins);
    }

    pub fn balance(&self, addr: &str, denom: &str) -> u128 {
        self.world().balance(addr, denom)
    }

    pub fn now(&self) -> u64 {
        self.world().block.time.seconds()
    }

    /// Moves time on (and one block per 6 s).
    pub fn advance(&self, seconds: u64) {
        let mut w = self.world();
        w.block.time = w.block.time.plus_seconds(seconds);
        w.block.height += seconds.div_ceil(6).max(1);
    }

    /// Declares the Pyth contract, answered natively at `address`.
    pub fn set_pyth(&self, address: &str) {
        self.world().pyth = Some(PythFeeds {
            address: address.to_string(),
            feeds: Default::default(),
        });
    }

    pub fn set_pyth_feed(&self, feed: PriceFeed) {
        let mut w = self.world();
        let pyth = w.pyth.as_mut().expect("set_pyth first");
        pyth.feeds.insert(feed.id.to_hex(), feed);
    }
}

fn contract_error(what: &str, contract: &str, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{what} of {contract} failed: {e}")
}

/// `MsgExecuteContractResponse { data }` / `MsgInstantiateContractResponse { address, data }`
/// in protobuf, as wasmd puts them in `msg_responses`.
fn proto_bytes_field(field: u8, bytes: &[u8], out: &mut Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    out.push((field << 3) | 2);
    let mut len = bytes.len();
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(bytes);
}

impl Shared {
    fn world(&self) -> std::cell::RefMut<'_, World> {
        self.world.borrow_mut()
    }

    fn charge(&self, f: impl FnOnce(&mut Gas)) {
        let mut w = self.world();
        if w.metering {
            f(&mut w.gas);
        }
    }

    fn env(&self, contract: &str) -> Env {
        let mut env = cosmwasm_std::testing::mock_env();
        env.block = self.world().block.clone();
        env.contract.address = Addr::unchecked(contract);
        env
    }

    fn instance(self: &Rc<Self>, contract: &str) -> Result<Vm> {
        let meta = self
            .world()
            .contracts
            .get(contract)
            .cloned()
            .ok_or_else(|| anyhow!("no such contract: {contract}"))?;
        let backend = Backend {
            api: Api,
            storage: ContractStorage::new(self.world.clone(), contract),
            querier: ChainQuerier {
                shared: self.clone(),
            },
        };
        self.code
            .cache
            .get_instance(
                &meta.checksum,
                backend,
                InstanceOptions {
                    gas_limit: CALL_GAS_LIMIT,
                },
            )
            .map_err(|e| anyhow!("loading {contract}: {e}"))
    }

    /// Runs one entry point and charges its VM gas (also when it fails).
    fn run<T>(
        self: &Rc<Self>,
        contract: &str,
        call: impl FnOnce(&mut Vm, &Env) -> VmResult<ContractResult<T>>,
        what: &str,
    ) -> Result<T> {
        let mut instance = self.instance(contract)?;
        let env = self.env(contract);
        let result = call(&mut instance, &env);
        let used = instance.create_gas_report().used_internally;
        drop(instance);
        self.charge(|g| g.charge_vm(used));
        match result {
            Ok(ContractResult::Ok(r)) => Ok(r),
            Ok(ContractResult::Err(e)) => Err(contract_error(what, contract, e)),
            Err(e) => Err(contract_error(what, contract, format!("vm error: {e}"))),
        }
    }

    fn execute(
        self: &Rc<Self>,
        contract: &str,
        sender: &str,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<Outcome> {
        if !self.world().contracts.contains_key(contract) {
            bail!("no such contract: {contract}");
        }
        self.charge(Gas::charge_instance);
        self.world().send(sender, contract, funds)?;
        let info = MessageInfo {
            sender: Addr::unchecked(sender),
            funds: funds.to_vec(),
        };
        let response: Response<Empty> = self.run(
            contract,
            |vm, env| call_execute(vm, env, &info, msg),
            "execute",
        )?;
        let events = vec![Event::new("execute").add_attribute("_contract_address", contract)];
        self.handle_response(contract, response, events)
    }

    fn instantiate(
        self: &Rc<Self>,
        code_id: u64,
        sender: &str,
        msg: &[u8],
        funds: &[Coin],
        label: &str,
    ) -> Result<(String, Outcome)> {
        let checksum = {
            let w = self.world();
            *w.codes
                .get((code_id as usize).wrapping_sub(1))
                .ok_or_else(|| anyhow!("no code {code_id}"))?
        };
        self.charge(Gas::charge_instance);
        let addr = {
            let w = self.world();
            contract_addr(&format!("contract/{code_id}/{}", w.contracts.len() + 1))
        };
        self.world().register_contract(
            &addr,
            ContractMeta {
                code_id,
                checksum,
                label: label.to_string(),
            },
        );
        self.world().send(sender, &addr, funds)?;
        let info = MessageInfo {
            sender: Addr::unchecked(sender),
            funds: funds.to_vec(),
        };
        let response: Response<Empty> = self.run(
            &addr,
            |vm, env| call_instantiate(vm, env, &info, msg),
            "instantiate",
        )?;
        let events = vec![Event::new("instantiate")
            .add_attribute("_contract_address", &addr)
            .add_attribute("code_id", code_id.to_string())];
        let outcome = self.handle_response(&addr, response, events)?;
        Ok((addr, outcome))
    }

    fn reply(self: &Rc<Self>, contract: &str, reply: Reply) -> Result<Outcome> {
        // wasmd: ReplyCosts(discount = true, reply): the discounted instance, plus the reply's
        // events (types and attributes, one free tier for all) when it carries a success.
        let mut event_gas = (0, 0);
        if let SubMsgResult::Ok(ok) = &reply.result {
            let types: u64 = ok.events.iter().map(|e| e.ty.len() as u64).sum();
            let attrs: Vec<(usize, usize)> = ok
                .events
                .iter()
                .flat_map(|e| e.attributes.iter().map(|a| (a.key.len(), a.value.len())))
                .collect();
            let (g, n) = event_costs(&attrs, &[]);
            event_gas = (types + g, n);
        }
        self.charge(|g| {
            g.charge_discounted_instance();
            g.charge_events(event_gas.0, event_gas.1);
        });
        let response: Response<Empty> =
            self.run(contract, |vm, env| call_reply(vm, env, &reply), "reply")?;
        let events = vec![Event::new("reply").add_attribute("_contract_address", contract)];
        self.handle_response(contract, response, events)
    }

    fn smart_query(self: &Rc<Self>, contract: &str, msg: &[u8]) -> Result<Binary> {
        if let Some(answer) = self.pyth_query(contract, msg) {
            return answer;
        }
        if !self.world().contracts.contains_key(contract) {
            bail!("no such contract: {contract}");
        }
        self.charge(Gas::charge_instance);
        self.run(contract, |vm, env| call_query(vm, env, msg), "query")
    }

    /// A query to the configured Pyth address, answered natively and charged as one unpinned
    /// instance (as WASM.md's Mars comparison counts "one Pyth instance per price").
    fn pyth_query(&self, contract: &str, msg: &[u8]) -> Option<Result<Binary>> {
        let feeds = self.world().pyth.clone()?;
        if feeds.address != contract {
            return None;
        }
        self.charge(Gas::charge_instance);
        Some((|| {
            let PythQueryMsg::PriceFeed { id } = serde_json::from_slice(msg)?;
            let feed = feeds
                .feeds
                .get(&id.to_hex())
                .cloned()
                .ok_or_else(|| anyhow!("Pyth: no price feed {}", id.to_hex()))?;
            Ok(serde_json::to_vec(&PriceFeedResponse { price_feed: feed })?.into())
        })())
    }

    /// wasmd's `handleContractResponse`: charge the response's events, record them, then
    /// dispatch its messages in order (replies as requested). Returns the data (a reply's data
    /// replaces it) and the events of the whole call.
    fn handle_response(
        self: &Rc<Self>,
        contract: &str,
        response: Response<Empty>,
        mut events: Vec<Event>,
    ) -> Result<Outcome> {
        let attrs: Vec<(usize, usize)> = response
            .attributes
            .iter()
            .map(|a| (a.key.len(), a.value.len()))
            .collect();
        let custom: Vec<(usize, Vec<(usize, usize)>)> = response
            .events
            .iter()
            .map(|e| {
                (
                    e.ty.len(),
                    e.attributes
                        .iter()
                        .map(|a| (a.key.len(), a.value.len()))
                        .collect(),
                )
            })
            .collect();
        let (gas, n) = event_costs(&attrs, &custom);
        self.charge(|g| g.charge_events(gas, n));
        if !response.attributes.is_empty() {
            events.push(
                Event::new("wasm")
                    .add_attribute("_contract_address", contract)
                    .add_attributes(response.attributes.clone()),
            );
        }
        for e in &response.events {
            events.push(
                Event::new(format!("wasm-{}", e.ty))
                    .add_attribute("_contract_address", contract)
                    .add_attributes(e.attributes.clone()),
            );
        }
        let mut data = response.data.clone();
        for sub in response.messages {
            let checkpoint = self.world().checkpoint();
            let gas_before = self.world().gas.total();
            let result = self.dispatch(contract, &sub.msg);
            let gas_used = self.world().gas.total().saturating_sub(gas_before);
            let wants_ok = matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Success);
            let wants_err = matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Error);
            match result {
                Ok((outcome, msg_responses)) => {
                    events.extend(outcome.events.iter().cloned());
                    if wants_ok {
                        #[allow(deprecated)]
                        let reply = Reply {
                            id: sub.id,
                            payload: sub.payload.clone(),
                            gas_used,
                            result: SubMsgResult::Ok(SubMsgResponse {
                                events: outcome.events,
                                data: outcome.data,
                                msg_responses,
                            }),
                        };
                        let replied = self.reply(contract, reply)?;
                        events.extend(replied.events);
                        if replied.data.is_some() {
                            data = replied.data;
                        }
                    }
                }
                Err(e) => {
                    self.world().revert(checkpoint);
                    if !wants_err {
                        return Err(e);
                    }
                    let reply = Reply {
                        id: sub.id,
                        payload: sub.payload.clone(),
                        gas_used,
                        result: SubMsgResult::Err(format!("{e:#}")),
                    };
                    let replied = self.reply(contract, reply)?;
                    events.extend(replied.events);
                    if replied.data.is_some() {
                        data = replied.data;
                    }
                }
            }
        }
        Ok(Outcome { data, events })
    }

    fn dispatch(
        self: &Rc<Self>,
        sender: &str,
        msg: &CosmosMsg<Empty>,
    ) -> Result<(Outcome, Vec<MsgResponse>)> {
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                crate::api::canonicalize(to_address).map_err(|e| anyhow!(e))?;
                self.world().send(sender, to_address, amount)?;
                Ok((
                    Outcome::default(),
                    vec![MsgResponse {
                        type_url: "/cosmos.bank.v1beta1.MsgSendResponse".into(),
                        value: Binary::default(),
                    }],
                ))
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                self.world().burn(sender, amount)?;
                Ok((
                    Outcome::default(),
                    vec![MsgResponse {
                        type_url: "/cosmos.bank.v1beta1.MsgBurnResponse".into(),
                        value: Binary::default(),
                    }],
                ))
            }
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => {
                let outcome = self.execute(contract_addr, sender, msg, funds)?;
                let mut value = vec![];
                proto_bytes_field(1, outcome.data.as_deref().unwrap_or_default(), &mut value);
                let response = MsgResponse {
                    type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".into(),
                    value: value.into(),
                };
                Ok((outcome, vec![response]))
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate {
                code_id,
                msg,
                funds,
                label,
                ..
            }) => {
                let (addr, outcome) = self.instantiate(*code_id, sender, msg, funds, label)?;
                let mut value = vec![];
                proto_bytes_field(1, addr.as_bytes(), &mut value);
                proto_bytes_field(2, outcome.data.as_deref().unwrap_or_default(), &mut value);
                let response = MsgResponse {
                    type_url: "/cosmwasm.wasm.v1.MsgInstantiateContractResponse".into(),
                    value: value.into(),
                };
                Ok((outcome, vec![response]))
            }
            other => bail!("the harness does not dispatch {other:?}"),
        }
    }

    /// The querier's answer to a contract's query request.
    fn answer(self: &Rc<Self>, request: &[u8]) -> SystemResult<ContractResult<Binary>> {
        let request: QueryRequest<Empty> = match from_json(request) {
            Ok(r) => r,
            Err(e) => {
                return SystemResult::Err(SystemError::InvalidRequest {
                    error: e.to_string(),
                    request: request.into(),
                })
            }
        };
        let unsupported = |kind: &str| {
            SystemResult::Err(SystemError::UnsupportedRequest {
                kind: kind.to_string(),
            })
        };
        match request {
            QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => {
                if !self.world().contracts.contains_key(&contract_addr) {
                    return SystemResult::Err(SystemError::NoSuchContract {
                        addr: contract_addr,
                    });
                }
                let value = self.world().kv_get(&contract_addr, &key);
                SystemResult::Ok(ContractResult::Ok(value.unwrap_or_default().into()))
            }
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                let known = self.world().contracts.contains_key(&contract_addr)
                    || self
                        .world()
                        .pyth
                        .as_ref()
                        .is_some_and(|p| p.address == contract_addr);
                if !known {
                    return SystemResult::Err(SystemError::NoSuchContract {
                        addr: contract_addr,
                    });
                }
                match self.smart_query(&contract_addr, &msg) {
                    Ok(bin) => SystemResult::Ok(ContractResult::Ok(bin)),
                    Err(e) => SystemResult::Ok(ContractResult::Err(format!("{e:#}"))),
                }
            }
            QueryRequest::Bank(cosmwasm_std::BankQuery::Balance { address, denom }) => {
                let amount = self.world().query_balance(&address, &denom);
                let answer = serde_json::json!({
                    "amount": { "denom": denom, "amount": amount.to_string() }
                });
                SystemResult::Ok(ContractResult::Ok(
                    serde_json::to_vec(&answer).expect("json").into(),
                ))
            }
            QueryRequest::Bank(_) => unsupported("bank query other than Balance"),
            _ => unsupported("query"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::user_addr;
    use cosmwasm_std::{Checksum, SubMsg, Uint128};

    fn coin(amount: u128, denom: &str) -> Coin {
        Coin::new(Uint128::new(amount), denom)
    }

    fn send(to: &str, amount: u128) -> CosmosMsg {
        CosmosMsg::Bank(BankMsg::Send {
            to_address: to.to_string(),
            amount: vec![coin(amount, "uusd")],
        })
    }

    /// Runs `response` as if `contract` had returned it, inside a transaction.
    fn respond(chain: &Chain, contract: &str, response: Response) -> Result<Outcome> {
        chain.tx(|s| s.handle_response(contract, response, vec![]))
    }

    #[test]
    fn bank_messages_move_funds_in_order_and_are_priced() {
        let chain = Chain::new().unwrap();
        let contract = contract_addr("c");
        let (bob, carol) = (user_addr("bob"), user_addr("carol"));
        chain.mint(&contract, &[coin(1_000, "uusd")]);
        let response = Response::new()
            .add_message(send(&bob, 300))
            .add_message(send(&carol, 700));
        let (r, gas) = chain.measure(|c| respond(c, &contract, response));
        r.unwrap();
        assert_eq!(chain.balance(&contract, "uusd"), 0);
        assert_eq!(chain.balance(&bob, "uusd"), 300);
        assert_eq!(chain.balance(&carol, "uusd"), 700);
        // first send: read contract (2 + 32 + 4 + "1000") = 42 B, write "700" 41 B,
        // read bob (2 + 20 + 4, no balance: "0") 27 B, write "300" 29 B, has
        // second: read contract "700" 41 B, write "0" 39 B, read carol "0" 27 B, write "700" 29 B, has
        let reads = (1_000 + 3 * 42)
            + (1_000 + 3 * 27)
            + 1_000
            + (1_000 + 3 * 41)
            + (1_000 + 3 * 27)
            + 1_000;
        let writes = (2_000 + 30 * 41) + (2_000 + 30 * 29) + (2_000 + 30 * 39) + (2_000 + 30 * 29);
        assert_eq!(gas.read_gas, reads);
        assert_eq!(gas.write_gas, writes);
        assert_eq!(gas.total(), reads + writes);
        assert_eq!(gas.instances, 0);
    }

    #[test]
    fn a_failing_message_rolls_back_the_whole_transaction_but_gas_stays_spent() {
        let chain = Chain::new().unwrap();
        let contract = contract_addr("c");
        let bob = user_addr("bob");
        chain.mint(&contract, &[coin(1_000, "uusd")]);
        // the first send succeeds, the second asks for more than is left
        let response = Response::new()
            .add_message(send(&bob, 600))
            .add_submessage(SubMsg::new(send(&bob, 600)));
        let (r, gas) = chain.measure(|c| respond(c, &contract, response));
        let err = r.unwrap_err().to_string();
        assert!(err.contains("insufficient funds"), "{err}");
        assert_eq!(chain.balance(&contract, "uusd"), 1_000);
        assert_eq!(chain.balance(&bob, "uusd"), 0);
        assert!(gas.write_gas > 0, "the first send's writes were charged");
    }

    #[test]
    fn insufficient_funds_and_bad_recipients_are_refused_without_side_effects() {
        let chain = Chain::new().unwrap();
        let alice = user_addr("alice");
        chain.mint(&alice, &[coin(10, "uusd"), coin(5, "uatom")]);
        let err = chain
            .world()
            .send(
                &alice,
                &user_addr("bob"),
                &[coin(10, "uusd"), coin(6, "uatom")],
            )
            .unwrap_err();
        assert!(err.to_string().contains("insufficient funds"), "{err}");
        assert_eq!(chain.balance(&alice, "uusd"), 10);
        let r = respond(
            &chain,
            &alice,
            Response::new().add_message(send("not-an-address", 1)),
        );
        assert!(r.is_err());
        assert_eq!(chain.balance(&alice, "uusd"), 10);
    }

    #[test]
    fn calls_to_unknown_contracts_fail_and_cost_nothing() {
        let chain = Chain::new().unwrap();
        let alice = user_addr("alice");
        let (r, gas) =
            chain.measure(|c| c.execute(&contract_addr("nobody"), &alice, &Empty {}, &[]));
        assert!(r.unwrap_err().to_string().contains("no such contract"));
        assert_eq!(gas, Gas::default());
    }

    #[test]
    fn response_events_are_charged_as_wasmd_does() {
        let chain = Chain::new().unwrap();
        let contract = contract_addr("c");
        // 2 attributes of 60 bytes: 20 over the free tier; one custom event "lot" with one
        // attribute of 10 bytes
        let response = Response::new()
            .add_attribute("a".repeat(10), "b".repeat(50))
            .add_attribute("c".repeat(10), "d".repeat(50))
            .add_event(Event::new("lot").add_attribute("id", "12345678"));
        let (r, gas) = chain.measure(|c| respond(c, &contract, response));
        let outcome = r.unwrap();
        assert_eq!(gas.event_gas, 2 * 10 + 20 + (20 + 3) + (10 + 10));
        assert_eq!(gas.attributes, 3);
        let types: Vec<&str> = outcome.events.iter().map(|e| e.ty.as_str()).collect();
        assert_eq!(types, vec!["wasm", "wasm-lot"]);
    }

    #[test]
    fn pyth_feeds_are_answered_in_the_wire_format_for_one_instance() {
        let chain = Chain::new().unwrap();
        let pyth = contract_addr("pyth");
        chain.set_pyth(&pyth);
        let feed =
            crate::scenarios::pyth_feed(crate::scenarios::ATOM_FEED, 1_000_000_000, 1_700_000_000);
        chain.set_pyth_feed(feed.clone());
        let request = serde_json::to_vec(&QueryRequest::<Empty>::Wasm(WasmQuery::Smart {
            contract_addr: pyth.clone(),
            msg: serde_json::to_vec(&PythQueryMsg::PriceFeed {
                id: feed.id.clone(),
            })
            .unwrap()
            .into(),
        }))
        .unwrap();
        let (answer, gas) = chain.measure(|c| Ok(c.shared.answer(&request)));
        let SystemResult::Ok(ContractResult::Ok(bin)) = answer.unwrap() else {
            panic!("no answer");
        };
        let text = String::from_utf8(bin.to_vec()).unwrap();
        assert!(text.contains(r#""price":"1000000000""#), "{text}");
        let parsed: PriceFeedResponse = serde_json::from_slice(&bin).unwrap();
        assert_eq!(parsed.price_feed, feed);
        assert_eq!((gas.instances, gas.total()), (1, 60_000));
    }

    #[test]
    fn raw_queries_read_the_target_store_for_one_read() {
        let chain = Chain::new().unwrap();
        let target = contract_addr("target");
        chain.world().register_contract(
            &target,
            ContractMeta {
                code_id: 1,
                checksum: Checksum::from([0u8; 32]),
                label: "t".into(),
            },
        );
        chain
            .world()
            .fill(&target, [(b"config".to_vec(), b"{\"a\":1}".to_vec())]);
        let request = serde_json::to_vec(&QueryRequest::<Empty>::Wasm(WasmQuery::Raw {
            contract_addr: target.clone(),
            key: b"config".to_vec().into(),
        }))
        .unwrap();
        let (answer, gas) = chain.measure(|c| Ok(c.shared.answer(&request)));
        let SystemResult::Ok(ContractResult::Ok(bin)) = answer.unwrap() else {
            panic!("no answer");
        };
        assert_eq!(bin.as_slice(), b"{\"a\":1}");
        assert_eq!(gas.instances, 0);
        assert_eq!(gas.total(), 1_000 + 3 * (33 + 6 + 7));
    }
}
