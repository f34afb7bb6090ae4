//! `ballast-keeper`: `run` the keeper against a node, or `deploy` the protocol.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Parser, Subcommand};

use ballast_keeper::config::{read_toml, DeployConfig, RunConfig};
use ballast_keeper::deploy::{deploy, Artifacts};
use ballast_keeper::keeper::Keeper;
use ballast_keeper::metrics::{MetricsServer, MetricsState};
use ballast_keeper::pyth::hermes::HermesFetcher;
use ballast_keeper::pyth::PythUpdater;
use ballast_keeper::rpc::RpcChain;

#[derive(Parser)]
#[command(
    name = "ballast-keeper",
    version,
    about = "Ballast keeper: liquidations, bids, resets, ADL"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs keeper rounds against a node.
    Run {
        #[arg(long)]
        config: PathBuf,
        /// One round, then exit (non-zero when the round could not run).
        #[arg(long)]
        once: bool,
        /// Decide and simulate, never send a transaction.
        #[arg(long)]
        dry_run: bool,
        /// Serve Prometheus metrics here (127.0.0.1:9464 when given without a value).
        #[arg(long, num_args = 0..=1, default_missing_value = "127.0.0.1:9464")]
        metrics_addr: Option<SocketAddr>,
    },
    /// Stores, instantiates and wires the four contracts; writes their addresses.
    Deploy {
        #[arg(long)]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            config,
            once,
            dry_run,
            metrics_addr,
        } => run(config, once, dry_run, metrics_addr),
        Command::Deploy { config } => run_deploy(config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped");
            ExitCode::FAILURE
        }
    }
}

fn run(
    config: PathBuf,
    once: bool,
    dry_run: bool,
    metrics_addr: Option<SocketAddr>,
) -> Result<(), String> {
    let cfg: RunConfig = read_toml(&config)?;
    let mut settings = cfg.keeper.clone();
    settings.dry_run |= dry_run;
    settings.validate()?;
    let market = cfg.contracts.market()?;
    let key = cfg.chain.signing_key()?;
    let mut chain = RpcChain::connect(cfg.chain.clone(), key).map_err(|e| e.to_string())?;
    tracing::info!(keeper = %chain.address(), chain_id = chain.chain_id(), %market, dry_run = settings.dry_run, "connected");

    let mut keeper = Keeper::new(market, settings);
    if let Some(pyth) = &cfg.pyth {
        let api_key = match &pyth.api_key_env {
            Some(var) => Some(std::env::var(var).map_err(|_| format!("{var} is not set"))?),
            None => None,
        };
        let fetcher = HermesFetcher::new(
            &pyth.hermes,
            api_key,
            Duration::from_secs(pyth.timeout_secs),
            cfg.chain.retry.clone(),
        )?;
        let mut updater = PythUpdater::new(pyth.contract.clone(), fetcher)
            .with_refresh_age(pyth.refresh_age_secs);
        for (denom, feed) in &pyth.feeds {
            updater = updater.with_feed(denom.clone(), feed)?;
        }
        keeper = keeper.with_price_updates(Box::new(updater));
    }

    let state = Arc::new(Mutex::new(MetricsState::default()));
    let _server = match metrics_addr {
        Some(addr) => {
            if !addr.ip().is_loopback() {
                tracing::warn!(%addr, "metrics listen beyond loopback");
            }
            let server = MetricsServer::start(addr, state.clone())
                .map_err(|e| format!("metrics on {addr}: {e}"))?;
            tracing::info!(addr = %server.addr, "metrics at /metrics");
            Some(server)
        }
        None => None,
    };

    loop {
        match keeper.round(&mut chain) {
            Ok(report) => {
                let block = report
                    .block
                    .unwrap_or(ballast_keeper::BlockInfo { height: 0, time: 0 });
                for skipped in &report.skipped {
                    tracing::debug!(%skipped, "skipped");
                }
                for error in &report.errors {
                    tracing::warn!(%error, "round error");
                }
                tracing::info!(height = block.height, round = %report.counters, total = %keeper.totals, "round");
                println!("height={} {}", block.height, report.counters);
                if let Ok(mut s) = state.lock() {
                    s.totals = keeper.totals.clone();
                    s.last_height = block.height;
                    s.last_round_time = block.time;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "round failed");
                if once {
                    return Err(e.to_string());
                }
            }
        }
        if once {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(cfg.interval_secs.max(1)));
    }
}

fn run_deploy(config: PathBuf) -> Result<(), String> {
    let cfg: DeployConfig = read_toml(&config)?;
    let artifacts = Artifacts::load(&cfg.deploy.artifacts_dir)?;
    let key = cfg.chain.signing_key()?;
    let mut chain = RpcChain::connect(cfg.chain.clone(), key).map_err(|e| e.to_string())?;
    tracing::info!(deployer = %chain.address(), chain_id = chain.chain_id(), "deploying");
    let deployed = deploy(
        &mut chain,
        &cfg.deploy,
        artifacts,
        Some(cfg.chain.chain_id.clone()),
    )
    .map_err(|e| e.to_string())?;
    deployed.write(&cfg.deploy.output)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&deployed).map_err(|e| e.to_string())?
    );
    tracing::info!(output = %cfg.deploy.output.display(), "deployed");
    Ok(())
}
