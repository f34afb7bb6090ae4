//! The keepers' view of the chain in the simulator: `ballast-keeper`'s in-process chain, plus
//! two things the simulator needs from every transaction and query.
//!
//! - **Recording.** Every executed transaction is kept with its messages and events (and, for
//!   bids, the keeper's balance changes), so the simulator can count calls, check each
//!   `Liquidate`'s health factor, follow losses through the waterfall and ADL, and measure what
//!   keepers paid for collateral.
//! - **Scan gate.** `Liquidatable` scans every indebted account; a real keeper does not rescan
//!   the whole book when nothing moved, it keeps the candidates of its last scan. So a full scan
//!   runs only when a price moved by `scan_move` since the last one, or every `scan_every`
//!   blocks (`ballast::BallastSim::step`); in between, `Liquidatable` answers with the
//!   candidates the last scan found that are still open (not liquidated since, not found
//!   healthy since). The keeper re-checks each candidate with `Position` before it liquidates,
//!   as it always does, so a stale entry costs a query and nothing else.
//! - **Per-state cache.** The same smart query against the same state and block has the same
//!   answer; repeated ones (several keepers reading the same lots) are answered from a cache
//!   that every transaction, and every change the simulator makes, clears.

use ballast_keeper::{BlockInfo, Chain, ChainError, ContractMsg, InProcessChain, SimOutcome};
use ballast_keeper::{TxEvent, TxOutcome};
use cosmwasm_std::Uint128;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The first key of a contract message's JSON (`liquidate`, `bid`, `reset`, `adl_step`...).
pub fn msg_kind(msg: &ContractMsg) -> String {
    first_key(&msg.msg)
}

/// One executed transaction.
#[derive(Clone, Debug)]
pub struct TxRecord {
    pub sender: String,
    pub kinds: Vec<String>,
    pub error: Option<String>,
    pub events: Vec<TxEvent>,
    /// For transactions with a bid: the sender's balance change per tracked denom.
    pub deltas: Vec<(String, i128)>,
}

/// (contract, query JSON) → answer JSON.
pub type QueryCache = std::collections::HashMap<(String, Vec<u8>), Vec<u8>>;

/// What the gate and the recorder share with the simulator.
#[derive(Debug, Default)]
pub struct ChainCtx {
    /// Whether `Liquidatable` runs for real (a full scan) or answers with `remembered`.
    pub scan_open: bool,
    /// Candidates of the last full scan still worth a look.
    pub remembered: RefCell<Vec<ballast_types::market::LiquidatableAccount>>,
    /// Candidates the current full scan found so far.
    pub fresh: RefCell<Vec<ballast_types::market::LiquidatableAccount>>,
    /// Scans run (first pages), pages run, and accounts they reported liquidatable.
    pub scans: Cell<u64>,
    pub pages: Cell<u64>,
    pub found: Cell<u64>,
    /// Whether the current round scanned.
    pub scanned_this_round: Cell<bool>,
    /// Denoms whose balances a bid's record carries.
    pub tracked: Vec<String>,
    /// Transactions executed since the simulator last drained them.
    pub txs: Vec<TxRecord>,
    /// Queries answered (run for real) and `Liquidatable` pages the gate answered.
    pub queries: Cell<u64>,
    pub gated_pages: Cell<u64>,
    /// Answers of smart queries since the state last changed: the same query against the same
    /// state and block has the same answer, so it is not run twice. Cleared by every
    /// transaction, and by the simulator whenever it changes the chain itself.
    pub cache: RefCell<QueryCache>,
    pub cache_hits: Cell<u64>,
    /// Time spent per query and per transaction kind (count, time), for profiling.
    pub timings: RefCell<BTreeMap<String, (u64, Duration)>>,
}

impl ChainCtx {
    pub fn time(&self, key: &str, took: Duration) {
        let mut t = self.timings.borrow_mut();
        let e = t.entry(key.to_string()).or_default();
        e.0 += 1;
        e.1 += took;
    }
}

/// The first JSON key of a message or query (`{"active_lots":{...}}` → `active_lots`).
pub fn first_key(text: &[u8]) -> String {
    let start = text.iter().position(|b| *b == b'"').map(|i| i + 1);
    match start {
        Some(s) => text[s..]
            .iter()
            .position(|b| *b == b'"')
            .map(|e| String::from_utf8_lossy(&text[s..s + e]).into_owned())
            .unwrap_or_default(),
        None => String::new(),
    }
}

const EMPTY_PAGE: &[u8] = br#"{"accounts":[],"unpriced":[],"next":null}"#;

/// `InProcessChain` with recording and the scan gate.
pub struct SimChain<'a, 'c> {
    pub inner: InProcessChain<'a>,
    pub ctx: &'c mut ChainCtx,
}

