//! The baseline: the same positions and the same exogenous path, with Ballast's auctions
//! replaced by an instant fixed-bonus close at the oracle price, as Aave and Mars liquidate.
//!
//! A pure-Rust model (no contracts): per account, collateral and debt per denom, valued at the
//! oracle with the same liquidation thresholds. Each block, every account below HF 1 can be
//! liquidated: the liquidator repays `close_factor` of its largest debt (all of it below
//! `full_close_hf`), seizes collateral worth the repayment × (1 + bonus) from its largest
//! collateral, and dumps that collateral at once into a pool of the same kind and depth as
//! Ballast's (the same `amm::Pool` code). Liquidators are rational: with `require_profit` they
//! do not liquidate when the dump would not pay back the repayment. An account left with dust
//! collateral and debt is bad debt: the insurance (fund + stake, the same amount as Ballast's)
//! pays first, and the rest is socialised pro rata over the debt denom's suppliers.
//! Interest is not modelled (it is negligible over these horizons).

use ballast_testing::ATOM;

use crate::amm::Pool;
use crate::ballast::Position;
use crate::config::Scenario;
use crate::population::UNIT;
use crate::stats::{SideRow, SystemStats};

#[derive(Clone, Debug)]
struct Account {
    /// (denom index, units) for collateral-enabled supply.
    collateral: Vec<(usize, f64)>,
    debt: Vec<(usize, f64)>,
}

pub struct BaselineSim {
    scenario: Scenario,
    denoms: Vec<String>,
    /// Liquidation threshold per denom.
    thresholds: Vec<f64>,
    /// USD per token per denom (the oracle's view).
    prices: Vec<f64>,
    /// Which pool, if any, trades each denom.
    pool_of: Vec<Option<usize>>,
    pub pools: Vec<Pool>,
    /// Per risk asset: last published price and when (seconds since the start).
    published: Vec<(f64, u64)>,
    accounts: Vec<Account>,
    /// Accounts with debt.
    indebted: Vec<usize>,
    /// Supply per denom (all suppliers) and of suppliers without debt, in units.
    supply: Vec<f64>,
    supply_no_debt: Vec<f64>,
    insurance_left: f64,
    pub stats: SystemStats,
    max_staleness: u64,
}

