//! `ballast-gas`: measures every operation whose artifacts exist and writes docs/GAS.md;
//! `--check` compares with the committed docs/GAS.md instead of writing it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ballast_gas::report::{self, Results};
use ballast_gas::scenarios::{self, Artifacts};

const USAGE: &str = "usage: ballast-gas [--check] [--artifacts DIR] [--out FILE]
  (default)  measure and write the report (docs/GAS.md)
  --check    measure and compare with the committed report; exit 1 on a regression";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ballast-gas: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut check = false;
    let mut artifacts = root.join("artifacts");
    let mut out = root.join("docs/GAS.md");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--artifacts" => artifacts = args.next().map(PathBuf::from).unwrap_or(artifacts),
            "--out" => out = args.next().map(PathBuf::from).unwrap_or(out),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => anyhow::bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    scenarios::must_exist(&artifacts)?;
    let artifacts = Artifacts::new(artifacts)?;
    let results = measure(&artifacts);
    let generated = report::render(&results);
    println!("{generated}");

    let existing = std::fs::read_to_string(&out).ok();
    if check {
        let Some(text) = existing else {
            anyhow::bail!("--check needs a committed {}", out.display());
        };
        let outcome = report::check(&text, &results);
        for n in &outcome.notes {
            println!("gas check note: {n}");
        }
        if outcome.problems.is_empty() {
            println!("gas check passed against {}", out.display());
            return Ok(ExitCode::SUCCESS);
        }
        for p in &outcome.problems {
            eprintln!("gas check FAILED: {p}");
        }
        return Ok(ExitCode::FAILURE);
    }
    std::fs::write(&out, report::document(existing.as_deref(), &results))?;
    println!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn measure(artifacts: &Artifacts) -> Results {
    let mut results = Results::default();
    for s in scenarios::scenarios() {
        let missing = artifacts.missing(s.contracts);
        if !missing.is_empty() {
            let why = format!("skipped: no artifact for {}", missing.join(", "));
            eprintln!("{}: {why}", s.name);
            results.skipped.push((s.name.to_string(), why));
            continue;
        }
        let started = std::time::Instant::now();
        match scenarios::run_scenario(artifacts, &s) {
            Ok(Some(ops)) => {
                eprintln!(
                    "{}: {} operations in {:.1?}",
                    s.name,
                    ops.len(),
                    started.elapsed()
                );
                results.ops.extend(ops);
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("{}: FAILED: {e:#}", s.name);
                results
                    .failed
                    .push((s.name.to_string(), format!("failed: {e:#}")));
            }
        }
    }
    for s in scenarios::scalings() {
        let missing = artifacts.missing(s.contracts);
        if !missing.is_empty() {
            let why = format!("skipped: no artifact for {}", missing.join(", "));
            eprintln!("{}: {why}", s.name);
            results.skipped.push((s.name.to_string(), why));
            continue;
        }
        let started = std::time::Instant::now();
        match scenarios::run_scaling(artifacts, &s) {
            Ok(Some(runs)) => {
                eprintln!("{}: {:.1?}", s.name, started.elapsed());
                results.scalings.push((s.name.to_string(), runs));
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("{}: FAILED: {e:#}", s.name);
                results
                    .failed
                    .push((s.name.to_string(), format!("failed: {e:#}")));
            }
        }
    }
    results
}
