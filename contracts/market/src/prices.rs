//! Prices for one action, read from the oracle's storage with raw queries (and from Pyth
//! where a denom is Pyth-priced), once per denom.

use crate::small_map::SmallMap;

use cosmwasm_std::{Addr, Decimal256, QuerierWrapper};

use ballast_types::oracle::{query_circuit, query_prices, PriceKind, ResolvedPrice};

use crate::error::{ContractError, ContractResult};

/// Validated prices of the denoms an action needs, all of one kind.
pub struct Prices {
    pub kind: PriceKind,
    map: SmallMap<ResolvedPrice>,
}

impl Prices {
    /// Resolves every denom in `denoms` (duplicates are read once).
    pub fn load(
        querier: &QuerierWrapper,
        oracle: &Addr,
        denoms: &[String],
        kind: PriceKind,
        now: u64,
    ) -> ContractResult<Self> {
        let mut unique: Vec<String> = denoms.to_vec();
        unique.sort();
        unique.dedup();
        let resolved = query_prices(querier, oracle, &unique, kind, now)?;
        Ok(Prices {
            kind,
            map: resolved.into_iter().map(|p| (p.denom.clone(), p)).collect(),
        })
    }

    pub fn get(&self, denom: &str) -> ContractResult<&ResolvedPrice> {
        self.map
            .get(denom)
            .ok_or_else(|| ContractError::UnknownDenom {
                denom: denom.to_string(),
            })
    }

    /// The plain price (what `Liquidation` prices are; a `Default` price has the same value,
    /// it has only passed more checks).
    pub fn price(&self, denom: &str) -> ContractResult<Decimal256> {
        Ok(self.get(denom)?.price)
    }
}

/// Refuses when the oracle circuit of any of `denoms` is open (checked with the current price,
/// so a breach counts even before anyone has called `Observe`).
pub fn ensure_circuits_closed(
    querier: &QuerierWrapper,
    oracle: &Addr,
    denoms: &[String],
    prices: &Prices,
    now: u64,
) -> ContractResult<()> {
    for denom in denoms {
        if let Some(circuit) = query_circuit(querier, oracle, denom)? {
            let current = prices.get(denom).ok().map(|p| p.price);
            if circuit.is_open(now, current) {
                let closes_at = circuit
                    .to_response(now, current)
                    .closes_at
                    .unwrap_or(now + circuit.cooldown);
                return Err(ContractError::OracleCircuitOpen {
                    denom: denom.clone(),
                    closes_at,
                });
            }
        }
    }
    Ok(())
}

impl Prices {
    pub fn empty(kind: PriceKind) -> Self {
        Prices {
            kind,
            map: SmallMap::new(),
        }
    }

    /// Loads the denoms not loaded yet (a step over many accounts reads each price once).
    pub fn ensure(
        &mut self,
        querier: &QuerierWrapper,
        oracle: &Addr,
        denoms: &[String],
        now: u64,
    ) -> ContractResult<()> {
        let missing: Vec<String> = denoms
            .iter()
            .filter(|d| !self.map.contains_key(d))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let loaded = Prices::load(querier, oracle, &missing, self.kind, now)?;
        self.map.extend(loaded.map);
        Ok(())
    }
}
