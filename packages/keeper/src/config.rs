//! keeper.toml and deploy.toml (feature `rpc`). Relative paths are relative to the working
//! directory. Examples: `packages/keeper/examples/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::deploy::{DeploySpec, Deployed};
use crate::keeper::KeeperSettings;
use crate::rpc::ChainConfig;

/// keeper.toml.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub chain: ChainConfig,
    pub contracts: ContractsConfig,
    #[serde(default)]
    pub keeper: KeeperSettings,
    #[serde(default)]
    pub pyth: Option<PythConfig>,
    /// Seconds between rounds.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
}

fn default_interval() -> u64 {
    6
}

/// Where the market is: the addresses file that `deploy` wrote, or the address itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractsConfig {
    #[serde(default)]
    pub deployed: Option<PathBuf>,
    #[serde(default)]
    pub market: Option<String>,
}

impl ContractsConfig {
    /// The market's address (the registry of the other contracts).
    pub fn market(&self) -> Result<String, String> {
        match (&self.market, &self.deployed) {
            (Some(market), _) => Ok(market.clone()),
            (None, Some(path)) => Ok(Deployed::read(path)?.market),
            (None, None) => Err("[contracts] needs market or deployed".into()),
        }
    }
}

/// Pyth pull updates (RPC mode).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythConfig {
    /// The Pyth contract's address on this chain.
    pub contract: String,
    /// Hermes base URL.
    pub hermes: String,
    /// Environment variable holding a Hermes API key (sent as a bearer token).
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default = "default_hermes_timeout")]
    pub timeout_secs: u64,
    /// denom → feed id, overriding what the oracle's sources say.
    #[serde(default)]
    pub feeds: BTreeMap<String, String>,
    /// Push a standalone update at the start of a round when a feed on chain is older than this.
    #[serde(default)]
    pub refresh_age_secs: Option<u64>,
}

fn default_hermes_timeout() -> u64 {
    10
}

/// deploy.toml.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployConfig {
    pub chain: ChainConfig,
    pub deploy: DeploySpec,
}

pub fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name)
    }

    #[test]
    fn example_keeper_toml_parses() {
        let cfg: RunConfig = read_toml(&example("keeper.toml")).unwrap();
        cfg.keeper.validate().unwrap();
        assert_eq!(cfg.chain.chain_id, "ballast-local-1");
        assert_eq!(
            cfg.contracts.deployed.as_deref(),
            Some(Path::new("deployed.json"))
        );
        assert!(cfg.pyth.is_some());
        assert_eq!(cfg.keeper.reserve[0].denom, "ustake");
        assert!(cfg.keeper.simulate);
    }

    #[test]
    fn example_deploy_toml_parses() {
        let cfg: DeployConfig = read_toml(&example("deploy.toml")).unwrap();
        cfg.deploy.auction.params.validate().unwrap();
        cfg.deploy.backstop.params.validate().unwrap();
        assert_eq!(cfg.deploy.artifacts_dir, Path::new("artifacts"));
        assert_eq!(cfg.deploy.auction.params.max_in_auction_per_denom.len(), 1);
    }

    #[test]
    fn contracts_need_an_address() {
        let c = ContractsConfig {
            deployed: None,
            market: None,
        };
        assert!(c.market().is_err());
        let c = ContractsConfig {
            deployed: None,
            market: Some("wasm1market".into()),
        };
        assert_eq!(c.market().unwrap(), "wasm1market");
    }
}
