//! The per-denom circuit: its parameters (owner) and `Observe` (anyone).

use std::collections::BTreeSet;

use cosmwasm_std::{Decimal, DepsMut, Env, Event, MessageInfo, Response};

use ballast_types::oracle::{resolve_price, CircuitRecord, PriceKind};

use super::{ensure_no_funds, ensure_owner};
use crate::error::{ContractError, ContractResult};
use crate::state::{CIRCUITS, CONFIG, SOURCES};

/// Bound on `move_window` and `cooldown`: a window or cooldown longer than a week protects
/// nothing more and only keeps borrowing stopped.
pub const MAX_CIRCUIT_SECONDS: u64 = 7 * 86_400;
/// At most this many denoms per `Observe`, so that its gas stays bounded.
pub const MAX_OBSERVE: usize = 20;

/// Owner: sets `denom`'s circuit parameters. The denom must have a source. An existing record
/// keeps its observations and any opening still cooling down; the new parameters apply to them.
pub fn update_circuit_params(
    deps: DepsMut,
    info: MessageInfo,
    denom: String,
    max_move: Decimal,
    move_window: u64,
    cooldown: u64,
) -> ContractResult<Response> {
    ensure_no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "configure circuits")?;
    if !SOURCES.has(deps.storage, &denom) {
        return Err(ContractError::UnknownDenom { denom });
    }
    validate_circuit_params(max_move, move_window, cooldown)?;
    let existing = CIRCUITS.may_load(deps.storage, &denom)?;
    let created = existing.is_none();
    let record = match existing {
        Some(existing) => CircuitRecord {
            max_move,
            move_window,
            cooldown,
            ..existing
        },
        None => CircuitRecord::new(max_move, move_window, cooldown),
    };
    CIRCUITS.save(deps.storage, &denom, &record)?;
    Ok(Response::new()
        .add_attribute("action", "update_circuit_params")
        .add_attribute("denom", denom)
        .add_attribute("max_move", max_move.to_string())
        .add_attribute("move_window", move_window.to_string())
        .add_attribute("cooldown", cooldown.to_string())
        .add_attribute("created", created.to_string())
        .add_attribute("observations_kept", record.slots.len().to_string()))
}

/// `max_move` in (0, 1]; `move_window` and `cooldown` in 1..=`MAX_CIRCUIT_SECONDS`.
pub fn validate_circuit_params(
    max_move: Decimal,
    move_window: u64,
    cooldown: u64,
) -> ContractResult<()> {
    if max_move.is_zero() || max_move > Decimal::one() {
        return Err(ContractError::InvalidConfig {
            reason: format!("max_move must be in (0, 1], got {max_move}"),
        });
    }
    for (name, value) in [("move_window", move_window), ("cooldown", cooldown)] {
        if value == 0 || value > MAX_CIRCUIT_SECONDS {
            return Err(ContractError::InvalidConfig {
                reason: format!("{name} must be in 1..={MAX_CIRCUIT_SECONDS} seconds, got {value}"),
            });
        }
    }
    Ok(())
}

/// Anyone (keepers): records each denom's current Liquidation price and its publish time
/// (PROTOCOL.md, exact rule 9). A move beyond `max_move` against any observation inside the
/// move window opens that denom's circuit for `cooldown` seconds.
///
/// All or nothing: a denom without a source or circuit parameters, or whose Liquidation price
/// is refused (stale, zero, negative, feed missing), fails the whole message with that error,
/// so a keeper learns which denom to leave out.
///
/// Emits `denoms` and `opened` (the denoms whose circuit this observation opened,
/// comma-separated, empty when none) on the `wasm` event, and one `ballast_observation` event
/// per denom with the price and publish time recorded and the circuit's state after it.
pub fn observe(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denoms: Vec<String>,
) -> ContractResult<Response> {
    ensure_no_funds(&info)?;
    if denoms.is_empty() || denoms.len() > MAX_OBSERVE {
        return Err(ContractError::InvalidDenomCount {
            count: denoms.len(),
            max: MAX_OBSERVE,
        });
    }
    let mut seen = BTreeSet::new();
    for denom in &denoms {
        if !seen.insert(denom.as_str()) {
            return Err(ContractError::DuplicateDenom {
                denom: denom.clone(),
            });
        }
    }

    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut opened = vec![];
    let mut events = vec![];
    for denom in &denoms {
        let source =
            SOURCES
                .may_load(deps.storage, denom)?
                .ok_or_else(|| ContractError::UnknownDenom {
                    denom: denom.clone(),
                })?;
        let mut circuit =
            CIRCUITS
                .may_load(deps.storage, denom)?
                .ok_or_else(|| ContractError::NoCircuit {
                    denom: denom.clone(),
                })?;
        let price = resolve_price(
            &deps.querier,
            denom,
            &source,
            config.quote_decimals,
            PriceKind::Liquidation,
            now,
        )?;
        let opened_now = circuit.observe(price.price, price.publish_time, now);
        CIRCUITS.save(deps.storage, denom, &circuit)?;
        if opened_now {
            opened.push(denom.clone());
        }
        let state = circuit.to_response(now, None);
        events.push(
            Event::new("ballast_observation")
                .add_attribute("denom", denom)
                .add_attribute("price", price.price.to_string())
                .add_attribute("publish_time", price.publish_time.to_string())
                .add_attribute("opened", opened_now.to_string())
                .add_attribute("open", state.open.to_string())
                .add_attribute(
                    "closes_at",
                    state.closes_at.map(|t| t.to_string()).unwrap_or_default(),
                ),
        );
    }
    Ok(Response::new()
        .add_attribute("action", "observe")
        .add_attribute("denoms", denoms.join(","))
        .add_attribute("opened", opened.join(","))
        .add_events(events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;

    #[test]
    fn circuit_parameters_are_bounded() {
        let week = MAX_CIRCUIT_SECONDS;
        assert!(validate_circuit_params(Decimal::one(), week, week).is_ok());
        assert!(validate_circuit_params(Decimal::new(Uint128::new(1)), 1, 1).is_ok());
        let reason = |r: ContractResult<()>| r.unwrap_err().to_string();
        assert_eq!(
            reason(validate_circuit_params(Decimal::zero(), 60, 60)),
            "invalid config: max_move must be in (0, 1], got 0"
        );
        assert_eq!(
            reason(validate_circuit_params(
                Decimal::one() + Decimal::new(Uint128::new(1)),
                60,
                60
            )),
            "invalid config: max_move must be in (0, 1], got 1.000000000000000001"
        );
        assert_eq!(
            reason(validate_circuit_params(Decimal::percent(10), 0, 60)),
            "invalid config: move_window must be in 1..=604800 seconds, got 0"
        );
        assert_eq!(
            reason(validate_circuit_params(Decimal::percent(10), 60, week + 1)),
            "invalid config: cooldown must be in 1..=604800 seconds, got 604801"
        );
    }
}
