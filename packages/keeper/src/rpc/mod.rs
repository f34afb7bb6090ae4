//! [`Chain`] over a CosmWasm node's Tendermint/CometBFT RPC (cosmrs + tendermint-rpc).
//!
//! - Queries go through `abci_query` with the gRPC paths as ABCI paths:
//!   `/cosmwasm.wasm.v1.Query/SmartContractState`, `/cosmos.auth.v1beta1.Query/Account`,
//!   `/cosmos.bank.v1beta1.Query/Balance`, `/cosmos.tx.v1beta1.Service/Simulate`.
//! - Transactions: the account number and sequence are read once and the sequence is then kept
//!   locally (+1 per transaction that passes CheckTx); gas = simulated gas × `gas_adjustment`
//!   (capped at `max_gas`), fee = gas × `gas_price`; `broadcast_tx_sync`, then `/tx` is polled
//!   until the transaction is in a block or `inclusion_timeout_secs` passes.
//! - A sequence mismatch (code 32, in CheckTx or in simulation) takes the sequence the node
//!   expects from its log (or re-reads the account) and signs again, at most twice.
//! - Transport errors are retried with exponential backoff ([`retry::RetryPolicy`]); answers are
//!   not. A transaction that fails simulation is not broadcast: `execute` returns it as a failed
//!   [`TxOutcome`] without spending a fee.
//!
//! The trait is synchronous; the chain owns a current-thread tokio runtime and blocks on it.

#[cfg(test)]
mod fake_node;
pub mod key;
pub mod retry;
pub mod tx;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::traits::Message;
use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::{Client, HttpClient, HttpClientUrl};
use cosmrs::tendermint::Hash;
use cosmrs::{AccountId, Any};
use cosmwasm_std::{Coin, Uint128};
use serde::{Deserialize, Serialize};

use crate::chain::{BlockInfo, Chain, ChainError, ContractMsg, SimOutcome, TxEvent, TxOutcome};
use crate::deploy::Deployer;
use retry::{retry, RetryPolicy};
use tx::{SignerData, CODE_TX_IN_CACHE, CODE_WRONG_SEQUENCE};

/// The `[chain]` table of keeper.toml and deploy.toml.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// Tendermint/CometBFT RPC, e.g. `http://127.0.0.1:26657`.
    pub rpc: String,
    pub chain_id: String,
    /// Bech32 prefix of addresses (`wasm`, `neutron`, `osmo`...).
    pub prefix: String,
    pub fee_denom: String,
    /// Fee-denom units per gas unit.
    pub gas_price: f64,
    #[serde(default = "default_gas_adjustment")]
    pub gas_adjustment: f64,
    /// Largest gas limit the keeper asks for.
    #[serde(default = "default_max_gas")]
    pub max_gas: u64,
    /// The key: a file, or an environment variable, holding a hex private key or a mnemonic.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub key_env: Option<String>,
    #[serde(default = "default_hd_path")]
    pub hd_path: String,
    #[serde(default)]
    pub memo: String,
    /// Per HTTP request.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default = "default_inclusion_timeout")]
    pub inclusion_timeout_secs: u64,
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    #[serde(default)]
    pub retry: RetryPolicy,
    /// CometBFT RPC dialect: "0.34", "0.37" or "0.38"; read from `/status` when absent.
    #[serde(default)]
    pub compat: Option<String>,
}

fn default_gas_adjustment() -> f64 {
    1.4
}
fn default_max_gas() -> u64 {
    30_000_000
}
fn default_hd_path() -> String {
    key::DEFAULT_HD_PATH.into()
}
fn default_timeout() -> u64 {
    10
}
fn default_inclusion_timeout() -> u64 {
    60
}
fn default_poll_ms() -> u64 {
    1_000
}

