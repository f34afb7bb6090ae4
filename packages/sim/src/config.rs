//! Scenarios: TOML files under `packages/sim/scenarios/`. Every table and field has a default
//! (see `Default` impls), so a scenario states only what makes it what it is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::path::{Interpolation, PricePath};

/// One scenario: population, price paths, pools, protocol parameters, keepers, baseline.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Fixes the population and any price noise.
    pub seed: u64,
    /// Accounts in the population (keepers, insurers and pools come on top).
    pub accounts: usize,
    pub blocks: u64,
    pub block_seconds: u64,
    /// The risk assets whose price paths drive the scenario (ATOM by default).
    pub risk: Vec<RiskAsset>,
    pub population: Population,
    pub insurance: Insurance,
    pub keepers: Keepers,
    pub protocol: ProtocolParams,
    pub baseline: Baseline,
    /// The Pyth feeds stop updating for a stretch (optional).
    pub outage: Option<Outage>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "unnamed".into(),
            description: String::new(),
            seed: 1,
            accounts: 1_000,
            blocks: 600,
            block_seconds: 6,
            risk: vec![RiskAsset::default()],
            population: Population::default(),
            insurance: Insurance::default(),
            keepers: Keepers::default(),
            protocol: ProtocolParams::default(),
            baseline: Baseline::default(),
            outage: None,
        }
    }
}

/// A risk asset: its exogenous path and the pool its collateral is sold into.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskAsset {
    /// `uatom` (Pyth-priced) or `uosmo` (fixed source, replaced on every move).
    pub denom: String,
    /// USD per whole token at the start.
    pub start_price: f64,
    /// `[seconds, multiple of the start price]` points.
    pub path: Vec<(f64, f64)>,
    pub interpolation: Interpolation,
    /// Daily volatility of noise on top of the path (0: none).
    pub volatility: f64,
    /// Quote side of the pool as a share of this asset's collateral value at the start.
    pub pool_depth_share: f64,
    /// Or an absolute quote-side depth in USD (takes precedence).
    pub pool_depth_usd: Option<f64>,
    pub pool_fee: f64,
    /// Share of the gap to the exogenous price that arbitrage closes each block (0: impact
    /// stays).
    pub recovery_per_block: f64,
    /// Relative weight of this asset as borrowers' collateral.
    pub collateral_weight: f64,
}

impl Default for RiskAsset {
    fn default() -> Self {
        RiskAsset {
            denom: ballast_testing::ATOM.into(),
            start_price: 10.0,
            path: vec![(0.0, 1.0)],
            interpolation: Interpolation::Linear,
            volatility: 0.0,
            pool_depth_share: 0.25,
            pool_depth_usd: None,
            pool_fee: 0.003,
            recovery_per_block: 0.0,
            collateral_weight: 1.0,
        }
    }
}

impl RiskAsset {
    pub fn price_path(&self) -> Result<PricePath, String> {
        PricePath::new(&self.path, self.interpolation)
            .map_err(|e| format!("risk asset {}: {e}", self.denom))
    }
}

/// Who is in the market, as shares of `accounts` (normalised).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Population {
    /// Suppliers without debt.
    pub suppliers: f64,
    /// Of those, the share supplying the quote currency (the rest supply a risk asset).
    pub supplier_quote_share: f64,
    /// Quote suppliers who also borrow a risk asset against it (ADL's usual candidates).
    pub suppliers_with_debt: f64,
    /// Supply and borrow the same asset (half quote, half the first risk asset).
    pub loopers: f64,
    /// Risk-asset collateral, quote debt, at a spread of health factors.
    pub borrowers: f64,
    /// Health factors of borrowers, uniform in `[hf_min, hf_max]`.
    pub hf_min: f64,
    pub hf_max: f64,
    /// Account size in USD (collateral for borrowers, supply for suppliers, equity for
    /// loopers), log-uniform.
    pub size_min_usd: f64,
    pub size_max_usd: f64,
    /// Loopers' supply / equity, uniform.
    pub looper_leverage: (f64, f64),
    /// Suppliers with debt: debt value / collateral value, uniform.
    pub supplier_debt_ltv: (f64, f64),
    /// Quote utilisation the quote suppliers are sized for.
    pub target_utilization: f64,
}

impl Default for Population {
    fn default() -> Self {
        Population {
            suppliers: 0.30,
            supplier_quote_share: 0.8,
            suppliers_with_debt: 0.10,
            loopers: 0.10,
            borrowers: 0.50,
            hf_min: 1.05,
            hf_max: 3.0,
            size_min_usd: 1_000.0,
            size_max_usd: 250_000.0,
            looper_leverage: (2.0, 3.0),
            supplier_debt_ltv: (0.25, 0.5),
            target_utilization: 0.75,
        }
    }
}

/// The insurance fund and its stakers, as shares of the quote debt at the start.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Insurance {
    pub fund_share: f64,
    pub stake_share: f64,
}

impl Default for Insurance {
    fn default() -> Self {
        Insurance {
            fund_share: 0.02,
            stake_share: 0.01,
        }
    }
}

