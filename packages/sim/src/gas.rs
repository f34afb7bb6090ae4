//! Gas estimates. cw-multi-test meters no gas, so the simulator counts contract calls and
//! prices them with the per-operation figures that the gas harness (`packages/gas`) writes to
//! `docs/GAS.md`: its `## Operations` table (operation | ... | total | total if pinned) and its
//! Mars comparison table (for the baseline's liquidations). Without the file, or without a
//! figure for an operation, the estimate is "n/a".

use std::collections::BTreeMap;
use std::path::Path;

/// Per-operation gas figures read from GAS.md.
#[derive(Clone, Debug, Default)]
pub struct GasTable {
    /// operation name → total gas.
    pub ops: Vec<(String, u64)>,
    /// Mars's figure for a liquidation with Pyth prices (or fixed prices), if listed.
    pub mars_liquidation: Option<u64>,
}

fn number(cell: &str) -> Option<u64> {
    let digits: String = cell.chars().filter(|c| c.is_ascii_digit()).collect();
    (!digits.is_empty() && !cell.contains(':'))
        .then(|| digits.parse().ok())
        .flatten()
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

impl GasTable {
    pub fn parse(text: &str) -> Self {
        let mut table = GasTable::default();
        let mut section = "";
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                section = if h.starts_with("Operations") {
                    "ops"
                } else if h.contains("Mars") {
                    "mars"
                } else {
                    ""
                };
                continue;
            }
            if !line.trim_start().starts_with('|') || line.contains("---") {
                continue;
            }
            let c = cells(line);
            match section {
                // | operation | instances | ... | total | total if pinned |
                "ops" if c.len() >= 3 && c[0] != "operation" => {
                    if let Some(total) = number(&c[c.len() - 2]) {
                        table.ops.push((c[0].clone(), total));
                    }
                }
                // | operation | Mars | Ballast | Ballast / Mars |
                "mars" if c.len() >= 2 && c[0] != "operation" => {
                    let label = c[0].to_lowercase();
                    if label.starts_with("liquidate") {
                        if let Some(mars) = number(&c[1]) {
                            if label.contains("pyth") || table.mars_liquidation.is_none() {
                                table.mars_liquidation = Some(mars);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        table
    }

    pub fn load(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        let table = Self::parse(&text);
        (!table.ops.is_empty() || table.mars_liquidation.is_some()).then_some(table)
    }

    /// The figure for a keeper message kind: the first operation whose name mentions the
    /// message (Pyth-priced variants first, as the risk assets here are Pyth-priced).
    pub fn figure(&self, kind: &str) -> Option<u64> {
        let needles: &[&str] = match kind {
            "liquidate" => &["liquidate"],
            "bid" => &["bid, whole lot", "bid"],
            "reset" => &["reset"],
            "adl_step" => &["adlstep", "adl step"],
            "poke" => &["poke"],
            _ => return None,
        };
        for needle in needles {
            let matches: Vec<&(String, u64)> = self
                .ops
                .iter()
                .filter(|(name, _)| name.to_lowercase().contains(needle))
                .collect();
            if let Some((_, g)) = matches
                .iter()
                .find(|(name, _)| name.to_lowercase().contains("pyth"))
                .or(matches.first())
            {
                return Some(*g);
            }
        }
        None
    }

    /// Σ calls × figure, and the kinds without a figure.
    pub fn estimate(&self, calls: &BTreeMap<String, u64>) -> (u64, Vec<String>) {
        let mut total = 0;
        let mut missing = vec![];
        for (kind, n) in calls.iter().filter(|(_, n)| **n > 0) {
            match self.figure(kind) {
                Some(g) => total += g * n,
                None => missing.push(kind.clone()),
            }
        }
        (total, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Gas\n\nintro\n\n## Operations\n\n\
| operation | instances | instance gas | VM | KV reads | KV writes | iterator | events | total | total if pinned |\n\
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n\
| liquidation: Liquidate (fixed prices) | 3 | 180,000 | 1,000 | 10: 10,000 | 5: 50,000 | – | 9: 900 | 400,000 | 250,000 |\n\
| liquidation: Liquidate (Pyth prices) | 4 | 240,000 | 1,000 | 10: 10,000 | 5: 50,000 | – | 9: 900 | 450,000 | 260,000 |\n\
| liquidation: Bid, whole lot (Pyth prices) | 3 | 180,000 | 1,000 | 10: 10,000 | 5: 50,000 | – | 9: 900 | 300,000 | 200,000 |\n\
\n## Against Mars red-bank (WASM.md)\n\n\
| operation | Mars | Ballast | Ballast / Mars |\n|---|---:|---:|---:|\n\
| liquidate (Ballast: Liquidate + Bid) | 1,084,600 | 700,000 | 65% |\n\
| liquidate, Pyth (Ballast: Liquidate + Bid) | 1,212,300 | 750,000 | 62% |\n";

    #[test]
    fn reads_operation_totals_and_the_mars_liquidation() {
        let t = GasTable::parse(SAMPLE);
        assert_eq!(t.ops.len(), 3);
        assert_eq!(t.figure("liquidate"), Some(450_000));
        assert_eq!(t.figure("bid"), Some(300_000));
        assert_eq!(t.figure("reset"), None);
        assert_eq!(t.mars_liquidation, Some(1_212_300));
        let calls: BTreeMap<String, u64> = [
            ("liquidate".into(), 2),
            ("bid".into(), 3),
            ("reset".into(), 1),
        ]
        .into();
        assert_eq!(t.estimate(&calls), (1_800_000, vec!["reset".to_string()]));
        assert!(GasTable::parse("# nothing here").ops.is_empty());
    }
}
