//! The population: who supplies and borrows what, drawn from the scenario's seed. Ballast opens
//! these positions on chain; the baseline starts from the positions as the chain then reports
//! them, so both begin from exactly the same books.

use ballast_testing::QUOTE;

use crate::config::Scenario;
use crate::rng::Rng;

/// Smallest units per whole token (every denom here has 6 decimals).
pub const UNIT: f64 = 1_000_000.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Supplies, never borrows.
    Supplier,
    /// Supplies the quote currency and borrows a risk asset against it.
    SupplierWithDebt,
    /// Supplies and borrows the same asset.
    Looper,
    /// Risk-asset collateral, quote debt.
    Borrower,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Supplier => "supplier",
            Kind::SupplierWithDebt => "supplier_with_debt",
            Kind::Looper => "looper",
            Kind::Borrower => "borrower",
        }
    }
}

/// One account to open: deposits first, then borrows, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub name: String,
    pub kind: Kind,
    pub deposits: Vec<(String, u128)>,
    pub borrows: Vec<(String, u128)>,
    /// The health factor a borrower aims for at the start prices.
    pub target_hf: Option<f64>,
}

impl Spec {
    /// What the account's wallet needs before it opens its position.
    pub fn funding(&self) -> Vec<(String, u128)> {
        let mut out: Vec<(String, u128)> = vec![];
        for (d, a) in &self.deposits {
            match out.iter_mut().find(|(x, _)| x == d) {
                Some((_, t)) => *t += a,
                None => out.push((d.clone(), *a)),
            }
        }
        out
    }
}

/// USD per smallest unit of each denom at the start.
pub fn start_prices(s: &Scenario) -> Vec<(String, f64)> {
    let mut prices = vec![
        (QUOTE.to_string(), 1.0),
        (ballast_testing::ATOM.to_string(), 10.0),
        (ballast_testing::OSMO.to_string(), 0.5),
    ];
    for r in &s.risk {
        if let Some(p) = prices.iter_mut().find(|(d, _)| *d == r.denom) {
            p.1 = r.start_price;
        }
    }
    prices
}

fn units(usd: f64, price: f64) -> u128 {
    (usd * UNIT / price).floor().max(0.0) as u128
}

