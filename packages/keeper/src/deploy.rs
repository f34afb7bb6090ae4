//! `ballast-keeper deploy`: stores the four optimized artifacts, instantiates them in the deploy
//! order of API.md (oracle, market with no auction or backstop, auction, backstop), wires the
//! market with `UpdateConfig { auction, backstop }`, checks the wiring with the market's
//! `Config`, and returns the addresses that `run` reads ([`Deployed`], written as JSON).

use std::path::{Path, PathBuf};

use ballast_types::{auction, backstop, market, oracle};
use cosmwasm_std::{Decimal, Uint128};
use serde::{Deserialize, Serialize};

use crate::chain::{query, Chain, ChainError, ContractMsg, TxOutcome};

/// A chain that can also upload code and instantiate it (the RPC chain; the in-process chain
/// stores Rust contracts, not wasm, and has its own builder in `ballast-testing`).
pub trait Deployer: Chain {
    /// Uploads `wasm`; returns the code id.
    fn store_code(&mut self, wasm: Vec<u8>) -> Result<(u64, TxOutcome), ChainError>;

    /// Instantiates `code_id` with the JSON `msg`; returns the contract's address.
    fn instantiate(
        &mut self,
        code_id: u64,
        label: &str,
        msg: &[u8],
        admin: Option<&str>,
    ) -> Result<(String, TxOutcome), ChainError>;
}

/// The four contracts, in deploy order.
pub const CONTRACTS: [&str; 4] = ["oracle", "market", "auction", "backstop"];

/// The protocol's settings for a deployment (deploy.toml, beside the `[chain]` table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySpec {
    /// Where `ballast_<name>.wasm` are (`scripts/build-wasm.sh` writes `artifacts/`).
    #[serde(default = "default_artifacts")]
    pub artifacts_dir: PathBuf,
    /// Where the addresses go (JSON), for `run`.
    #[serde(default = "default_output")]
    pub output: PathBuf,
    #[serde(default = "default_label_prefix")]
    pub label_prefix: String,
    /// Owner of every contract; the deployer when absent.
    #[serde(default)]
    pub owner: Option<String>,
    /// wasmd admin (may migrate): the deployer when absent, none with `no_admin = true`.
    #[serde(default)]
    pub admin: Option<String>,
    #[serde(default)]
    pub no_admin: bool,
    pub oracle: OracleSpec,
    pub market: MarketSpec,
    pub auction: AuctionSpec,
    pub backstop: BackstopSpec,
}

fn default_artifacts() -> PathBuf {
    PathBuf::from("artifacts")
}
fn default_output() -> PathBuf {
    PathBuf::from("deployed.json")
}
fn default_label_prefix() -> String {
    "ballast".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleSpec {
    pub quote_denom: String,
    pub quote_decimals: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSpec {
    #[serde(default)]
    pub guardian: Option<String>,
    pub target_hf: Decimal,
    pub full_liquidation_hf: Decimal,
    pub ramp_duration: u64,
    pub grace_period: u64,
    pub dust_value: Uint128,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuctionSpec {
    pub params: auction::AuctionParams,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackstopSpec {
    pub params: backstop::BackstopParams,
}

/// What a deployment produced: the file that `run` reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployed {
    pub chain_id: Option<String>,
    pub deployer: String,
    pub code_ids: CodeIds,
    pub oracle: String,
    pub market: String,
    pub auction: String,
    pub backstop: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeIds {
    pub oracle: u64,
    pub market: u64,
    pub auction: u64,
    pub backstop: u64,
}

impl Deployed {
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))
    }
}

/// The four wasm blobs, in [`CONTRACTS`] order.
#[derive(Debug)]
pub struct Artifacts(pub [Vec<u8>; 4]);

impl Artifacts {
    /// Reads `dir/ballast_<name>.wasm` for each contract and checks the wasm magic number.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let mut blobs: [Vec<u8>; 4] = Default::default();
        for (i, name) in CONTRACTS.iter().enumerate() {
            let path = dir.join(format!("ballast_{name}.wasm"));
            let bytes =
                std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            if !bytes.starts_with(b"\0asm") {
                return Err(format!("{} is not a wasm module", path.display()));
            }
            blobs[i] = bytes;
        }
        Ok(Artifacts(blobs))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("{step} failed: {error}")]
    TxFailed { step: String, error: String },
    #[error("{0}")]
    Check(String),
}

fn ok(step: &str, outcome: &TxOutcome) -> Result<(), DeployError> {
    match &outcome.error {
        None => Ok(()),
        Some(error) => Err(DeployError::TxFailed {
            step: step.into(),
            error: error.clone(),
        }),
    }
}