impl ChainConfig {
    /// Loads the signing key from `key_file` or `key_env` (exactly one).
    pub fn signing_key(&self) -> Result<SigningKey, String> {
        match (&self.key_file, &self.key_env) {
            (Some(path), None) => key::key_from_file(path, &self.hd_path),
            (None, Some(var)) => key::key_from_env(var, &self.hd_path),
            (Some(_), Some(_)) => Err("set key_file or key_env, not both".into()),
            (None, None) => Err("set key_file or key_env".into()),
        }
    }
}

fn compat_of(text: &str) -> Result<CompatMode, String> {
    match text {
        "0.34" => Ok(CompatMode::V0_34),
        "0.37" => Ok(CompatMode::V0_37),
        "0.38" => Ok(CompatMode::V0_38),
        other => Err(format!("compat must be 0.34, 0.37 or 0.38, got {other}")),
    }
}

fn transport(e: impl std::fmt::Display) -> ChainError {
    ChainError::Transport(retry::compact(&e))
}

fn decode_err(e: impl std::fmt::Display) -> ChainError {
    ChainError::Decode(e.to_string())
}

/// A node over RPC, acting as the key's account.
pub struct RpcChain {
    cfg: ChainConfig,
    client: HttpClient,
    runtime: tokio::runtime::Runtime,
    key: SigningKey,
    address: AccountId,
    account_number: Option<u64>,
    sequence: Option<u64>,
}

