//! Owner: a denom's price source.

use cosmwasm_std::{to_json_string, DepsMut, MessageInfo, Response};

use ballast_types::oracle::PriceSource;

use super::{ensure_no_funds, ensure_owner, validate_addr};
use crate::error::{ContractError, ContractResult};
use crate::state::{CIRCUITS, CONFIG, SOURCES};

/// Longest denom accepted (bank denoms are at most 128 characters).
pub const MAX_DENOM_LEN: usize = 128;

/// Sets (or replaces) the price source of `denom`.
///
/// When the replacement prices a different stream (another kind of source, another Pyth contract
/// or feed, other `denom_decimals`, or another fixed price), the circuit's observations are
/// dropped: they were taken on the old stream, and comparing the new one with them would open
/// the circuit on a change of configuration rather than a move of the market. The circuit's
/// parameters and any opening still cooling down are kept.
pub fn set_source(
    deps: DepsMut,
    info: MessageInfo,
    denom: String,
    source: PriceSource,
) -> ContractResult<Response> {
    ensure_no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "set price sources")?;
    validate_denom(&denom)?;
    let source = match source {
        PriceSource::Pyth {
            contract,
            feed_id,
            max_staleness,
            max_confidence,
            max_deviation,
            conf_multiplier,
            denom_decimals,
        } => PriceSource::Pyth {
            contract: validate_addr(deps.api, "Pyth contract", &contract)?.to_string(),
            feed_id,
            max_staleness,
            max_confidence,
            max_deviation,
            conf_multiplier,
            denom_decimals,
        },
        fixed @ PriceSource::Fixed { .. } => fixed,
    };
    source
        .validate()
        .map_err(|reason| ContractError::InvalidConfig {
            reason: format!("source of {denom}: {reason}"),
        })?;

    let previous = SOURCES.may_load(deps.storage, &denom)?;
    let mut cleared = 0usize;
    if previous
        .as_ref()
        .is_some_and(|old| !same_price_stream(old, &source))
    {
        if let Some(mut circuit) = CIRCUITS.may_load(deps.storage, &denom)? {
            cleared = circuit.slots.len();
            circuit.slots.clear();
            CIRCUITS.save(deps.storage, &denom, &circuit)?;
        }
    }
    SOURCES.save(deps.storage, &denom, &source)?;

    Ok(Response::new()
        .add_attribute("action", "set_source")
        .add_attribute("denom", denom)
        .add_attribute("source_type", source_type(&source))
        .add_attribute("source", to_json_string(&source)?)
        .add_attribute("replaced", previous.is_some().to_string())
        .add_attribute("observations_cleared", cleared.to_string()))
}

/// Removes `denom`'s source and its circuit.
pub fn remove_source(deps: DepsMut, info: MessageInfo, denom: String) -> ContractResult<Response> {
    ensure_no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "remove price sources")?;
    if !SOURCES.has(deps.storage, &denom) {
        return Err(ContractError::UnknownDenom { denom });
    }
    let had_circuit = CIRCUITS.has(deps.storage, &denom);
    SOURCES.remove(deps.storage, &denom);
    CIRCUITS.remove(deps.storage, &denom);
    Ok(Response::new()
        .add_attribute("action", "remove_source")
        .add_attribute("denom", denom)
        .add_attribute("circuit_removed", had_circuit.to_string()))
}

pub(crate) fn validate_denom(denom: &str) -> ContractResult<()> {
    if denom.is_empty() || denom.len() > MAX_DENOM_LEN {
        return Err(ContractError::InvalidConfig {
            reason: format!(
                "denom must be 1 to {MAX_DENOM_LEN} characters, got {} ({denom:?})",
                denom.len()
            ),
        });
    }
    Ok(())
}

fn source_type(source: &PriceSource) -> &'static str {
    match source {
        PriceSource::Fixed { .. } => "fixed",
        PriceSource::Pyth { .. } => "pyth",
    }
}

/// Whether two sources give prices on the same stream and scale (they may differ in their
/// validation thresholds only).
fn same_price_stream(a: &PriceSource, b: &PriceSource) -> bool {
    match (a, b) {
        (PriceSource::Fixed { price: p }, PriceSource::Fixed { price: q }) => p == q,
        (
            PriceSource::Pyth {
                contract: c1,
                feed_id: f1,
                denom_decimals: d1,
                ..
            },
            PriceSource::Pyth {
                contract: c2,
                feed_id: f2,
                denom_decimals: d2,
                ..
            },
        ) => c1 == c2 && same_feed_id(f1, f2) && d1 == d2,
        _ => false,
    }
}

/// Feed ids compare as bytes: `0x` prefixes and letter case do not make another feed.
fn same_feed_id(a: &str, b: &str) -> bool {
    let bare = |s: &str| s.strip_prefix("0x").unwrap_or(s).to_ascii_lowercase();
    bare(a) == bare(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{Decimal, Decimal256};

    fn pyth(contract: &str, feed: &str, max_staleness: u64, decimals: u8) -> PriceSource {
        PriceSource::Pyth {
            contract: contract.into(),
            feed_id: feed.into(),
            max_staleness,
            max_confidence: Decimal::percent(2),
            max_deviation: Decimal::percent(5),
            conf_multiplier: Decimal::one(),
            denom_decimals: decimals,
        }
    }

    #[test]
    fn only_a_change_of_stream_or_scale_is_a_new_stream() {
        let feed = "ab".repeat(32);
        let base = pyth("pyth", &feed, 60, 6);
        // thresholds only
        assert!(same_price_stream(&base, &pyth("pyth", &feed, 120, 6)));
        // the same id written with 0x and in capitals
        assert!(same_price_stream(
            &base,
            &pyth("pyth", &format!("0x{}", feed.to_uppercase()), 60, 6)
        ));
        assert!(!same_price_stream(&base, &pyth("pyth2", &feed, 60, 6)));
        assert!(!same_price_stream(
            &base,
            &pyth("pyth", &"cd".repeat(32), 60, 6)
        ));
        assert!(!same_price_stream(&base, &pyth("pyth", &feed, 60, 18)));
        let fixed = PriceSource::Fixed {
            price: Decimal256::one(),
        };
        assert!(same_price_stream(&fixed, &fixed.clone()));
        assert!(!same_price_stream(
            &fixed,
            &PriceSource::Fixed {
                price: Decimal256::percent(101)
            }
        ));
        assert!(!same_price_stream(&fixed, &base));
    }

    #[test]
    fn denoms_are_1_to_128_characters() {
        assert!(validate_denom("u").is_ok());
        assert!(validate_denom(&"a".repeat(128)).is_ok());
        assert_eq!(
            validate_denom("").unwrap_err().to_string(),
            "invalid config: denom must be 1 to 128 characters, got 0 (\"\")"
        );
        assert!(validate_denom(&"a".repeat(129)).is_err());
    }
}
