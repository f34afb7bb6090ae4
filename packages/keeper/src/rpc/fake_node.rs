//! A fake CometBFT 0.38 node on 127.0.0.1 for the RPC chain's tests: JSON-RPC over HTTP/1.1,
//! one request per connection, answering `status`, `abci_query` (auth, bank, wasm smart query,
//! tx simulate), `broadcast_tx_sync` and `tx` from a small in-memory state. It checks signatures'
//! sequences as the SDK's ante handler does, so sequence handling is exercised for real.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::base::abci::v1beta1::GasInfo;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::traits::Message;
use cosmrs::tx::Msg;
use cosmrs::Tx;
use cosmwasm_std::Binary;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CHAIN_ID: &str = "ballast-test-1";
pub const ACCOUNT_NUMBER: u64 = 42;

#[derive(Default)]
pub struct NodeState {
    /// The account's sequence on chain.
    pub sequence: u64,
    /// Added to the sequence when the next broadcast arrives (another signer got in first).
    pub bump_before_broadcast: u64,
    pub balance: u128,
    /// Transactions accepted, by upper-hex hash, with the `tx` polls still to answer "not found".
    pub mempool: BTreeMap<String, (Vec<u8>, u32)>,
    /// Every JSON-RPC method called, in order.
    pub calls: Vec<String>,
    /// Refuse the next N requests with HTTP 503 (a node restarting).
    pub unavailable: u32,
}

