//! The summary table (stdout), the per-block CSV, and number formatting.

use std::fmt::Write;
use std::path::Path;

use crate::gas::GasTable;
use crate::stats::BlockRow;
use crate::RunResult;

/// `1234567.8` → `$1,234,568`; below $100, cents.
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let neg = x < 0.0;
    let a = x.abs();
    let body = if a < 100.0 && a != 0.0 {
        format!("{a:.2}")
    } else {
        thousands(a.round() as u128)
    };
    format!("{}${body}", if neg { "-" } else { "" })
}

pub fn thousands(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", x * 100.0)
    } else {
        "n/a".into()
    }
}

fn gas_cell(calls: u64, estimate: Option<(u64, Vec<String>)>) -> String {
    match estimate {
        None => format!("{} calls / gas n/a", thousands(calls as u128)),
        Some((gas, missing)) if missing.is_empty() => {
            format!(
                "{} calls / {} gas",
                thousands(calls as u128),
                thousands(gas as u128)
            )
        }
        Some((gas, missing)) => format!(
            "{} calls / >= {} gas (no figure: {})",
            thousands(calls as u128),
            thousands(gas as u128),
            missing.join(", ")
        ),
    }
}

/// The side-by-side table of a run.
pub fn summary(r: &RunResult, gas: Option<&GasTable>) -> String {
    let (b, a) = (&r.ballast, &r.baseline);
    let s = &r.scenario;
    let mut rows: Vec<(String, String, String)> = vec![];
    let mut row = |m: &str, x: String, y: String| rows.push((m.to_string(), x, y));
    row(
        "bad debt (shortfall recognised)",
        money(b.bad_debt_usd),
        money(a.bad_debt_usd),
    );
    row(
        "under-water debt left at the end",
        money(b.latent_bad_debt_usd),
        money(a.latent_bad_debt_usd),
    );
    row(
        "collateral sold by liquidations (at oracle)",
        money(b.collateral_sold_usd),
        money(a.collateral_sold_usd),
    );
    row(
        "  average discount to the oracle",
        b.avg_discount().map(pct).unwrap_or("-".into()),
        a.avg_discount().map(pct).unwrap_or("-".into()),
    );
    row(
        "  dumped into the pool / fetched",
        format!(
            "{} / {}",
            money(b.pool_sold_usd_at_oracle),
            money(b.pool_proceeds_usd)
        ),
        format!(
            "{} / {}",
            money(a.pool_sold_usd_at_oracle),
            money(a.pool_proceeds_usd)
        ),
    );
    for risk in &s.risk {
        let label = format!(
            "lowest {} price (start ${:.2}, exogenous low ${:.2})",
            risk.denom.trim_start_matches('u').to_uppercase(),
            risk.start_price,
            r.exo_low.get(&risk.denom).copied().unwrap_or(f64::NAN)
        );
        row(
            &label,
            format!(
                "${:.4}",
                b.min_price.get(&risk.denom).copied().unwrap_or(f64::NAN)
            ),
            format!(
                "${:.4}",
                a.min_price.get(&risk.denom).copied().unwrap_or(f64::NAN)
            ),
        );
    }
    row(
        "  deepest price impact (pool below exogenous)",
        pct(b.max_impact),
        pct(a.max_impact),
    );
    row(
        "peak value in auction",
        money(b.peak_in_auction_usd),
        "$0 (instant)".into(),
    );
    row(
        "insurance used: fund / stakers",
        format!("{} / {}", money(b.fund_paid_usd), money(b.stake_paid_usd)),
        format!("{} (fund + stake, one pool)", money(a.fund_paid_usd)),
    );
    row(
        "insurance value start -> end",
        format!(
            "{} -> {}",
            money(b.insurance_start_usd),
            money(b.insurance_end_usd)
        ),
        format!(
            "{} -> {}",
            money(a.insurance_start_usd),
            money(a.insurance_end_usd)
        ),
    );
    row(
        "deficit handed to ADL / pending at the end",
        format!(
            "{} / {}",
            money(b.deficit_recorded_usd),
            money(b.deficit_pending_usd)
        ),
        "-".into(),
    );
    row(
        "ADL volume (written down; netted loops)",
        format!("{}; {}", money(b.adl_written_usd), money(b.adl_netted_usd)),
        "n/a (no ADL)".into(),
    );
    row(
        "ADL overshoot / accounts left below adl_min_hf",
        format!("{} / {}", money(b.adl_overshoot_usd), b.adl_below_min_hf),
        "n/a".into(),
    );
    row(
        "socialised over all suppliers",
        money(b.socialised_usd),
        money(a.socialised_usd),
    );
    row(
        "losses of suppliers without debt",
        money(b.supplier_losses_usd),
        money(a.supplier_losses_usd),
    );
    row(
        "liquidations (lots)",
        format!("{} ({})", b.liquidations, b.lots),
        format!("{}", a.liquidations),
    );
    row(
        "liquidations of accounts with HF >= 1",
        b.healthy_liquidated.to_string(),
        "0 (by construction)".into(),
    );
    row(
        "keeper / liquidator profit",
        money(b.keeper_profit_usd),
        money(a.keeper_profit_usd),
    );
    let b_gas = gas.map(|g| g.estimate(&b.calls));
    let a_gas = gas.and_then(|g| {
        g.mars_liquidation
            .map(|m| (m * a.liquidations, Vec::<String>::new()))
    });
    row(
        "contract calls / gas estimate",
        gas_cell(b.total_calls(), b_gas),
        gas_cell(a.total_calls(), a_gas),
    );

    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(6).max(6);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(7).max(7);
    let w2 = rows.iter().map(|r| r.2.len()).max().unwrap_or(8).max(8);
    let mut out = String::new();
    writeln!(
        out,
        "| {:w0$} | {:>w1$} | {:>w2$} |",
        "metric", "Ballast", "baseline"
    )
    .unwrap();
    writeln!(
        out,
        "|{}|{}:|{}:|",
        "-".repeat(w0 + 2),
        "-".repeat(w1 + 1),
        "-".repeat(w2 + 1)
    )
    .unwrap();
    for (m, x, y) in rows {
        writeln!(out, "| {m:w0$} | {x:>w1$} | {y:>w2$} |").unwrap();
    }
    out
}