/// Draws the population of `s` (deterministic in `s.seed` and `s.accounts`).
pub fn generate(s: &Scenario) -> Vec<Spec> {
    let mut rng = Rng::new(s.seed ^ 0x0005_EED0_FBA1_1A57);
    let p = &s.population;
    let prices = start_prices(s);
    let price = |d: &str| {
        prices
            .iter()
            .find(|(x, _)| x == d)
            .map(|(_, p)| *p)
            .unwrap()
    };
    let lt = s.protocol.liquidation_threshold;
    let first_risk = s.risk[0].denom.clone();
    let weights: Vec<f64> = s
        .risk
        .iter()
        .map(|r| r.collateral_weight.max(0.0))
        .collect();
    let weight_sum: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let pick_risk = |rng: &mut Rng| {
        let mut x = rng.unit() * weight_sum;
        for (r, w) in s.risk.iter().zip(&weights) {
            if x < *w {
                return r.denom.clone();
            }
            x -= w;
        }
        first_risk.clone()
    };

    // Counts per kind, by the shares (rounded; the borrowers take the remainder).
    let shares = [p.suppliers, p.suppliers_with_debt, p.loopers, p.borrowers];
    let total: f64 = shares.iter().sum();
    let n = s.accounts;
    let mut counts: Vec<usize> = shares
        .iter()
        .map(|x| ((x / total) * n as f64).round() as usize)
        .collect();
    let assigned: usize = counts[..3].iter().sum::<usize>().min(n);
    counts[3] = n - assigned;
    let mut kinds = vec![];
    for (kind, count) in [
        Kind::Supplier,
        Kind::SupplierWithDebt,
        Kind::Looper,
        Kind::Borrower,
    ]
    .into_iter()
    .zip(&counts)
    {
        kinds.extend(std::iter::repeat_n(kind, *count));
    }
    kinds.truncate(n);

    let size = |rng: &mut Rng| rng.log_uniform(p.size_min_usd, p.size_max_usd);
    let mut specs: Vec<Spec> = vec![];
    let mut quote_debt = 0.0;
    let mut quote_supply_others = 0.0;
    let mut quote_suppliers: Vec<(usize, f64)> = vec![];
    for (i, kind) in kinds.iter().enumerate() {
        let name = format!("acct{i:05}");
        let mut spec = Spec {
            name,
            kind: *kind,
            deposits: vec![],
            borrows: vec![],
            target_hf: None,
        };
        match kind {
            Kind::Borrower => {
                let denom = pick_risk(&mut rng);
                let collateral = size(&mut rng);
                let hf = rng.uniform(p.hf_min, p.hf_max);
                let debt = collateral * lt / hf;
                spec.deposits
                    .push((denom.clone(), units(collateral, price(&denom))));
                spec.borrows.push((QUOTE.into(), units(debt, 1.0)));
                spec.target_hf = Some(hf);
                quote_debt += debt;
            }
            Kind::SupplierWithDebt => {
                let collateral = size(&mut rng);
                let ltv = rng.uniform(p.supplier_debt_ltv.0, p.supplier_debt_ltv.1);
                let denom = pick_risk(&mut rng);
                spec.deposits.push((QUOTE.into(), units(collateral, 1.0)));
                spec.borrows
                    .push((denom.clone(), units(collateral * ltv, price(&denom))));
                spec.target_hf = Some(lt / ltv);
                quote_supply_others += collateral;
            }
            Kind::Looper => {
                let equity = size(&mut rng);
                let leverage = rng.uniform(p.looper_leverage.0, p.looper_leverage.1);
                let denom = if i % 2 == 0 {
                    QUOTE.to_string()
                } else {
                    first_risk.clone()
                };
                let px = price(&denom);
                spec.deposits
                    .push((denom.clone(), units(equity * leverage, px)));
                spec.borrows
                    .push((denom.clone(), units(equity * (leverage - 1.0), px)));
                spec.target_hf = Some(lt * leverage / (leverage - 1.0));
                if denom == QUOTE {
                    quote_supply_others += equity * leverage;
                    quote_debt += equity * (leverage - 1.0);
                }
            }
            Kind::Supplier => {
                let value = size(&mut rng);
                if rng.unit() < p.supplier_quote_share {
                    quote_suppliers.push((specs.len(), value));
                } else {
                    let denom = pick_risk(&mut rng);
                    spec.deposits
                        .push((denom.clone(), units(value, price(&denom))));
                }
            }
        }
        specs.push(spec);
    }
    // Size the quote suppliers so that quote utilisation starts at the target.
    let needed = (quote_debt / p.target_utilization - quote_supply_others).max(0.0);
    let drawn: f64 = quote_suppliers.iter().map(|(_, v)| v).sum();
    let scale = if drawn > 0.0 { needed / drawn } else { 0.0 };
    for (index, value) in quote_suppliers {
        let usd = (value * scale).max(p.size_min_usd);
        specs[index].deposits.push((QUOTE.into(), units(usd, 1.0)));
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_is_deterministic_and_has_every_kind_in_its_share() {
        let s = Scenario {
            accounts: 400,
            ..Default::default()
        };
        let a = generate(&s);
        assert_eq!(a, generate(&s));
        assert_eq!(a.len(), 400);
        let count = |k: Kind| a.iter().filter(|x| x.kind == k).count();
        assert_eq!(count(Kind::Supplier), 120);
        assert_eq!(count(Kind::SupplierWithDebt), 40);
        assert_eq!(count(Kind::Looper), 40);
        assert_eq!(count(Kind::Borrower), 200);
        let other = generate(&Scenario {
            seed: 99,
            accounts: 400,
            ..Default::default()
        });
        assert_ne!(a, other);
    }

    #[test]
    fn borrowers_spread_over_the_health_factor_range_and_quote_is_sized_for_utilisation() {
        let s = Scenario::default();
        let specs = generate(&s);
        let hfs: Vec<f64> = specs
            .iter()
            .filter(|x| x.kind == Kind::Borrower)
            .map(|x| x.target_hf.unwrap())
            .collect();
        assert!(hfs.iter().all(|h| (1.05..=3.0).contains(h)));
        assert!(hfs.iter().any(|h| *h < 1.2) && hfs.iter().any(|h| *h > 2.5));
        let sum = |denom: &str, f: fn(&Spec) -> &Vec<(String, u128)>| -> f64 {
            specs
                .iter()
                .flat_map(|x| f(x).iter())
                .filter(|(d, _)| d == denom)
                .map(|(_, a)| *a as f64)
                .sum()
        };
        let supply = sum(QUOTE, |x| &x.deposits);
        let debt = sum(QUOTE, |x| &x.borrows);
        let utilisation = debt / supply;
        assert!(
            (0.70..=0.76).contains(&utilisation),
            "utilisation {utilisation}"
        );
        // a borrower's debt matches its target health factor at the start price
        let b = specs.iter().find(|x| x.kind == Kind::Borrower).unwrap();
        let collateral_usd = b.deposits[0].1 as f64 * 10.0 / UNIT;
        let debt_usd = b.borrows[0].1 as f64 / UNIT;
        let hf = collateral_usd * 0.8 / debt_usd;
        assert!((hf - b.target_hf.unwrap()).abs() < 1e-3, "{hf}");
        assert_eq!(b.funding(), b.deposits);
    }
}