pub struct FakeNode {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<NodeState>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl FakeNode {
    pub fn start(state: NodeState) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(state));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, flag) = (state.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &s),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeNode {
            addr,
            state,
            stop,
            handle: Some(handle),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<NodeState>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut data = vec![];
    let mut buf = [0u8; 4096];
    let (head_end, length) = loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        data.extend_from_slice(&buf[..n]);
        if let Some(pos) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..pos]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (pos + 4, length);
        }
    };
    while data.len() < head_end + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let unavailable = {
        let mut s = state.lock().unwrap();
        if s.unavailable > 0 {
            s.unavailable -= 1;
            true
        } else {
            false
        }
    };
    let (status, body) = if unavailable {
        ("503 Service Unavailable", "restarting".to_string())
    } else {
        let request: Value = serde_json::from_slice(&data[head_end..]).unwrap();
        let answer = handle(&request, &mut state.lock().unwrap());
        ("200 OK", answer.to_string())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

fn b64(bytes: &[u8]) -> String {
    Binary::from(bytes.to_vec()).to_base64()
}

fn abci_ok(value: Vec<u8>) -> Value {
    json!({"response": {"code": 0, "codespace": "", "height": "100", "index": "0", "info": "",
        "key": null, "log": "", "proofOps": null, "value": b64(&value)}})
}

fn abci_err(code: u32, log: &str) -> Value {
    json!({"response": {"code": code, "codespace": "sdk", "height": "100", "index": "0", "info": "",
        "key": null, "log": log, "proofOps": null, "value": null}})
}

/// The ante handler's sequence check; `Err` carries the SDK's log.
fn check_sequence(tx_bytes: &[u8], expected: u64) -> Result<Tx, String> {
    let tx = Tx::from_bytes(tx_bytes).map_err(|e| e.to_string())?;
    let got = tx.auth_info.signer_infos[0].sequence;
    if got != expected {
        return Err(format!(
            "account sequence mismatch, expected {expected}, got {got}: incorrect account sequence"
        ));
    }
    Ok(tx)
}

fn wants_failure(tx: &Tx) -> bool {
    tx.body.messages.iter().any(|m| {
        cosmrs::cosmwasm::MsgExecuteContract::from_any(m)
            .map(|e| String::from_utf8_lossy(&e.msg).contains("fail"))
            .unwrap_or(false)
    })
}

fn handle(request: &Value, s: &mut NodeState) -> Value {
    let id = request["id"].clone();
    let method = request["method"].as_str().unwrap().to_string();
    let params = &request["params"];
    s.calls.push(method.clone());
    let result = match method.as_str() {
        "status" => json!({
            "node_info": {"channels": "40202122233038606100", "id": "cf4a66aa29e5123abfdfbdf485da6788bb8e46d1",
                "listen_addr": "tcp://0.0.0.0:26656", "moniker": "fake", "network": CHAIN_ID,
                "other": {"rpc_address": "tcp://0.0.0.0:26657", "tx_index": "on"},
                "protocol_version": {"app": "1", "block": "11", "p2p": "8"}, "version": "0.38.12"},
            "sync_info": {"catching_up": false, "earliest_app_hash": "00", "earliest_block_hash":
                "6CD5CF4E23A49D9BC073D6F305D29D1B8B5193B534C237696D42FEA5AFBCD520",
                "earliest_block_height": "1", "earliest_block_time": "2023-11-14T22:00:00Z",
                "latest_app_hash": "06", "latest_block_hash":
                "B647CF507155BADAC86FADD00E38B065C63A84953A847AA9FA99DB1CEE6C4DA9",
                "latest_block_height": "100", "latest_block_time": "2023-11-14T22:13:20Z"},
            "validator_info": {"address": "2DD9F44FD9067555C322243C3C913BA7B51D2BE0", "pub_key":
                {"type": "tendermint/PubKeyEd25519", "value": "bNNlGls5R25wC3Sd8720F/3+7IZBhXcD22MNFtPk/v0="},
                "voting_power": "10"}
        }),
        "abci_query" => {
            let path = params["path"].as_str().unwrap();
            let data = hex::decode(params["data"].as_str().unwrap()).unwrap();
            s.calls.push(path.to_string());
            match path {
                "/cosmos.auth.v1beta1.Query/Account" => {
                    let req = QueryAccountRequest::decode(data.as_slice()).unwrap();
                    let account = BaseAccount {
                        address: req.address,
                        pub_key: None,
                        account_number: ACCOUNT_NUMBER,
                        sequence: s.sequence,
                    };
                    abci_ok(
                        QueryAccountResponse {
                            account: Some(cosmrs::Any {
                                type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                                value: account.encode_to_vec(),
                            }),
                        }
                        .encode_to_vec(),
                    )
                }
                "/cosmos.bank.v1beta1.Query/Balance" => {
                    let req = QueryBalanceRequest::decode(data.as_slice()).unwrap();
                    abci_ok(
                        QueryBalanceResponse {
                            balance: Some(ProtoCoin {
                                denom: req.denom,
                                amount: s.balance.to_string(),
                            }),
                        }
                        .encode_to_vec(),
                    )
                }
                "/cosmwasm.wasm.v1.Query/SmartContractState" => {
                    let req = QuerySmartContractStateRequest::decode(data.as_slice()).unwrap();
                    if req.address.starts_with("wasm1bad") {
                        abci_err(
                            9,
                            "Error parsing into type ballast_types::market::QueryMsg: unknown variant",
                        )
                    } else {
                        let echo = json!({"contract": req.address,
                            "query": serde_json::from_slice::<Value>(&req.query_data).unwrap()});
                        abci_ok(
                            QuerySmartContractStateResponse {
                                data: serde_json::to_vec(&echo).unwrap(),
                            }
                            .encode_to_vec(),
                        )
                    }
                }
                "/cosmos.tx.v1beta1.Service/Simulate" => {
                    let req = SimulateRequest::decode(data.as_slice()).unwrap();
                    match check_sequence(&req.tx_bytes, s.sequence) {
                        Err(log) => abci_err(32, &log),
                        Ok(tx) if wants_failure(&tx) => abci_err(
                            5,
                            "failed to execute message; message index: 0: told to fail: execute wasm contract failed",
                        ),
                        Ok(_) => abci_ok(
                            SimulateResponse {
                                gas_info: Some(GasInfo {
                                    gas_wanted: 0,
                                    gas_used: 100_000,
                                }),
                                result: None,
                            }
                            .encode_to_vec(),
                        ),
                    }
                }
                other => abci_err(6, &format!("unknown path {other}")),
            }
        }
        "broadcast_tx_sync" => {
            let tx_bytes = Binary::from_base64(params["tx"].as_str().unwrap())
                .unwrap()
                .to_vec();
            s.sequence += std::mem::take(&mut s.bump_before_broadcast);
            let hash = hex::encode_upper(Sha256::digest(&tx_bytes));
            match check_sequence(&tx_bytes, s.sequence) {
                Err(log) => {
                    json!({"code": 32, "codespace": "sdk", "data": "", "hash": hash, "log": log})
                }
                Ok(_) => {
                    s.sequence += 1;
                    s.mempool.insert(hash.clone(), (tx_bytes, 1));
                    json!({"code": 0, "codespace": "", "data": "", "hash": hash, "log": ""})
                }
            }
        }
        "tx" => {
            let raw = params["hash"].as_str().unwrap();
            let hash = hex::encode_upper(Binary::from_base64(raw).unwrap().as_slice());
            match s.mempool.get_mut(&hash) {
                Some((_, polls)) if *polls > 0 => {
                    *polls -= 1;
                    return json!({"jsonrpc": "2.0", "id": id, "error":
                        {"code": -32603, "message": "Internal error", "data": format!("tx ({hash}) not found")}});
                }
                Some((tx_bytes, _)) => {
                    let tx = Tx::from_bytes(tx_bytes).unwrap();
                    let failed = wants_failure(&tx);
                    json!({"hash": hash, "height": "101", "index": 0, "tx": b64(tx_bytes),
                    "tx_result": {"code": if failed { 5 } else { 0 }, "codespace": "", "data": null,
                        "gas_used": "123456", "gas_wanted": "140000", "info": "",
                        "log": if failed { "told to fail" } else { "" },
                        "events": [
                            {"type": "store_code", "attributes": [{"key": "code_id", "value": "7", "index": true}]},
                            {"type": "instantiate", "attributes": [{"key": "_contract_address", "value": "wasm1newcontract", "index": true}]},
                            {"type": "wasm", "attributes": [{"key": "action", "value": "liquidate", "index": true}]}
                        ]}})
                }
                None => {
                    return json!({"jsonrpc": "2.0", "id": id, "error":
                        {"code": -32603, "message": "Internal error", "data": format!("tx ({hash}) not found")}})
                }
            }
        }
        other => panic!("fake node: unexpected method {other}"),
    };
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}