fn json<T: Serialize>(msg: &T) -> Result<Vec<u8>, DeployError> {
    serde_json::to_vec(msg).map_err(|e| DeployError::Chain(ChainError::Encode(e.to_string())))
}

/// Deploys the protocol (see the module docs). `chain_id` is recorded in the output.
pub fn deploy(
    chain: &mut dyn Deployer,
    spec: &DeploySpec,
    artifacts: Artifacts,
    chain_id: Option<String>,
) -> Result<Deployed, DeployError> {
    let deployer = chain.sender();
    let owner = spec.owner.clone().unwrap_or_else(|| deployer.clone());
    let admin = if spec.no_admin {
        None
    } else {
        Some(spec.admin.clone().unwrap_or_else(|| deployer.clone()))
    };
    let label = |name: &str| format!("{}-{name}", spec.label_prefix);

    let mut code_ids = [0u64; 4];
    for (i, wasm) in artifacts.0.into_iter().enumerate() {
        let (code_id, outcome) = chain.store_code(wasm)?;
        ok(&format!("store {}", CONTRACTS[i]), &outcome)?;
        tracing::info!(contract = CONTRACTS[i], code_id, "stored");
        code_ids[i] = code_id;
    }
    let [oracle_code, market_code, auction_code, backstop_code] = code_ids;

    let msg = json(&oracle::InstantiateMsg {
        owner: owner.clone(),
        quote_denom: spec.oracle.quote_denom.clone(),
        quote_decimals: spec.oracle.quote_decimals,
    })?;
    let (oracle_addr, outcome) =
        chain.instantiate(oracle_code, &label("oracle"), &msg, admin.as_deref())?;
    ok("instantiate oracle", &outcome)?;

    let msg = json(&market::InstantiateMsg {
        owner: owner.clone(),
        guardian: spec.market.guardian.clone(),
        oracle: oracle_addr.clone(),
        auction: None,
        backstop: None,
        quote_denom: spec.oracle.quote_denom.clone(),
        target_hf: spec.market.target_hf,
        full_liquidation_hf: spec.market.full_liquidation_hf,
        ramp_duration: spec.market.ramp_duration,
        grace_period: spec.market.grace_period,
        dust_value: spec.market.dust_value,
    })?;
    let (market_addr, outcome) =
        chain.instantiate(market_code, &label("market"), &msg, admin.as_deref())?;
    ok("instantiate market", &outcome)?;

    let msg = json(&auction::InstantiateMsg {
        owner: owner.clone(),
        market: market_addr.clone(),
        params: spec.auction.params.clone(),
    })?;
    let (auction_addr, outcome) =
        chain.instantiate(auction_code, &label("auction"), &msg, admin.as_deref())?;
    ok("instantiate auction", &outcome)?;

    let msg = json(&backstop::InstantiateMsg {
        owner: owner.clone(),
        market: market_addr.clone(),
        oracle: oracle_addr.clone(),
        params: spec.backstop.params.clone(),
    })?;
    let (backstop_addr, outcome) =
        chain.instantiate(backstop_code, &label("backstop"), &msg, admin.as_deref())?;
    ok("instantiate backstop", &outcome)?;

    if owner == deployer {
        let wire = ContractMsg::new(
            &market_addr,
            &market::ExecuteMsg::UpdateConfig {
                guardian: None,
                oracle: None,
                auction: Some(auction_addr.clone()),
                backstop: Some(backstop_addr.clone()),
                target_hf: None,
                full_liquidation_hf: None,
                ramp_duration: None,
                grace_period: None,
                dust_value: None,
            },
            vec![],
        )?;
        let outcome = chain.execute(&[wire])?;
        ok("market UpdateConfig", &outcome)?;
        let config: market::Config = query(chain, &market_addr, &market::QueryMsg::Config {})?;
        if config.auction.as_ref().map(|a| a.as_str()) != Some(auction_addr.as_str())
            || config.backstop.as_ref().map(|a| a.as_str()) != Some(backstop_addr.as_str())
        {
            return Err(DeployError::Check(format!(
                "the market's config does not name the auction and backstop: {config:?}"
            )));
        }
    } else {
        tracing::warn!(
            %owner,
            "the owner is not the deployer: the owner must send the market's UpdateConfig {{ auction, backstop }}"
        );
    }

    Ok(Deployed {
        chain_id,
        deployer,
        code_ids: CodeIds {
            oracle: oracle_code,
            market: market_code,
            auction: auction_code,
            backstop: backstop_code,
        },
        oracle: oracle_addr,
        market: market_addr,
        auction: auction_addr,
        backstop: backstop_addr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{BlockInfo, SimOutcome};
    use ballast_types::auction::Curve;
    use cosmwasm_std::{Addr, Uint128};
    use std::str::FromStr;

    /// Records every call; answers the market's `Config` with what `UpdateConfig` set.
    #[derive(Default)]
    struct Recorder {
        calls: Vec<String>,
        wired: Option<(String, String)>,
        fail_at: Option<&'static str>,
    }

    impl Chain for Recorder {
        fn sender(&self) -> String {
            "deployer".into()
        }
        fn block(&self) -> Result<BlockInfo, ChainError> {
            Ok(BlockInfo { height: 1, time: 1 })
        }
        fn query_smart(&self, contract: &str, _msg: &[u8]) -> Result<Vec<u8>, ChainError> {
            assert_eq!(contract, "contract-2");
            let (auction, backstop) = self.wired.clone().unwrap();
            Ok(serde_json::to_vec(&market::Config {
                owner: Addr::unchecked("deployer"),
                pending_owner: None,
                guardian: None,
                oracle: Addr::unchecked("contract-1"),
                auction: Some(Addr::unchecked(auction)),
                backstop: Some(Addr::unchecked(backstop)),
                quote_denom: "uusd".into(),
                target_hf: Decimal::percent(105),
                full_liquidation_hf: Decimal::percent(95),
                ramp_duration: 1,
                grace_period: 1,
                dust_value: Uint128::one(),
            })
            .unwrap())
        }
        fn balance(&self, _: &str, _: &str) -> Result<Uint128, ChainError> {
            Ok(Uint128::zero())
        }
        fn execute(&mut self, msgs: &[ContractMsg]) -> Result<TxOutcome, ChainError> {
            let v: serde_json::Value = serde_json::from_slice(&msgs[0].msg).unwrap();
            let u = &v["update_config"];
            self.wired = Some((
                u["auction"].as_str().unwrap().into(),
                u["backstop"].as_str().unwrap().into(),
            ));
            self.calls.push(format!(
                "execute {} {}",
                msgs[0].contract,
                msgs[0].msg_text()
            ));
            Ok(TxOutcome::default())
        }
        fn simulate(&mut self, _: &[ContractMsg]) -> Result<SimOutcome, ChainError> {
            Ok(SimOutcome::default())
        }
    }

    impl Deployer for Recorder {
        fn store_code(&mut self, wasm: Vec<u8>) -> Result<(u64, TxOutcome), ChainError> {
            self.calls
                .push(format!("store {}", String::from_utf8_lossy(&wasm[4..])));
            Ok((10 + self.calls.len() as u64, TxOutcome::default()))
        }
        fn instantiate(
            &mut self,
            code_id: u64,
            label: &str,
            msg: &[u8],
            admin: Option<&str>,
        ) -> Result<(String, TxOutcome), ChainError> {
            let n = self.calls.iter().filter(|c| c.starts_with("inst")).count() + 1;
            self.calls.push(format!(
                "instantiate {code_id} {label} {admin:?} {}",
                String::from_utf8_lossy(msg)
            ));
            let error = (self.fail_at == Some(label)).then(|| "boom".to_string());
            Ok((
                format!("contract-{n}"),
                TxOutcome {
                    error,
                    ..Default::default()
                },
            ))
        }
    }

    pub fn spec() -> DeploySpec {
        DeploySpec {
            artifacts_dir: "artifacts".into(),
            output: "deployed.json".into(),
            label_prefix: "ballast".into(),
            owner: None,
            admin: None,
            no_admin: false,
            oracle: OracleSpec {
                quote_denom: "uusd".into(),
                quote_decimals: 6,
            },
            market: MarketSpec {
                guardian: None,
                target_hf: Decimal::from_str("1.05").unwrap(),
                full_liquidation_hf: Decimal::from_str("0.95").unwrap(),
                ramp_duration: 604_800,
                grace_period: 3_600,
                dust_value: Uint128::new(1_000),
            },
            auction: AuctionSpec {
                params: auction::AuctionParams {
                    buf: Decimal::from_str("1.2").unwrap(),
                    curve: Curve::Linear { tau: 3_600 },
                    tail: 7_200,
                    cusp: Decimal::percent(40),
                    max_resets: 3,
                    tip: Uint128::new(100),
                    chip: Decimal::permille(1),
                    max_in_auction: Uint128::new(1_000_000),
                    max_in_auction_per_denom: vec![("uatom".into(), Uint128::new(500_000))],
                },
            },
            backstop: BackstopSpec {
                params: backstop::BackstopParams {
                    stake_denom: "ustake".into(),
                    max_cover_per_event: Decimal::percent(50),
                    stake_cooldown: 86_400,
                    max_drawdown: Decimal::percent(30),
                    drawdown_window: 86_400,
                    adl_buckets: vec![Decimal::percent(50), Decimal::one()],
                    adl_min_hf: Decimal::percent(105),
                },
            },
        }
    }

    fn artifacts() -> Artifacts {
        Artifacts(CONTRACTS.map(|n| [b"\0asm".as_slice(), n.as_bytes()].concat()))
    }

    #[test]
    fn deploys_in_the_api_order_and_wires_the_market() {
        let mut chain = Recorder::default();
        let deployed = deploy(&mut chain, &spec(), artifacts(), Some("c-1".into())).unwrap();
        let calls = &chain.calls;
        assert_eq!(
            &calls[..4],
            &[
                "store oracle",
                "store market",
                "store auction",
                "store backstop"
            ]
        );
        assert!(calls[4].starts_with(r#"instantiate 11 ballast-oracle Some("deployer") {"owner":"deployer","quote_denom":"uusd","quote_decimals":6}"#), "{}", calls[4]);
        assert!(
            calls[5].starts_with("instantiate 12 ballast-market"),
            "{}",
            calls[5]
        );
        assert!(
            calls[5].contains(r#""oracle":"contract-1","auction":null,"backstop":null"#),
            "{}",
            calls[5]
        );
        assert!(calls[6].starts_with("instantiate 13 ballast-auction"));
        assert!(calls[6].contains(r#""market":"contract-2""#));
        assert!(
            calls[6].contains(r#""max_in_auction_per_denom":[["uatom","500000"]]"#),
            "{}",
            calls[6]
        );
        assert!(calls[7].starts_with("instantiate 14 ballast-backstop"));
        assert!(calls[7].contains(r#""market":"contract-2","oracle":"contract-1""#));
        assert!(calls[8].starts_with("execute contract-2 {\"update_config\":"));
        assert!(calls[8].contains(r#""auction":"contract-3","backstop":"contract-4""#));
        assert_eq!(calls.len(), 9);
        assert_eq!(
            deployed,
            Deployed {
                chain_id: Some("c-1".into()),
                deployer: "deployer".into(),
                code_ids: CodeIds {
                    oracle: 11,
                    market: 12,
                    auction: 13,
                    backstop: 14
                },
                oracle: "contract-1".into(),
                market: "contract-2".into(),
                auction: "contract-3".into(),
                backstop: "contract-4".into(),
            }
        );
        // and the file round-trips
        let path =
            std::env::temp_dir().join(format!("ballast-deployed-{}.json", std::process::id()));
        deployed.write(&path).unwrap();
        assert_eq!(Deployed::read(&path).unwrap(), deployed);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_failed_step_stops_the_deployment() {
        let mut chain = Recorder {
            fail_at: Some("ballast-auction"),
            ..Default::default()
        };
        let err = deploy(&mut chain, &spec(), artifacts(), None).unwrap_err();
        assert_eq!(err.to_string(), "instantiate auction failed: boom");
        assert!(!chain.calls.iter().any(|c| c.contains("backstop {")));
        assert!(!chain.calls.iter().any(|c| c.starts_with("execute")));
    }

    #[test]
    fn no_admin_and_another_owner() {
        let mut s = spec();
        s.no_admin = true;
        s.owner = Some("dao".into());
        let mut chain = Recorder::default();
        deploy(&mut chain, &s, artifacts(), None).unwrap();
        assert!(chain.calls[4].contains("None"));
        assert!(chain.calls[4].contains(r#""owner":"dao""#));
        // the deployer cannot wire a market it does not own
        assert!(!chain.calls.iter().any(|c| c.starts_with("execute")));
    }

    #[test]
    fn artifacts_must_be_wasm() {
        let dir = std::env::temp_dir().join(format!("ballast-artifacts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in CONTRACTS {
            std::fs::write(dir.join(format!("ballast_{name}.wasm")), b"\0asm\x01\0\0\0").unwrap();
        }
        assert!(Artifacts::load(&dir).is_ok());
        std::fs::write(dir.join("ballast_market.wasm"), b"nope").unwrap();
        assert!(Artifacts::load(&dir)
            .unwrap_err()
            .contains("not a wasm module"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