/// `out/<scenario>/blocks.csv`: one row per block, Ballast and baseline side by side.
pub fn write_csv(path: &Path, risk: &[String], rows: &[BlockRow]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let mut header: Vec<String> = vec!["block".into(), "seconds".into(), "outage".into()];
    for d in risk {
        let n = d.trim_start_matches('u');
        header.push(format!("exo_price_{n}"));
        header.push(format!("ballast_price_{n}"));
        header.push(format!("baseline_price_{n}"));
    }
    for side in ["ballast", "baseline"] {
        for col in [
            "in_auction_usd",
            "bad_debt_usd",
            "deficit_pending_usd",
            "insurance_usd",
            "liquidations",
            "collateral_sold_usd",
            "adl_written_usd",
            "socialised_usd",
            "calls",
        ] {
            header.push(format!("{side}_{col}"));
        }
    }
    w.write_record(&header)?;
    for r in rows {
        let mut rec: Vec<String> = vec![
            r.block.to_string(),
            r.seconds.to_string(),
            (r.outage as u8).to_string(),
        ];
        for i in 0..risk.len() {
            rec.push(format!("{:.6}", r.exo_price[i]));
            rec.push(format!("{:.6}", r.ballast_price[i]));
            rec.push(format!("{:.6}", r.baseline_price[i]));
        }
        for side in [&r.ballast, &r.baseline] {
            rec.extend([
                format!("{:.2}", side.in_auction_usd),
                format!("{:.2}", side.bad_debt_usd),
                format!("{:.2}", side.deficit_pending_usd),
                format!("{:.2}", side.insurance_usd),
                side.liquidations.to_string(),
                format!("{:.2}", side.collateral_sold_usd),
                format!("{:.2}", side.adl_written_usd),
                format!("{:.2}", side.socialised_usd),
                side.calls.to_string(),
            ]);
        }
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// A one-line view of where the time went.
pub fn timing_line(r: &RunResult) -> String {
    format!(
        "run time: setup {:.2} s, {} blocks {:.2} s, end checks {:.2} s, total {:.2} s",
        r.timing.setup.as_secs_f64(),
        r.scenario.blocks,
        r.timing.blocks.as_secs_f64(),
        r.timing.finish.as_secs_f64(),
        r.timing.total().as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_percent_formatting() {
        assert_eq!(money(1_234_567.4), "$1,234,567");
        assert_eq!(money(12.345), "$12.35");
        assert_eq!(money(0.0), "$0");
        assert_eq!(money(-2_500.0), "-$2,500");
        assert_eq!(pct(0.0512), "5.12%");
        assert_eq!(thousands(1_000), "1,000");
    }
}