/// Keepers from `ballast-keeper`, each with a quote budget.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Keepers {
    pub count: usize,
    /// Each keeper's quote budget as a share of the total debt value at the start.
    pub budget_share: f64,
    pub bid_margin: f64,
    /// Most a keeper spends on one lot, as a share of its budget (None: no limit).
    pub max_bid_share: Option<f64>,
    pub max_liquidations_per_round: u32,
    pub max_bids_per_round: u32,
    /// Pages of 100 open lots a keeper reads per round, oldest (most decayed) first.
    pub lot_pages: u32,
    /// Share of its collateral inventory a keeper sells into the pool each block.
    pub sell_fraction: f64,
    /// A full `Liquidatable` scan when a price moved this much since the last one...
    pub scan_move: f64,
    /// ...or this many blocks passed; in between, keepers work through the candidates of the
    /// last scan.
    pub scan_every: u64,
}

impl Default for Keepers {
    fn default() -> Self {
        Keepers {
            count: 3,
            budget_share: 0.02,
            bid_margin: 0.02,
            max_bid_share: None,
            max_liquidations_per_round: 25,
            max_bids_per_round: 25,
            lot_pages: 5,
            sell_fraction: 1.0,
            scan_move: 0.005,
            scan_every: 50,
        }
    }
}

/// Protocol parameters the scenario sets (the rest are `ballast-testing`'s defaults).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtocolParams {
    /// Risk assets' parameters (the quote asset keeps the builder's).
    pub max_ltv: f64,
    pub liquidation_threshold: f64,
    pub liquidation_penalty: f64,
    /// max_ltv while the population opens its positions (so health factors near 1 can be
    /// reached); restored to `max_ltv` before the first block.
    pub setup_max_ltv: f64,
    pub target_hf: f64,
    pub full_liquidation_hf: f64,
    pub dust_value_usd: f64,
    pub auction: AuctionSettings,
    pub max_cover_per_event: f64,
    pub adl_min_hf: f64,
}

impl Default for ProtocolParams {
    fn default() -> Self {
        ProtocolParams {
            max_ltv: 0.70,
            liquidation_threshold: 0.80,
            liquidation_penalty: 0.05,
            setup_max_ltv: 0.79,
            target_hf: 1.05,
            full_liquidation_hf: 0.95,
            dust_value_usd: 1.0,
            auction: AuctionSettings::default(),
            max_cover_per_event: 0.5,
            adl_min_hf: 1.05,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuctionSettings {
    pub buf: f64,
    /// `exponential` (`cut` per `step` seconds) or `linear` (to zero over `tau`).
    pub curve: CurveSetting,
    pub cut: f64,
    pub step: u64,
    pub tau: u64,
    pub tail: u64,
    pub cusp: f64,
    pub max_resets: u32,
    pub tip_usd: f64,
    pub chip: f64,
    /// Global in-auction cap as a share of the total debt value at the start.
    pub max_in_auction_share: f64,
    /// Per collateral denom cap, same unit (None: only the global cap).
    pub max_in_auction_per_denom_share: Option<f64>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CurveSetting {
    Exponential,
    Linear,
}

impl Default for AuctionSettings {
    fn default() -> Self {
        AuctionSettings {
            buf: 1.2,
            curve: CurveSetting::Exponential,
            cut: 0.99,
            step: 60,
            tau: 3600,
            tail: 3 * 3600,
            cusp: 0.4,
            max_resets: 3,
            tip_usd: 1.0,
            chip: 0.001,
            max_in_auction_share: 0.25,
            max_in_auction_per_denom_share: None,
        }
    }
}

/// The instant fixed-bonus liquidation that Ballast is compared with (Aave/Mars style).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Baseline {
    /// Share of the debt a liquidation may repay while HF ≥ `full_close_hf`.
    pub close_factor: f64,
    pub full_close_hf: f64,
    pub bonus: f64,
    /// Liquidators act only when selling the seized collateral into the pool repays what they
    /// paid (they are rational).
    pub require_profit: bool,
    /// No liquidation while the oracle is stale (Mars checks Pyth's publish time).
    pub halt_on_stale: bool,
    /// Liquidations per account per block at most (each is a transaction).
    pub max_per_account_per_block: u32,
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline {
            close_factor: 0.5,
            full_close_hf: 0.95,
            bonus: 0.05,
            require_profit: true,
            halt_on_stale: true,
            max_per_account_per_block: 4,
        }
    }
}

/// The Pyth feeds publish nothing from `start` to `end` (seconds since the start); the
/// exogenous price keeps moving underneath.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    pub start: u64,
    pub end: u64,
}

impl Scenario {
    /// Parses a scenario from TOML text.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let scenario: Scenario = toml::from_str(text)?;
        scenario.validate().map_err(anyhow::Error::msg)?;
        Ok(scenario)
    }

