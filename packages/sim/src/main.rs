//! `ballast-sim <scenario>`: runs a scenario (a name in packages/sim/scenarios/ or a path),
//! prints the Ballast-vs-baseline table, writes out/<scenario>/{blocks.csv,chart.svg}.

use std::io::IsTerminal;
use std::path::PathBuf;

use ballast_sim::config::{repo_root, Scenario};
use ballast_sim::gas::GasTable;
use ballast_sim::{report, run, write_outputs, Options};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "ballast-sim",
    about = "Runs a deleveraging-spiral scenario against Ballast's contracts and an instant fixed-bonus baseline"
)]
struct Cli {
    /// Scenario name (packages/sim/scenarios/<name>.toml) or a path to a TOML file.
    scenario: String,
    /// Override the number of accounts.
    #[arg(long)]
    accounts: Option<usize>,
    /// Override the number of blocks.
    #[arg(long)]
    blocks: Option<u64>,
    /// Override the seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory (default: <repo>/out/<scenario>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Skip the end-of-run invariants.
    #[arg(long)]
    no_check: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (mut scenario, path) = Scenario::load(&cli.scenario)?;
    if let Some(n) = cli.accounts {
        scenario.accounts = n;
    }
    if let Some(n) = cli.blocks {
        scenario.blocks = n;
    }
    if let Some(n) = cli.seed {
        scenario.seed = n;
    }
    eprintln!(
        "scenario {} ({}): {} accounts, {} blocks of {} s",
        scenario.name,
        path.display(),
        scenario.accounts,
        scenario.blocks,
        scenario.block_seconds
    );
    let options = Options {
        progress: !cli.quiet && std::io::stderr().is_terminal(),
        check: !cli.no_check,
    };
    let result = run(&scenario, &options)?;
    let gas_path = repo_root().join("docs/GAS.md");
    let gas = GasTable::load(&gas_path);
    let table = report::summary(&result, gas.as_ref());
    let mut text = String::new();
    text.push_str(&format!(
        "scenario {}: {}\n{} accounts, {} blocks of {} s ({} s simulated), seed {}\n\n",
        scenario.name,
        scenario.description,
        scenario.accounts,
        scenario.blocks,
        scenario.block_seconds,
        scenario.duration(),
        scenario.seed
    ));
    text.push_str(&table);
    text.push('\n');
    text.push_str(&report::timing_line(&result));
    text.push('\n');
    if gas.is_none() {
        text.push_str(&format!(
            "gas: {} not found or without figures; calls counted only\n",
            gas_path.display()
        ));
    }
    for note in &result.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    if !result.checks.is_empty() {
        text.push_str("\ninvariants:\n");
        for c in &result.checks {
            let status = match (c.ok, c.known_issue) {
                (true, _) => "ok".to_string(),
                (false, Some(issue)) => format!("KNOWN BUG: {issue}"),
                (false, None) => "FAIL".to_string(),
            };
            text.push_str(&format!("  [{status}] {}: {}\n", c.name, c.detail));
        }
    }
    print!("{text}");
    let dir = cli
        .out
        .unwrap_or_else(|| repo_root().join("out").join(&scenario.name));
    write_outputs(&result, &dir, &text)?;
    println!("wrote {}/blocks.csv, chart.svg, summary.md", dir.display());
    if !result.checks_ok() {
        anyhow::bail!("invariants failed");
    }
    Ok(())
}