impl RpcChain {
    /// Connects (reads `/status`: the node's chain id must be `cfg.chain_id`, and its version
    /// picks the RPC dialect unless `compat` is set).
    pub fn connect(cfg: ChainConfig, key: SigningKey) -> Result<Self, ChainError> {
        let address = key
            .public_key()
            .account_id(&cfg.prefix)
            .map_err(|e| ChainError::Other(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ChainError::Other(e.to_string()))?;
        let url: HttpClientUrl = cfg.rpc.parse().map_err(transport)?;
        // A node on this machine is never reached through a proxy from the environment.
        let loopback = reqwest::Url::parse(&cfg.rpc)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| {
                    h == "localhost"
                        || h.parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| ip.is_loopback())
                        || h == "[::1]"
                })
            })
            .unwrap_or(false);
        let mut http = reqwest::Client::builder()
            .user_agent(concat!("ballast-keeper/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(cfg.timeout_secs));
        if loopback {
            http = http.no_proxy();
        }
        let http = http.build().map_err(transport)?;
        let build = |compat: CompatMode| {
            HttpClient::builder(url.clone())
                .compat_mode(compat)
                .client(http.clone())
                .build()
                .map_err(transport)
        };
        let mut client = build(CompatMode::latest())?;
        let status = runtime
            .block_on(retry(&cfg.retry, "status", || client.status()))
            .map_err(ChainError::Transport)?;
        if status.node_info.network.as_str() != cfg.chain_id {
            return Err(ChainError::Other(format!(
                "the node at {} is on chain {}, the config says {}",
                cfg.rpc, status.node_info.network, cfg.chain_id
            )));
        }
        let compat = match &cfg.compat {
            Some(text) => compat_of(text).map_err(ChainError::Other)?,
            None => {
                CompatMode::from_version(status.node_info.version).unwrap_or(CompatMode::latest())
            }
        };
        client = build(compat)?;
        Ok(RpcChain {
            cfg,
            client,
            runtime,
            key,
            address,
            account_number: None,
            sequence: None,
        })
    }

    pub fn address(&self) -> &AccountId {
        &self.address
    }

    pub fn chain_id(&self) -> &str {
        &self.cfg.chain_id
    }

    /// One ABCI query of a gRPC method; a non-zero code is a refused query.
    fn abci<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        request: &Req,
        what: &str,
    ) -> Result<Resp, ChainError> {
        let data = request.encode_to_vec();
        let client = &self.client;
        let answer = self
            .runtime
            .block_on(retry(&self.cfg.retry, path, || {
                client.abci_query(Some(path.to_string()), data.clone(), None, false)
            }))
            .map_err(ChainError::Transport)?;
        if answer.code.is_err() {
            return Err(ChainError::Query {
                contract: what.to_string(),
                message: answer.log,
            });
        }
        Resp::decode(answer.value.as_slice()).map_err(decode_err)
    }

    /// Reads the account number and sequence.
    pub fn refresh_account(&mut self) -> Result<(u64, u64), ChainError> {
        let answer: QueryAccountResponse = self.abci(
            "/cosmos.auth.v1beta1.Query/Account",
            &QueryAccountRequest {
                address: self.address.to_string(),
            },
            "auth",
        )?;
        let any = answer.account.ok_or_else(|| {
            ChainError::Other(format!(
                "account {} not found (fund it first)",
                self.address
            ))
        })?;
        if any.type_url != "/cosmos.auth.v1beta1.BaseAccount" {
            return Err(ChainError::Decode(format!(
                "account type {} is not supported (BaseAccount only)",
                any.type_url
            )));
        }
        let account = BaseAccount::decode(any.value.as_slice()).map_err(decode_err)?;
        self.account_number = Some(account.account_number);
        self.sequence = Some(account.sequence);
        Ok((account.account_number, account.sequence))
    }

    fn signer(&mut self) -> Result<SignerData, ChainError> {
        let (account_number, sequence) = match (self.account_number, self.sequence) {
            (Some(a), Some(s)) => (a, s),
            _ => self.refresh_account()?,
        };
        Ok(SignerData {
            chain_id: self.cfg.chain_id.clone(),
            account_number,
            sequence,
        })
    }

    fn sign(&mut self, messages: Vec<Any>, gas_limit: u64) -> Result<Vec<u8>, ChainError> {
        let signer = self.signer()?;
        let fee = tx::fee_for(gas_limit, self.cfg.gas_price, &self.cfg.fee_denom)?;
        tx::sign_tx(&self.key, messages, &self.cfg.memo, fee, &signer)
    }

    /// Simulates `messages`; a sequence mismatch re-reads the account and tries once more.
    fn simulate_anys(&mut self, messages: &[Any]) -> Result<SimOutcome, ChainError> {
        for attempt in 0..2 {
            // Simulation checks neither the fee nor the signature, but does check the sequence.
            let tx_bytes = self.sign(messages.to_vec(), self.cfg.max_gas)?;
            #[allow(deprecated)]
            let request = SimulateRequest { tx: None, tx_bytes };
            match self.abci::<_, SimulateResponse>(
                "/cosmos.tx.v1beta1.Service/Simulate",
                &request,
                "simulate",
            ) {
                Ok(answer) => {
                    return Ok(SimOutcome {
                        gas_used: answer.gas_info.map(|g| g.gas_used),
                        error: None,
                    })
                }
                Err(ChainError::Query { message, .. }) => {
                    if attempt == 0 && tx::expected_sequence(&message).is_some() {
                        self.refresh_account()?;
                        continue;
                    }
                    return Ok(SimOutcome {
                        gas_used: None,
                        error: Some(message),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns")
    }

    /// Simulates for gas, signs, broadcasts and waits for inclusion.
    fn broadcast_anys(&mut self, messages: Vec<Any>) -> Result<TxOutcome, ChainError> {
        let sim = self.simulate_anys(&messages)?;
        if let Some(error) = sim.error {
            return Ok(TxOutcome {
                error: Some(format!("simulation failed, not broadcast: {error}")),
                ..Default::default()
            });
        }
        let gas_limit = tx::gas_limit(
            sim.gas_used.unwrap_or(self.cfg.max_gas),
            self.cfg.gas_adjustment,
            self.cfg.max_gas,
        );
        let mut attempts = 0;
        let (hash, fee) = loop {
            attempts += 1;
            let tx_bytes = self.sign(messages.clone(), gas_limit)?;
            let fee = tx::fee_for(gas_limit, self.cfg.gas_price, &self.cfg.fee_denom)?;
            let client = &self.client;
            let answer = self
                .runtime
                .block_on(retry(&self.cfg.retry, "broadcast_tx_sync", || {
                    client.broadcast_tx_sync(tx_bytes.clone())
                }))
                .map_err(ChainError::Transport)?;
            let code = answer.code.value();
            if code == 0 || code == CODE_TX_IN_CACHE {
                self.sequence = self.sequence.map(|s| s + 1);
                break (answer.hash, fee);
            }
            if code == CODE_WRONG_SEQUENCE && attempts <= 2 {
                match tx::expected_sequence(&answer.log) {
                    Some(expected) => self.sequence = Some(expected),
                    None => {
                        self.refresh_account()?;
                    }
                }
                tracing::info!(log = %answer.log, "sequence mismatch; signing again");
                continue;
            }
            if code == CODE_WRONG_SEQUENCE {
                self.sequence = None; // re-read next time
            }
            return Err(ChainError::Rejected {
                code,
                log: answer.log,
            });
        };
        let mut outcome = self.wait_for(hash)?;
        outcome.fee = fee
            .amount
            .iter()
            .map(|c| Coin::new(c.amount, c.denom.to_string()))
            .collect();
        Ok(outcome)
    }

    /// Polls `/tx` until the transaction is in a block.
    fn wait_for(&self, hash: Hash) -> Result<TxOutcome, ChainError> {
        let started = Instant::now();
        let timeout = Duration::from_secs(self.cfg.inclusion_timeout_secs);
        let poll = Duration::from_millis(self.cfg.poll_interval_ms);
        loop {
            match self.runtime.block_on(self.client.tx(hash, false)) {
                Ok(found) => {
                    let result = found.tx_result;
                    let events = result
                        .events
                        .iter()
                        .map(|e| TxEvent {
                            kind: e.kind.clone(),
                            attributes: e
                                .attributes
                                .iter()
                                .map(|a| {
                                    (
                                        String::from_utf8_lossy(a.key_bytes()).into_owned(),
                                        String::from_utf8_lossy(a.value_bytes()).into_owned(),
                                    )
                                })
                                .collect(),
                        })
                        .collect();
                    return Ok(TxOutcome {
                        tx_hash: Some(hash.to_string()),
                        height: found.height.value(),
                        gas_used: Some(result.gas_used.max(0) as u64),
                        gas_wanted: Some(result.gas_wanted.max(0) as u64),
                        fee: vec![],
                        events,
                        error: result
                            .code
                            .is_err()
                            .then(|| format!("code {}: {}", result.code.value(), result.log)),
                    });
                }
                Err(e) => {
                    let e = retry::compact(&e);
                    // "not found" until the block is committed; a transport error is waited out
                    // the same way, within the inclusion timeout.
                    if started.elapsed() >= timeout {
                        tracing::warn!(error = %e, "transaction not seen in time");
                        return Err(ChainError::NotIncluded {
                            tx_hash: hash.to_string(),
                            waited_secs: timeout.as_secs(),
                        });
                    }
                    std::thread::sleep(poll);
                }
            }
        }
    }
}

impl Chain for RpcChain {
    fn sender(&self) -> String {
        self.address.to_string()
    }

    fn block(&self) -> Result<BlockInfo, ChainError> {
        let client = &self.client;
        let status = self
            .runtime
            .block_on(retry(&self.cfg.retry, "status", || client.status()))
            .map_err(ChainError::Transport)?;
        Ok(BlockInfo {
            height: status.sync_info.latest_block_height.value(),
            time: status.sync_info.latest_block_time.unix_timestamp().max(0) as u64,
        })
    }

    fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ChainError> {
        let answer: QuerySmartContractStateResponse = self.abci(
            "/cosmwasm.wasm.v1.Query/SmartContractState",
            &QuerySmartContractStateRequest {
                address: contract.to_string(),
                query_data: msg.to_vec(),
            },
            contract,
        )?;
        Ok(answer.data)
    }

    fn balance(&self, address: &str, denom: &str) -> Result<Uint128, ChainError> {
        let answer: QueryBalanceResponse = self.abci(
            "/cosmos.bank.v1beta1.Query/Balance",
            &QueryBalanceRequest {
                address: address.to_string(),
                denom: denom.to_string(),
            },
            "bank",
        )?;
        let amount = answer.balance.map(|c| c.amount).unwrap_or_default();
        if amount.is_empty() {
            return Ok(Uint128::zero());
        }
        amount.parse::<u128>().map(Uint128::new).map_err(decode_err)
    }

    fn execute(&mut self, msgs: &[ContractMsg]) -> Result<TxOutcome, ChainError> {
        let anys = msgs
            .iter()
            .map(|m| tx::execute_any(&self.address, m))
            .collect::<Result<Vec<_>, _>>()?;
        self.broadcast_anys(anys)
    }

    fn simulate(&mut self, msgs: &[ContractMsg]) -> Result<SimOutcome, ChainError> {
        let anys = msgs
            .iter()
            .map(|m| tx::execute_any(&self.address, m))
            .collect::<Result<Vec<_>, _>>()?;
        self.simulate_anys(&anys)
    }
}

impl Deployer for RpcChain {
    fn store_code(&mut self, wasm: Vec<u8>) -> Result<(u64, TxOutcome), ChainError> {
        let any = tx::store_code_any(&self.address, wasm)?;
        let outcome = self.broadcast_anys(vec![any])?;
        if outcome.error.is_some() {
            return Ok((0, outcome));
        }
        let code_id = outcome
            .attribute("store_code", "code_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ChainError::Decode("no store_code.code_id in the events".into()))?;
        Ok((code_id, outcome))
    }

    fn instantiate(
        &mut self,
        code_id: u64,
        label: &str,
        msg: &[u8],
        admin: Option<&str>,
    ) -> Result<(String, TxOutcome), ChainError> {
        let any = tx::instantiate_any(&self.address, code_id, label, msg.to_vec(), admin, &[])?;
        let outcome = self.broadcast_anys(vec![any])?;
        if outcome.error.is_some() {
            return Ok((String::new(), outcome));
        }
        let address = outcome
            .attribute("instantiate", "_contract_address")
            .map(str::to_string)
            .ok_or_else(|| {
                ChainError::Decode("no instantiate._contract_address in the events".into())
            })?;
        Ok((address, outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_config_reads_toml_with_defaults() {
        let cfg: ChainConfig = toml::from_str(
            r#"
            rpc = "http://127.0.0.1:26657"
            chain_id = "ballast-1"
            prefix = "wasm"
            fee_denom = "ustake"
            gas_price = 0.025
            key_env = "BALLAST_KEEPER_KEY"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.gas_adjustment, 1.4);
        assert_eq!(cfg.hd_path, "m/44'/118'/0'/0/0");
        assert_eq!(cfg.retry, RetryPolicy::default());
        assert!(cfg.compat.is_none());
        assert!(compat_of("0.38").is_ok());
        assert!(compat_of("1.0").is_err());
        let both = ChainConfig {
            key_file: Some("k".into()),
            ..cfg.clone()
        };
        assert!(both.signing_key().err().unwrap().contains("not both"));
        let none = ChainConfig {
            key_env: None,
            ..cfg
        };
        assert!(none
            .signing_key()
            .err()
            .unwrap()
            .contains("set key_file or key_env"));
    }

    use super::fake_node::{FakeNode, NodeState, CHAIN_ID};
    use crate::deploy::Deployer;

    fn config(node: &FakeNode) -> ChainConfig {
        ChainConfig {
            rpc: node.url(),
            chain_id: CHAIN_ID.into(),
            prefix: "wasm".into(),
            fee_denom: "ustake".into(),
            gas_price: 0.025,
            gas_adjustment: 1.4,
            max_gas: 1_000_000,
            key_file: None,
            key_env: None,
            hd_path: default_hd_path(),
            memo: "test".into(),
            timeout_secs: 5,
            inclusion_timeout_secs: 5,
            poll_interval_ms: 10,
            retry: RetryPolicy {
                max_attempts: 4,
                initial_backoff_ms: 1,
                max_backoff_ms: 5,
            },
            compat: None,
        }
    }

    fn key() -> SigningKey {
        SigningKey::from_slice(&[3u8; 32]).unwrap()
    }

    fn contract() -> String {
        SigningKey::from_slice(&[9u8; 32])
            .unwrap()
            .public_key()
            .account_id("wasm")
            .unwrap()
            .to_string()
    }

    fn liquidate(borrower: &str) -> ContractMsg {
        ContractMsg::new(
            contract(),
            &serde_json::json!({"liquidate": {"borrower": borrower}}),
            vec![],
        )
        .unwrap()
    }

    fn node() -> FakeNode {
        FakeNode::start(NodeState {
            sequence: 5,
            balance: 777,
            ..Default::default()
        })
    }

    #[test]
    fn queries_go_through_abci_with_the_grpc_paths() {
        let node = node();
        let chain = RpcChain::connect(config(&node), key()).unwrap();
        assert_eq!(
            chain.block().unwrap(),
            BlockInfo {
                height: 100,
                time: 1_700_000_000
            }
        );
        let answer = chain.query_smart(&contract(), br#"{"config":{}}"#).unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["query"], serde_json::json!({"config": {}}));
        assert_eq!(answer["contract"], contract());
        let err = chain.query_smart("wasm1bad", b"{}").unwrap_err();
        assert!(
            matches!(&err, ChainError::Query { message, .. } if message.contains("unknown variant")),
            "{err}"
        );
        assert_eq!(
            chain.balance(&chain.sender(), "uusd").unwrap(),
            Uint128::new(777)
        );
        let calls = node.calls();
        assert!(calls.contains(&"/cosmwasm.wasm.v1.Query/SmartContractState".to_string()));
        assert!(calls.contains(&"/cosmos.bank.v1beta1.Query/Balance".to_string()));
    }

    #[test]
    fn connect_refuses_another_chain() {
        let node = node();
        let mut cfg = config(&node);
        cfg.chain_id = "other-1".into();
        let err = RpcChain::connect(cfg, key()).err().unwrap();
        assert!(
            err.to_string().contains("is on chain ballast-test-1"),
            "{err}"
        );
    }

    #[test]
    fn execute_simulates_signs_broadcasts_and_waits_for_the_block() {
        let node = node();
        let mut chain = RpcChain::connect(config(&node), key()).unwrap();
        let outcome = chain.execute(&[liquidate("alice")]).unwrap();
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(outcome.height, 101);
        assert_eq!(outcome.gas_used, Some(123_456));
        assert_eq!(outcome.gas_wanted, Some(140_000));
        // gas 100,000 simulated × 1.4 = 140,000; × 0.025 = 3,500
        assert_eq!(outcome.fee, vec![cosmwasm_std::coin(3_500, "ustake")]);
        assert_eq!(outcome.attribute("wasm", "action"), Some("liquidate"));
        assert_eq!(outcome.tx_hash.as_ref().unwrap().len(), 64);
        let calls: Vec<String> = node
            .calls()
            .into_iter()
            .filter(|c| c != "abci_query")
            .collect();
        assert_eq!(
            calls,
            vec![
                "status",
                "/cosmos.auth.v1beta1.Query/Account",
                "/cosmos.tx.v1beta1.Service/Simulate",
                "broadcast_tx_sync",
                "tx",
                "tx"
            ]
        );
        assert_eq!(node.state.lock().unwrap().sequence, 6);
        // the next transaction uses the cached sequence: no account query
        chain.execute(&[liquidate("bob")]).unwrap();
        let accounts = node
            .calls()
            .iter()
            .filter(|c| c.ends_with("Query/Account"))
            .count();
        assert_eq!(accounts, 1);
        assert_eq!(node.state.lock().unwrap().sequence, 7);
    }

    #[test]
    fn sequence_mismatches_are_recovered_in_simulation_and_in_check_tx() {
        let node = node();
        let mut chain = RpcChain::connect(config(&node), key()).unwrap();
        chain.execute(&[liquidate("alice")]).unwrap();
        // another signer used the key: the simulation sees the mismatch, the account is re-read
        node.state.lock().unwrap().sequence = 9;
        let outcome = chain.execute(&[liquidate("bob")]).unwrap();
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(node.state.lock().unwrap().sequence, 10);
        // ... or only CheckTx sees it: the expected sequence is taken from the log
        node.state.lock().unwrap().bump_before_broadcast = 2;
        let outcome = chain.execute(&[liquidate("carol")]).unwrap();
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(node.state.lock().unwrap().sequence, 13);
        let broadcasts = node
            .calls()
            .iter()
            .filter(|c| *c == "broadcast_tx_sync")
            .count();
        assert_eq!(broadcasts, 4);
    }

    #[test]
    fn a_failing_simulation_is_not_broadcast() {
        let node = node();
        let mut chain = RpcChain::connect(config(&node), key()).unwrap();
        let sim = chain.simulate(&[liquidate("fail")]).unwrap();
        assert!(sim.error.unwrap().contains("told to fail"));
        let outcome = chain.execute(&[liquidate("fail")]).unwrap();
        assert!(outcome
            .error
            .unwrap()
            .starts_with("simulation failed, not broadcast"));
        assert!(!node.calls().contains(&"broadcast_tx_sync".to_string()));
        assert_eq!(node.state.lock().unwrap().sequence, 5);
        let sim = chain.simulate(&[liquidate("alice")]).unwrap();
        assert_eq!(
            sim,
            SimOutcome {
                gas_used: Some(100_000),
                error: None
            }
        );
    }

    #[test]
    fn transport_errors_are_retried_a_bounded_number_of_times() {
        let node = node();
        let chain = RpcChain::connect(config(&node), key()).unwrap();
        node.state.lock().unwrap().unavailable = 3;
        assert_eq!(chain.block().unwrap().height, 100);
        node.state.lock().unwrap().unavailable = 4;
        let err = chain.block().unwrap_err();
        assert!(
            matches!(&err, ChainError::Transport(t) if t.contains("after 4 attempts")),
            "{err}"
        );
        assert_eq!(node.state.lock().unwrap().unavailable, 0);
    }

    #[test]
    fn a_transaction_not_seen_in_time_is_reported() {
        let node = node();
        let mut cfg = config(&node);
        cfg.inclusion_timeout_secs = 0;
        let mut chain = RpcChain::connect(cfg, key()).unwrap();
        let err = chain.execute(&[liquidate("alice")]).unwrap_err();
        assert!(matches!(err, ChainError::NotIncluded { .. }), "{err}");
    }

    #[test]
    fn deploy_messages_read_the_code_id_and_the_address_from_events() {
        let node = node();
        let mut chain = RpcChain::connect(config(&node), key()).unwrap();
        let (code_id, outcome) = chain.store_code(b"\0asm\x01\0\0\0".to_vec()).unwrap();
        assert!(outcome.is_ok());
        assert_eq!(code_id, 7);
        let sender = chain.sender();
        let (address, _) = chain
            .instantiate(7, "ballast-oracle", br#"{"owner":"x"}"#, Some(&sender))
            .unwrap();
        assert_eq!(address, "wasm1newcontract");
    }
}