impl BaselineSim {
    /// Starts from `start` (Ballast's positions after setup), `pools` as Ballast's start, and
    /// the thresholds and prices Ballast's market used.
    pub fn new(
        scenario: &Scenario,
        start: &[Position],
        pools: &[Pool],
        thresholds: &[(String, f64)],
        start_prices: &[(String, f64)],
        insurance_usd: f64,
    ) -> Self {
        let denoms: Vec<String> = start_prices.iter().map(|(d, _)| d.clone()).collect();
        let index = |d: &str| denoms.iter().position(|x| x == d);
        let mut accounts = vec![];
        let mut supply = vec![0.0; denoms.len()];
        let mut supply_no_debt = vec![0.0; denoms.len()];
        for pos in start {
            let mut a = Account {
                collateral: vec![],
                debt: vec![],
            };
            for (d, amount, collateral) in &pos.supply {
                let Some(i) = index(d) else { continue };
                supply[i] += *amount as f64;
                if pos.debt.is_empty() {
                    supply_no_debt[i] += *amount as f64;
                }
                if *collateral {
                    a.collateral.push((i, *amount as f64));
                }
            }
            for (d, amount) in &pos.debt {
                if let Some(i) = index(d) {
                    a.debt.push((i, *amount as f64));
                }
            }
            accounts.push(a);
        }
        let indebted = accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.debt.is_empty())
            .map(|(i, _)| i)
            .collect();
        let pool_of = denoms
            .iter()
            .map(|d| scenario.risk.iter().position(|r| &r.denom == d))
            .collect();
        let mut stats = SystemStats {
            insurance_start_usd: insurance_usd,
            ..Default::default()
        };
        for r in &scenario.risk {
            stats.note_price(&r.denom, r.start_price);
        }
        BaselineSim {
            scenario: scenario.clone(),
            thresholds: denoms
                .iter()
                .map(|d| {
                    thresholds
                        .iter()
                        .find(|(x, _)| x == d)
                        .map(|(_, t)| *t)
                        .unwrap_or(0.0)
                })
                .collect(),
            prices: start_prices.iter().map(|(_, p)| *p).collect(),
            pool_of,
            pools: pools.to_vec(),
            published: scenario.risk.iter().map(|r| (r.start_price, 0)).collect(),
            denoms,
            accounts,
            indebted,
            supply,
            supply_no_debt,
            insurance_left: insurance_usd,
            stats,
            max_staleness: 60,
        }
    }

    /// The oracle price of risk asset `i` (USD per token).
    pub fn price(&self, i: usize) -> f64 {
        self.published[i].0
    }

    fn usd(&self, denom: usize, units: f64) -> f64 {
        units * self.prices[denom] / UNIT
    }

    fn health(&self, a: &Account) -> (f64, f64, f64) {
        let weighted: f64 = a
            .collateral
            .iter()
            .map(|(d, u)| self.usd(*d, *u) * self.thresholds[*d])
            .sum();
        let collateral: f64 = a.collateral.iter().map(|(d, u)| self.usd(*d, *u)).sum();
        let debt: f64 = a.debt.iter().map(|(d, u)| self.usd(*d, *u)).sum();
        (weighted, collateral, debt)
    }

    /// Block `b` (1-based) on the exogenous series `exo`.
    pub fn step(&mut self, b: u64, exo: &[Vec<f64>]) -> SideRow {
        let dt = self.scenario.block_seconds;
        let t = b * dt;
        let outage = self.scenario.in_outage(t);
        #[allow(clippy::needless_range_loop)]
        for i in 0..self.scenario.risk.len() {
            let r = &self.scenario.risk[i];
            let factor = exo[i][b as usize] / exo[i][b as usize - 1];
            self.pools[i].apply_move(factor);
            if r.recovery_per_block > 0.0 {
                self.pools[i]
                    .recover_towards(r.start_price * exo[i][b as usize], r.recovery_per_block);
            }
            if !(outage && r.denom == ATOM) {
                self.published[i] = (self.pools[i].price(), t);
            }
            let price = self.published[i].0;
            let d = self.denoms.iter().position(|x| *x == r.denom).unwrap();
            self.prices[d] = price;
            let denom = r.denom.clone();
            self.stats.note_price(&denom, price);
            let impact = 1.0 - self.pools[i].price() / (r.start_price * exo[i][b as usize]);
            if impact > self.stats.max_impact {
                self.stats.max_impact = impact;
            }
        }
        let stale: Vec<bool> = self
            .scenario
            .risk
            .iter()
            .zip(&self.published)
            .map(|(r, (_, at))| r.denom == ATOM && t.saturating_sub(*at) > self.max_staleness)
            .collect();
        let indebted = self.indebted.clone();
        for i in indebted {
            self.liquidate(i, &stale);
        }
        self.indebted.retain(|i| !self.accounts[*i].debt.is_empty());
        SideRow {
            in_auction_usd: 0.0,
            bad_debt_usd: self.stats.bad_debt_usd,
            deficit_pending_usd: 0.0,
            insurance_usd: self.insurance_left,
            liquidations: self.stats.liquidations,
            collateral_sold_usd: self.stats.collateral_sold_usd,
            adl_written_usd: 0.0,
            socialised_usd: self.stats.socialised_usd,
            calls: self.stats.liquidations,
        }
    }

    fn is_stale(&self, denom: usize, stale: &[bool]) -> bool {
        self.pool_of[denom].is_some_and(|p| stale[p])
    }

    fn liquidate(&mut self, index: usize, stale: &[bool]) {
        let cfg = self.scenario.baseline.clone();
        let dust = self.scenario.protocol.dust_value_usd;
        for _ in 0..cfg.max_per_account_per_block.max(1) {
            let a = self.accounts[index].clone();
            if a.debt.is_empty() {
                return;
            }
            let (weighted, collateral_value, debt_value) = self.health(&a);
            if debt_value <= 0.0 {
                return;
            }
            let hf = weighted / debt_value;
            if hf >= 1.0 {
                return;
            }
            if collateral_value < dust {
                self.recognise_bad_debt(index);
                return;
            }
            if cfg.halt_on_stale
                && a.collateral
                    .iter()
                    .chain(&a.debt)
                    .any(|(d, _)| self.is_stale(*d, stale))
            {
                return;
            }
            // largest debt and largest collateral by value
            let (dj, (dd, du)) = a
                .debt
                .iter()
                .enumerate()
                .max_by(|x, y| {
                    self.usd(x.1 .0, x.1 .1)
                        .total_cmp(&self.usd(y.1 .0, y.1 .1))
                })
                .map(|(j, v)| (j, *v))
                .unwrap();
            let Some((ci, (cd, cu))) = a
                .collateral
                .iter()
                .enumerate()
                .max_by(|x, y| {
                    self.usd(x.1 .0, x.1 .1)
                        .total_cmp(&self.usd(y.1 .0, y.1 .1))
                })
                .map(|(j, v)| (j, *v))
            else {
                self.recognise_bad_debt(index);
                return;
            };
            let factor = if hf >= cfg.full_close_hf {
                cfg.close_factor
            } else {
                1.0
            };
            let mut repay = du * factor;
            let mut seize = repay * self.prices[dd] * (1.0 + cfg.bonus)
                / self.prices[cd].max(f64::MIN_POSITIVE);
            if seize > cu {
                seize = cu;
                repay = cu * self.prices[cd] / ((1.0 + cfg.bonus) * self.prices[dd]);
            }
            if repay <= 0.0 || seize <= 0.0 {
                return;
            }
            // The liquidator buys the debt denom (if it trades in a pool), repays, and dumps.
            let proceeds = match self.pool_of[cd] {
                Some(p) => self.pools[p].quote_for_base(seize),
                None => seize * self.prices[cd],
            };
            let cost = match self.pool_of[dd] {
                Some(p) => self.pools[p].quote_for_base_out(repay),
                None => repay * self.prices[dd],
            };
            if cfg.require_profit && (proceeds < cost || proceeds.is_nan()) {
                return;
            }
            if let Some(p) = self.pool_of[cd] {
                self.pools[p].sell_base(seize);
                self.stats.pool_sold_usd_at_oracle += self.usd(cd, seize);
                self.stats.pool_proceeds_usd += proceeds / UNIT;
            }
            if let Some(p) = self.pool_of[dd] {
                self.pools[p].buy_base(repay);
            }
            let acc = &mut self.accounts[index];
            acc.collateral[ci].1 -= seize;
            acc.debt[dj].1 -= repay;
            acc.collateral.retain(|(_, u)| *u > 0.5);
            acc.debt.retain(|(_, u)| *u > 0.5);
            self.stats.liquidations += 1;
            self.stats.lots += 1;
            self.stats.max_liquidated_hf = self.stats.max_liquidated_hf.max(hf);
            self.stats.collateral_sold_usd += self.usd(cd, seize);
            self.stats.collateral_paid_usd += self.usd(dd, repay);
            *self
                .stats
                .collateral_sold_units
                .entry(self.denoms[cd].clone())
                .or_default() += seize as u128;
            self.stats.keeper_profit_usd += (proceeds - cost) / UNIT;
            *self.stats.calls.entry("liquidate".into()).or_default() += 1;
            let a = &self.accounts[index];
            let (_, collateral_value, _) = self.health(a);
            if !a.debt.is_empty() && collateral_value < dust {
                self.recognise_bad_debt(index);
                return;
            }
        }
    }

    /// The account's collateral is gone: its debt is a loss. The insurance pays first; the
    /// rest is taken from the debt denom's suppliers pro rata.
    fn recognise_bad_debt(&mut self, index: usize) {
        let debts = std::mem::take(&mut self.accounts[index].debt);
        self.accounts[index].collateral.clear();
        for (d, units) in debts {
            let loss = self.usd(d, units);
            self.stats.bad_debt_usd += loss;
            let paid = loss.min(self.insurance_left);
            self.insurance_left -= paid;
            self.stats.fund_paid_usd += paid;
            let rest = loss - paid;
            if rest > 0.0 {
                self.stats.socialised_usd += rest;
                self.stats.deficit_recorded_usd += rest;
                if self.supply[d] > 0.0 {
                    self.stats.supplier_losses_usd +=
                        rest * self.supply_no_debt[d] / self.supply[d];
                }
            }
        }
    }

    /// End-of-run figures.
    pub fn finish(&mut self) {
        let mut latent = 0.0;
        for a in &self.accounts {
            let (_, collateral, debt) = self.health(a);
            if debt > collateral {
                latent += debt - collateral;
            }
        }
        self.stats.latent_bad_debt_usd = latent;
        self.stats.insurance_end_usd = self.insurance_left;
    }
}
