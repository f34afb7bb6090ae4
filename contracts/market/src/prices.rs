//! Prices for one action, read from the oracle's storage with raw queries (and from Pyth
//! where a denom is Pyth-priced), once per denom. A denom's refusal is kept beside it instead
//! of failing the load: which refusals block a judgement and which count as zero is decided
//! where the price is used (`Prices::collateral`), by the kind of judgement.

use crate::small_map::SmallMap;

use cosmwasm_std::{Addr, Decimal256, QuerierWrapper};

use ballast_types::oracle::{
    query_circuit, query_price_results, PriceError, PriceKind, ResolvedPrice,
};

use crate::error::{ContractError, ContractResult};

/// Why a denom has no usable price for this judgement.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    Price(PriceError),
    /// Its oracle circuit is open (checked for `Default` prices, which borrowing power uses).
    Circuit {
        denom: String,
        closes_at: u64,
    },
}

impl From<Refusal> for ContractError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Price(e) => ContractError::Price(e),
            Refusal::Circuit { denom, closes_at } => {
                ContractError::OracleCircuitOpen { denom, closes_at }
            }
        }
    }
}

/// Prices of the denoms an action needs, all of one kind, each with its own result.
pub struct Prices {
    pub kind: PriceKind,
    map: SmallMap<Result<ResolvedPrice, Refusal>>,
}

impl Prices {
    pub fn empty(kind: PriceKind) -> Self {
        Prices {
            kind,
            map: SmallMap::new(),
        }
    }

    /// Resolves every denom in `denoms` (duplicates are read once).
    pub fn load(
        querier: &QuerierWrapper,
        oracle: &Addr,
        denoms: &[String],
        kind: PriceKind,
        now: u64,
    ) -> ContractResult<Self> {
        let mut prices = Prices::empty(kind);
        prices.ensure(querier, oracle, denoms, now)?;
        Ok(prices)
    }

    /// Loads the denoms not loaded yet (a step over many accounts reads each price once).
    /// `Default` prices also read each denom's oracle circuit: a price whose circuit is open
    /// is refused for borrowing power (checked with the current price, so a breach counts even
    /// before anyone has called `Observe`).
    pub fn ensure(
        &mut self,
        querier: &QuerierWrapper,
        oracle: &Addr,
        denoms: &[String],
        now: u64,
    ) -> ContractResult<()> {
        let mut missing: Vec<String> = denoms
            .iter()
            .filter(|d| !self.map.contains_key(d))
            .cloned()
            .collect();
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        for (denom, result) in query_price_results(querier, oracle, &missing, self.kind, now)? {
            let result = match result {
                Ok(price) if self.kind == PriceKind::Default => {
                    circuit_refusal(querier, oracle, &denom, &price, now)?.map_or(Ok(price), Err)
                }
                Ok(price) => Ok(price),
                Err(e) => Err(Refusal::Price(e)),
            };
            self.map.insert(denom, result);
        }
        Ok(())
    }

    /// A denom's price; its refusal as the error when it has none.
    pub fn get(&self, denom: &str) -> ContractResult<&ResolvedPrice> {
        match self.map.get(denom) {
            Some(Ok(price)) => Ok(price),
            Some(Err(refusal)) => Err(refusal.clone().into()),
            None => Err(ContractError::UnknownDenom {
                denom: denom.to_string(),
            }),
        }
    }

    /// The plain price (what `Liquidation` prices are; a `Default` price has the same value,
    /// it has only passed more checks).
    pub fn price(&self, denom: &str) -> ContractResult<Decimal256> {
        Ok(self.get(denom)?.price)
    }

    /// The price collateral of `denom` is valued at, or `None` when it counts as zero for this
    /// kind of judgement. Borrowing power (`Default`) counts any refused collateral as zero:
    /// that can only lower it. Liquidation counts as zero only a denom the oracle says is
    /// worthless (`PriceError::means_worthless`); any other refusal blocks the judgement.
    pub fn collateral(&self, denom: &str) -> ContractResult<Option<&ResolvedPrice>> {
        match self.map.get(denom) {
            Some(Ok(price)) => Ok(Some(price)),
            Some(Err(_)) if self.kind == PriceKind::Default => Ok(None),
            Some(Err(Refusal::Price(e))) if e.means_worthless() => Ok(None),
            Some(Err(refusal)) => Err(refusal.clone().into()),
            None => Err(ContractError::UnknownDenom {
                denom: denom.to_string(),
            }),
        }
    }

    /// Why `denom` has no price, if it has none.
    pub fn refusal(&self, denom: &str) -> Option<&Refusal> {
        self.map.get(denom).and_then(|r| r.as_ref().err())
    }
}

/// The refusal of a price whose oracle circuit is open, if it is.
fn circuit_refusal(
    querier: &QuerierWrapper,
    oracle: &Addr,
    denom: &str,
    price: &ResolvedPrice,
    now: u64,
) -> ContractResult<Option<Refusal>> {
    let Some(circuit) = query_circuit(querier, oracle, denom)? else {
        return Ok(None);
    };
    if !circuit.is_open(now, Some(price.price)) {
        return Ok(None);
    }
    let closes_at = circuit
        .to_response(now, Some(price.price))
        .closes_at
        .unwrap_or(now + circuit.cooldown);
    Ok(Some(Refusal::Circuit {
        denom: denom.to_string(),
        closes_at,
    }))
}
