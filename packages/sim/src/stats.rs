//! What a run measures, per system (Ballast and the baseline), and per block.

use std::collections::BTreeMap;

/// Totals for one system over a run. Money in USD (quote units / 10^6).
#[derive(Clone, Debug, Default)]
pub struct SystemStats {
    /// Shortfall recognised: debt that the borrowers' collateral did not pay.
    pub bad_debt_usd: f64,
    /// Debt still under water at the end (collateral worth less than debt), not recognised yet.
    pub latent_bad_debt_usd: f64,
    /// Collateral that liquidations sold, valued at the oracle when sold, and what buyers paid.
    pub collateral_sold_usd: f64,
    pub collateral_paid_usd: f64,
    /// Collateral (smallest units) sold per denom.
    pub collateral_sold_units: BTreeMap<String, u128>,
    /// What went into the pools and what it fetched.
    pub pool_sold_usd_at_oracle: f64,
    pub pool_proceeds_usd: f64,
    /// Lowest oracle price per risk denom (USD per token), and the largest gap between the
    /// pool and the exogenous price (1 − pool / exogenous).
    pub min_price: BTreeMap<String, f64>,
    pub max_impact: f64,
    pub peak_in_auction_usd: f64,
    /// Paid towards losses by the insurance fund and by stakers.
    pub fund_paid_usd: f64,
    pub stake_paid_usd: f64,
    /// Insurance (fund + stake) at the start and the end, at the end's prices.
    pub insurance_start_usd: f64,
    pub insurance_end_usd: f64,
    /// Deficits handed to ADL, written down by ADL, socialised, still pending.
    pub deficit_recorded_usd: f64,
    pub adl_written_usd: f64,
    pub adl_netted_usd: f64,
    pub socialised_usd: f64,
    pub deficit_pending_usd: f64,
    /// ADL written beyond the deficits it was given (must be zero).
    pub adl_overshoot_usd: f64,
    /// Accounts an ADL step left below `adl_min_hf` (must be zero).
    pub adl_below_min_hf: u64,
    /// Losses of suppliers without debt (beyond what in-kind credits made good).
    pub supplier_losses_usd: f64,
    pub liquidations: u64,
    pub lots: u64,
    pub failed_txs: u64,
    /// Liquidations of accounts whose health factor was ≥ 1 at the time (must be zero).
    pub healthy_liquidated: u64,
    pub max_liquidated_hf: f64,
    pub keeper_profit_usd: f64,
    /// Contract calls executed, by message kind.
    pub calls: BTreeMap<String, u64>,
    pub price_updates: u64,
}

impl SystemStats {
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// Average discount to the oracle of what liquidations sold (0.05 = 5%).
    pub fn avg_discount(&self) -> Option<f64> {
        (self.collateral_sold_usd > 0.0)
            .then(|| 1.0 - self.collateral_paid_usd / self.collateral_sold_usd)
    }

    pub fn note_price(&mut self, denom: &str, price: f64) {
        let e = self.min_price.entry(denom.to_string()).or_insert(price);
        if price < *e {
            *e = price;
        }
    }
}

/// One block's figures (a CSV row).
#[derive(Clone, Debug, Default)]
pub struct BlockRow {
    pub block: u64,
    pub seconds: u64,
    pub outage: bool,
    /// Per risk asset: exogenous, Ballast oracle, baseline oracle (USD per token).
    pub exo_price: Vec<f64>,
    pub ballast_price: Vec<f64>,
    pub baseline_price: Vec<f64>,
    pub ballast: SideRow,
    pub baseline: SideRow,
}

/// One system's running figures at the end of a block.
#[derive(Clone, Debug, Default)]
pub struct SideRow {
    pub in_auction_usd: f64,
    pub bad_debt_usd: f64,
    pub deficit_pending_usd: f64,
    pub insurance_usd: f64,
    pub liquidations: u64,
    pub collateral_sold_usd: f64,
    pub adl_written_usd: f64,
    pub socialised_usd: f64,
    pub calls: u64,
}