    /// `name` is a path to a `.toml` file, or the name of one in `packages/sim/scenarios/`.
    pub fn load(name: &str) -> anyhow::Result<(Self, PathBuf)> {
        let path = resolve(name)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let mut scenario = Self::from_toml(&text)
            .map_err(|e| anyhow::anyhow!("scenario {}: {e}", path.display()))?;
        if scenario.name == "unnamed" {
            scenario.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        Ok((scenario, path))
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.accounts == 0 || self.blocks == 0 || self.block_seconds == 0 {
            return Err("accounts, blocks and block_seconds must be positive".into());
        }
        if self.risk.is_empty() {
            return Err("at least one [[risk]] asset is needed".into());
        }
        let known = [ballast_testing::ATOM, ballast_testing::OSMO];
        for r in &self.risk {
            if !known.contains(&r.denom.as_str()) {
                return Err(format!(
                    "risk denom {} is not one of the protocol's risk assets {known:?}",
                    r.denom
                ));
            }
            if r.start_price <= 0.0 || r.pool_fee < 0.0 || r.pool_fee >= 1.0 {
                return Err(format!("risk asset {}: bad price or fee", r.denom));
            }
            r.price_path()?;
        }
        let mut denoms: Vec<&str> = self.risk.iter().map(|r| r.denom.as_str()).collect();
        denoms.sort();
        denoms.dedup();
        if denoms.len() != self.risk.len() {
            return Err("each risk denom may appear once".into());
        }
        let p = &self.population;
        let shares = [p.suppliers, p.suppliers_with_debt, p.loopers, p.borrowers];
        if shares.iter().any(|s| *s < 0.0) || shares.iter().sum::<f64>() <= 0.0 {
            return Err("population shares must be non-negative and not all zero".into());
        }
        if !(p.hf_min > 0.0 && p.hf_min <= p.hf_max) {
            return Err("need 0 < hf_min <= hf_max".into());
        }
        if !(p.size_min_usd > 0.0 && p.size_min_usd <= p.size_max_usd) {
            return Err("need 0 < size_min_usd <= size_max_usd".into());
        }
        if !(p.target_utilization > 0.0 && p.target_utilization < 1.0) {
            return Err("target_utilization must be in (0, 1)".into());
        }
        let pp = &self.protocol;
        if !(pp.max_ltv <= pp.liquidation_threshold && pp.setup_max_ltv <= pp.liquidation_threshold)
        {
            return Err("max_ltv and setup_max_ltv must not exceed liquidation_threshold".into());
        }
        if self.keepers.count == 0 {
            return Err("at least one keeper is needed".into());
        }
        if !(0.0..1.0).contains(&self.keepers.bid_margin) {
            return Err("bid_margin must be in [0, 1)".into());
        }
        if let Some(o) = &self.outage {
            if o.end <= o.start {
                return Err("outage end must be after its start".into());
            }
        }
        Ok(())
    }

    /// Seconds from the start to the end of the last block.
    pub fn duration(&self) -> u64 {
        self.blocks * self.block_seconds
    }

    /// Whether the Pyth feeds are down at `t` seconds from the start.
    pub fn in_outage(&self, t: u64) -> bool {
        self.outage
            .as_ref()
            .is_some_and(|o| t > o.start && t <= o.end)
    }
}

/// The directory of the bundled scenarios.
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

fn resolve(name: &str) -> anyhow::Result<PathBuf> {
    let direct = PathBuf::from(name);
    if direct.is_file() {
        return Ok(direct);
    }
    let bundled = scenarios_dir().join(format!("{name}.toml"));
    if bundled.is_file() {
        return Ok(bundled);
    }
    let available: Vec<String> = std::fs::read_dir(scenarios_dir())
        .map(|d| {
            let mut names: Vec<String> = d
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let p = e.path();
                    if p.extension()? == "toml" {
                        Some(p.file_stem()?.to_string_lossy().into_owned())
                    } else {
                        None
                    }
                })
                .collect();
            names.sort();
            names
        })
        .unwrap_or_default();
    anyhow::bail!(
        "no scenario {name:?}: not a file, and not one of {}",
        available.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_parses() {
        let dir = scenarios_dir();
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let (s, _) = Scenario::load(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(s.blocks > 0, "{name}");
                n += 1;
            }
        }
        assert!(
            n >= 4,
            "expected the bundled scenarios in {}",
            dir.display()
        );
        for name in ["crash", "flash-crash", "slow-bleed", "oracle-outage"] {
            Scenario::load(name).unwrap();
        }
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        assert!(Scenario::from_toml("acounts = 5").is_err());
        assert!(Scenario::from_toml("[[risk]]\ndenom = \"uusd\"").is_err());
        assert!(Scenario::from_toml("[outage]\nstart = 10\nend = 5").is_err());
        let s =
            Scenario::from_toml("accounts = 5\n[[risk]]\npath = [[0, 1.0], [60, 0.5]]").unwrap();
        assert_eq!(s.accounts, 5);
        assert_eq!(s.risk[0].denom, "uatom");
        assert!(Scenario::load("no-such-scenario").is_err());
    }

    #[test]
    fn outage_window_is_half_open() {
        let s = Scenario {
            outage: Some(Outage {
                start: 60,
                end: 120,
            }),
            ..Default::default()
        };
        assert!(!s.in_outage(60));
        assert!(s.in_outage(66));
        assert!(s.in_outage(120));
        assert!(!s.in_outage(126));
    }
}
