//! The `Chain` trait: everything the keeper needs from a CosmWasm chain, and nothing more.
//!
//! Two implementations: [`crate::in_process::InProcessChain`] over a cw-multi-test `App`, and
//! (feature `rpc`) [`crate::rpc::RpcChain`] over a node's Tendermint/CometBFT RPC. The trait is
//! object-safe; the keeper drives a `&mut dyn Chain`, and the typed helpers ([`query`]) are free
//! functions over it.

use cosmwasm_std::{Coin, Uint128};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The latest block as the chain reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    pub height: u64,
    /// Unix seconds.
    pub time: u64,
}

/// One `MsgExecuteContract`: a contract, its JSON message, and the funds sent with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractMsg {
    pub contract: String,
    /// The JSON message (`{"liquidate":{"borrower":"..."}}`).
    pub msg: Vec<u8>,
    pub funds: Vec<Coin>,
}

impl ContractMsg {
    /// Serialises `msg` to JSON. Funds are sorted by denom, as the SDK requires of a `Coins` set.
    pub fn new<M: Serialize>(
        contract: impl Into<String>,
        msg: &M,
        funds: Vec<Coin>,
    ) -> Result<Self, ChainError> {
        let mut funds: Vec<Coin> = funds.into_iter().filter(|c| !c.amount.is_zero()).collect();
        funds.sort_by(|a, b| a.denom.cmp(&b.denom));
        Ok(ContractMsg {
            contract: contract.into(),
            msg: serde_json::to_vec(msg).map_err(|e| ChainError::Encode(e.to_string()))?,
            funds,
        })
    }

    /// The message as text, for logs.
    pub fn msg_text(&self) -> String {
        String::from_utf8_lossy(&self.msg).into_owned()
    }
}

/// An event of a transaction's result, with its attributes in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxEvent {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

/// The result of a transaction that reached the chain: included (successfully or not), or, for
/// the in-process chain, executed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxOutcome {
    /// Hex hash of the transaction (`None` in process).
    pub tx_hash: Option<String>,
    pub height: u64,
    /// Gas the chain charged; `None` where the chain does not meter gas (cw-multi-test).
    pub gas_used: Option<u64>,
    pub gas_wanted: Option<u64>,
    /// The fee paid (RPC only).
    pub fee: Vec<Coin>,
    pub events: Vec<TxEvent>,
    /// The error text when the transaction failed (its state changes were reverted).
    pub error: Option<String>,
}

impl TxOutcome {
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// The first value of `key` in events of `kind` (e.g. `("wasm", "lot_ids")`).
    pub fn attribute(&self, kind: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .flat_map(|e| e.attributes.iter())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What a dry run of a transaction says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimOutcome {
    /// Gas the run used (`None` where the chain does not meter gas).
    pub gas_used: Option<u64>,
    /// Why it would fail; `None` when it would succeed.
    pub error: Option<String>,
}

impl SimOutcome {
    pub fn would_succeed(&self) -> bool {
        self.error.is_none()
    }
}

/// Failures to talk to the chain (as opposed to a transaction that ran and failed, which is a
/// [`TxOutcome`] with `error`).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A smart or raw query that the contract (or the node) refused.
    #[error("query of {contract} failed: {message}")]
    Query { contract: String, message: String },
    /// The node could not be reached, or answered garbage, after the configured retries.
    #[error("transport: {0}")]
    Transport(String),
    /// The transaction was refused before execution (CheckTx: fees, sequence, signature...).
    #[error("transaction rejected (code {code}): {log}")]
    Rejected { code: u32, log: String },
    /// The transaction was broadcast but not seen in a block in time.
    #[error("transaction {tx_hash} not included after {waited_secs} s")]
    NotIncluded { tx_hash: String, waited_secs: u64 },
    #[error("encoding: {0}")]
    Encode(String),
    #[error("decoding: {0}")]
    Decode(String),
    #[error("{0}")]
    Other(String),
}

/// A CosmWasm chain as the keeper sees it.
pub trait Chain {
    /// The keeper's own address (the signer of every transaction).
    fn sender(&self) -> String;

    /// The latest block's height and time.
    fn block(&self) -> Result<BlockInfo, ChainError>;

    /// A smart query: the JSON message in, the contract's JSON answer out.
    fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ChainError>;

    /// The bank balance of `address` in `denom`.
    fn balance(&self, address: &str, denom: &str) -> Result<Uint128, ChainError>;

    /// Executes `msgs` in one transaction, in order, atomically (all or none), signed by
    /// [`Chain::sender`]. `Ok` means the transaction ran: look at [`TxOutcome::error`].
    fn execute(&mut self, msgs: &[ContractMsg]) -> Result<TxOutcome, ChainError>;

    /// Runs `msgs` as [`Chain::execute`] would, without keeping any effect.
    fn simulate(&mut self, msgs: &[ContractMsg]) -> Result<SimOutcome, ChainError>;
}

/// A typed smart query over any [`Chain`].
pub fn query<T: DeserializeOwned>(
    chain: &dyn Chain,
    contract: &str,
    msg: &impl Serialize,
) -> Result<T, ChainError> {
    let msg = serde_json::to_vec(msg).map_err(|e| ChainError::Encode(e.to_string()))?;
    let answer = chain.query_smart(contract, &msg)?;
    serde_json::from_slice(&answer).map_err(|e| {
        ChainError::Decode(format!(
            "answer of {contract} to {}: {e}: {}",
            String::from_utf8_lossy(&msg),
            String::from_utf8_lossy(&answer)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::coin;

    #[test]
    fn contract_msg_sorts_funds_and_drops_zero_coins() {
        let msg = ContractMsg::new(
            "c",
            &serde_json::json!({"a":{}}),
            vec![coin(2, "uusd"), coin(0, "uatom"), coin(1, "uakt")],
        )
        .unwrap();
        assert_eq!(msg.funds, vec![coin(1, "uakt"), coin(2, "uusd")]);
        assert_eq!(msg.msg_text(), r#"{"a":{}}"#);
    }

    #[test]
    fn attribute_finds_the_first_value_by_event_kind() {
        let outcome = TxOutcome {
            events: vec![
                TxEvent {
                    kind: "message".into(),
                    attributes: vec![("code_id".into(), "9".into())],
                },
                TxEvent {
                    kind: "store_code".into(),
                    attributes: vec![("code_id".into(), "7".into())],
                },
            ],
            ..Default::default()
        };
        assert_eq!(outcome.attribute("store_code", "code_id"), Some("7"));
        assert_eq!(outcome.attribute("wasm", "code_id"), None);
        assert!(outcome.is_ok());
    }
}
