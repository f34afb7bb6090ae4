//! Ballast's spiral simulator.
//!
//! [`run`] deploys the real contracts in the in-process chain (`ballast-testing`), opens a
//! population of accounts, and runs a scenario block by block: an exogenous price path per risk
//! asset, plus the price impact of what keepers (`ballast-keeper`) buy from auctions and sell
//! into a constant-product pool ([`amm::Pool`]). The oracle price of each block is the pool's
//! price after the exogenous move. The same population and exogenous path run through the
//! baseline ([`baseline`]): an instant fixed-bonus liquidation at the oracle price whose
//! liquidators dump into the same kind of pool. Reports compare the two side by side.
//!
//! Scenarios are TOML files in `packages/sim/scenarios/` ([`config::Scenario`]).

pub mod amm;
pub mod ballast;
pub mod baseline;
pub mod chain;
pub mod chart;
pub mod config;
pub mod gas;
pub mod invariants;
pub mod path;
pub mod population;
pub mod report;
pub mod rng;
pub mod stats;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::ballast::BallastSim;
use crate::baseline::BaselineSim;
use crate::config::Scenario;
use crate::invariants::Check;
use crate::rng::Rng;
use crate::stats::{BlockRow, SystemStats};

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Show a progress bar (on stderr).
    pub progress: bool,
    /// Run the end-of-run invariants.
    pub check: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            progress: false,
            check: true,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Timing {
    pub setup: Duration,
    pub blocks: Duration,
    pub finish: Duration,
}

impl Timing {
    pub fn total(&self) -> Duration {
        self.setup + self.blocks + self.finish
    }
}

/// Everything a run produced.
pub struct RunResult {
    pub scenario: Scenario,
    pub ballast: SystemStats,
    pub baseline: SystemStats,
    pub rows: Vec<BlockRow>,
    pub timing: Timing,
    pub checks: Vec<Check>,
    /// Lowest exogenous price per risk denom (USD per token).
    pub exo_low: BTreeMap<String, f64>,
    /// The Ballast side, chain included (for tests to look further).
    pub sim: BallastSim,
    pub notes: Vec<String>,
}

impl RunResult {
    pub fn checks_ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok || c.known_issue.is_some())
    }
}

/// A coin's amount as u128 (bank amounts here always fit).
pub fn amt(c: &cosmwasm_std::Coin) -> u128 {
    ballast_types::funds::amount_u128(c)
        .map(|a| a.u128())
        .unwrap_or(u128::MAX)
}

/// The exogenous multiple series of every risk asset (index 0 = the start).
pub fn exogenous(s: &Scenario) -> anyhow::Result<Vec<Vec<f64>>> {
    let mut rng = Rng::new(s.seed ^ 0xE10_6E0);
    s.risk
        .iter()
        .map(|r| {
            let path = r.price_path().map_err(anyhow::Error::msg)?;
            Ok(path.series(s.blocks, s.block_seconds, r.volatility, &mut rng))
        })
        .collect()
}