impl SimChain<'_, '_> {
    fn balances(&self) -> Vec<(String, i128)> {
        let me = self.inner.sender();
        self.ctx
            .tracked
            .iter()
            .map(|d| {
                let b = self.inner.balance(&me, d).unwrap_or(Uint128::zero()).u128();
                (d.clone(), b as i128)
            })
            .collect()
    }
}

impl Chain for SimChain<'_, '_> {
    fn sender(&self) -> String {
        self.inner.sender()
    }

    fn block(&self) -> Result<BlockInfo, ChainError> {
        self.inner.block()
    }

    fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ChainError> {
        let ctx = &*self.ctx;
        bump(&ctx.queries);
        // `Liquidatable` depends on the gate too: never cached.
        let cacheable = !msg.starts_with(br#"{"liquidatable""#);
        let key = (contract.to_string(), msg.to_vec());
        if let Some(answer) = cacheable
            .then(|| ctx.cache.borrow().get(&key).cloned())
            .flatten()
        {
            bump(&ctx.cache_hits);
            return Ok(answer);
        }
        let started = Instant::now();
        let answer = self.query_inner(contract, msg);
        ctx.time(&format!("query {}", first_key(msg)), started.elapsed());
        if let (true, Ok(a)) = (cacheable, &answer) {
            ctx.cache.borrow_mut().insert(key, a.clone());
        }
        answer
    }

    fn balance(&self, address: &str, denom: &str) -> Result<Uint128, ChainError> {
        self.inner.balance(address, denom)
    }

    fn execute(&mut self, msgs: &[ContractMsg]) -> Result<TxOutcome, ChainError> {
        self.ctx.cache.borrow_mut().clear();
        let started = Instant::now();
        let outcome = self.execute_inner(msgs);
        let kinds: Vec<String> = msgs.iter().map(msg_kind).collect();
        self.ctx
            .time(&format!("execute {}", kinds.join("+")), started.elapsed());
        outcome
    }

    fn simulate(&mut self, msgs: &[ContractMsg]) -> Result<SimOutcome, ChainError> {
        self.inner.simulate(msgs)
    }
}

impl SimChain<'_, '_> {
    fn query_inner(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ChainError> {
        let ctx = &*self.ctx;
        if msg.starts_with(br#"{"liquidatable""#) {
            if !ctx.scan_open {
                bump(&ctx.gated_pages);
                let first = msg.windows(18).any(|w| w == br#""start_after":null"#);
                let remembered = ctx.remembered.borrow();
                if !first || remembered.is_empty() {
                    return Ok(EMPTY_PAGE.to_vec());
                }
                let page = ballast_types::market::LiquidatableResponse {
                    accounts: remembered.clone(),
                    unpriced: vec![],
                    next: None,
                };
                return serde_json::to_vec(&page).map_err(|e| ChainError::Encode(e.to_string()));
            }
            let answer = self.inner.query_smart(contract, msg)?;
            bump(&ctx.pages);
            if msg.windows(18).any(|w| w == br#""start_after":null"#) {
                bump(&ctx.scans);
            }
            ctx.scanned_this_round.set(true);
            if let Ok(page) =
                serde_json::from_slice::<ballast_types::market::LiquidatableResponse>(&answer)
            {
                ctx.found.set(ctx.found.get() + page.accounts.len() as u64);
                ctx.fresh.borrow_mut().extend(page.accounts);
            }
            return Ok(answer);
        }
        self.inner.query_smart(contract, msg)
    }

    fn execute_inner(&mut self, msgs: &[ContractMsg]) -> Result<TxOutcome, ChainError> {
        let kinds: Vec<String> = msgs.iter().map(msg_kind).collect();
        let has_bid = kinds.iter().any(|k| k == "bid");
        let before = if has_bid { self.balances() } else { vec![] };
        let outcome = self.inner.execute(msgs)?;
        let deltas = if has_bid {
            self.balances()
                .into_iter()
                .zip(before)
                .map(|((d, after), (_, before))| (d, after - before))
                .filter(|(_, delta)| *delta != 0)
                .collect()
        } else {
            vec![]
        };
        self.ctx.txs.push(TxRecord {
            sender: self.inner.sender(),
            kinds,
            error: outcome.error.clone(),
            events: outcome.events.clone(),
            deltas,
        });
        Ok(outcome)
    }
}

fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_types::market;

    #[test]
    fn message_kinds_are_the_first_json_key() {
        let m = ContractMsg::new(
            "c",
            &market::ExecuteMsg::Liquidate {
                borrower: "b".into(),
            },
            vec![],
        )
        .unwrap();
        assert_eq!(msg_kind(&m), "liquidate");
        let q = serde_json::to_vec(&market::QueryMsg::Liquidatable {
            start_after: None,
            limit: Some(100),
        })
        .unwrap();
        assert!(q.starts_with(br#"{"liquidatable""#));
        assert!(q.windows(18).any(|w| w == br#""start_after":null"#));
    }
}