/// Runs `scenario`: Ballast on the chain and the baseline model, block by block.
pub fn run(scenario: &Scenario, options: &Options) -> anyhow::Result<RunResult> {
    scenario.validate().map_err(anyhow::Error::msg)?;
    let t0 = Instant::now();
    let specs = population::generate(scenario);
    let exo = exogenous(scenario)?;
    let mut sim = BallastSim::setup(scenario, &specs)?;
    let thresholds: Vec<(String, f64)> = sim
        .start_prices
        .iter()
        .map(|(d, _)| {
            let lt = ballast::to_f64(&sim.p.asset(d).liquidation_threshold);
            (d.clone(), lt)
        })
        .collect();
    let mut base = BaselineSim::new(
        scenario,
        &sim.start,
        &sim.pools,
        &thresholds,
        &sim.start_prices,
        sim.stats.insurance_start_usd,
    );
    let setup = t0.elapsed();

    let bar = if options.progress {
        let bar = ProgressBar::new(scenario.blocks);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} blocks {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let t1 = Instant::now();
    let mut rows = Vec::with_capacity(scenario.blocks as usize);
    for b in 1..=scenario.blocks {
        let ballast_row = sim.step(b, &exo)?;
        let baseline_row = base.step(b, &exo);
        let row = BlockRow {
            block: b,
            seconds: b * scenario.block_seconds,
            outage: scenario.in_outage(b * scenario.block_seconds),
            exo_price: scenario
                .risk
                .iter()
                .zip(&exo)
                .map(|(r, e)| r.start_price * e[b as usize])
                .collect(),
            ballast_price: sim.oracle.iter().map(|(p, _)| *p).collect(),
            baseline_price: (0..scenario.risk.len()).map(|i| base.price(i)).collect(),
            ballast: ballast_row,
            baseline: baseline_row,
        };
        if b % 10 == 0 || b == scenario.blocks {
            bar.set_message(format!(
                "price ${:.2} | liquidations {} vs {} | bad debt {} vs {}",
                row.ballast_price.first().copied().unwrap_or(0.0),
                row.ballast.liquidations,
                row.baseline.liquidations,
                report::money(row.ballast.bad_debt_usd),
                report::money(row.baseline.bad_debt_usd),
            ));
        }
        rows.push(row);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let blocks = t1.elapsed();

    let t2 = Instant::now();
    sim.finish()?;
    base.finish();
    let checks = if options.check {
        invariants::run(&sim)
    } else {
        vec![]
    };
    let finish = t2.elapsed();

    let mut exo_low = BTreeMap::new();
    for (r, e) in scenario.risk.iter().zip(&exo) {
        let low = e.iter().copied().fold(f64::MAX, f64::min) * r.start_price;
        exo_low.insert(r.denom.clone(), low);
    }
    let mut notes = vec![];
    if !sim.setup_failures.is_empty() {
        notes.push(format!(
            "{} setup calls failed, first: {}",
            sim.setup_failures.len(),
            sim.setup_failures[0]
        ));
    }
    let (scans, pages, gated) = sim.scan_counts();
    notes.push(format!(
        "Liquidatable: {scans} scans ({pages} pages) run, {gated} pages skipped by the scan gate; {} repeated queries answered from the per-state cache",
        sim.cache_hits()
    ));
    for (what, n) in &sim.evidence.failures {
        notes.push(format!("failed tx x{n}: {what}"));
    }
    if std::env::var_os("BALLAST_SIM_PROFILE").is_some() {
        for (what, n, secs) in sim.timings().into_iter().take(25) {
            notes.push(format!("profile: {what}: {n} x, {secs:.3} s"));
        }
    }
    for (what, n) in &sim.evidence.phase_errors {
        notes.push(format!("keeper phase cut short x{n}: {what}"));
    }
    Ok(RunResult {
        scenario: scenario.clone(),
        ballast: sim.stats.clone(),
        baseline: base.stats.clone(),
        rows,
        timing: Timing {
            setup,
            blocks,
            finish,
        },
        checks,
        exo_low,
        sim,
        notes,
    })
}

/// Writes `blocks.csv`, `chart.svg` and `summary.md` into `dir`.
pub fn write_outputs(r: &RunResult, dir: &Path, summary_text: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let risk: Vec<String> = r.scenario.risk.iter().map(|x| x.denom.clone()).collect();
    report::write_csv(&dir.join("blocks.csv"), &risk, &r.rows)?;
    let label = risk
        .first()
        .map(|d| d.trim_start_matches('u').to_uppercase())
        .unwrap_or_default();
    chart::draw(
        &dir.join("chart.svg"),
        &format!(
            "{}: Ballast (blue) vs instant fixed-bonus baseline (red)",
            r.scenario.name
        ),
        &label,
        &r.rows,
    )?;
    std::fs::write(dir.join("summary.md"), summary_text)?;
    Ok(())
}
