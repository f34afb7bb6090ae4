//! Owner actions (sources, circuit parameters, ownership) and the keepers' `Observe`.

use cosmwasm_std::{Decimal, DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::no_funds;
use ballast_types::oracle::{resolve_price, CircuitRecord, Config, PriceKind, PriceSource};

use crate::error::{ContractError, ContractResult};
use crate::state::{CIRCUITS, CONFIG, SOURCES};

/// Bounds on circuit parameters: a window or cooldown longer than a week protects nothing and
/// only blocks borrowing.
pub const MAX_CIRCUIT_SECONDS: u64 = 7 * 86_400;
/// At most this many denoms per `Observe`.
pub const MAX_OBSERVE: usize = 20;

fn ensure_owner(config: &Config, info: &MessageInfo, action: &str) -> ContractResult<()> {
    if info.sender != config.owner {
        return Err(ContractError::Unauthorized {
            sender: info.sender.to_string(),
            action: action.into(),
        });
    }
    Ok(())
}

pub fn set_source(
    deps: DepsMut,
    info: MessageInfo,
    denom: String,
    source: PriceSource,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "set price sources")?;
    if denom.is_empty() || denom.len() > 128 {
        return Err(ContractError::InvalidConfig {
            reason: "denom must be 1 to 128 characters".into(),
        });
    }
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
            contract: deps.api.addr_validate(&contract)?.to_string(),
            feed_id,
            max_staleness,
            max_confidence,
            max_deviation,
            conf_multiplier,
            denom_decimals,
        },
        fixed => fixed,
    };
    source
        .validate()
        .map_err(|reason| ContractError::InvalidConfig { reason })?;
    SOURCES.save(deps.storage, &denom, &source)?;
    let kind = match &source {
        PriceSource::Fixed { price } => format!("fixed:{price}"),
        PriceSource::Pyth { feed_id, .. } => format!("pyth:{feed_id}"),
    };
    Ok(Response::new()
        .add_attribute("action", "set_source")
        .add_attribute("denom", denom)
        .add_attribute("source", kind))
}

pub fn remove_source(deps: DepsMut, info: MessageInfo, denom: String) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "remove price sources")?;
    if !SOURCES.has(deps.storage, &denom) {
        return Err(ContractError::UnknownDenom { denom });
    }
    SOURCES.remove(deps.storage, &denom);
    CIRCUITS.remove(deps.storage, &denom);
    Ok(Response::new()
        .add_attribute("action", "remove_source")
        .add_attribute("denom", denom))
}

pub fn update_circuit_params(
    deps: DepsMut,
    info: MessageInfo,
    denom: String,
    max_move: Decimal,
    move_window: u64,
    cooldown: u64,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "configure circuits")?;
    if !SOURCES.has(deps.storage, &denom) {
        return Err(ContractError::UnknownDenom { denom });
    }
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
    let record = match CIRCUITS.may_load(deps.storage, &denom)? {
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
        .add_attribute("cooldown", cooldown.to_string()))
}

/// Anyone: records each denom's Liquidation price and publish time; a move beyond `max_move`
/// against any observation inside the window opens that denom's circuit.
pub fn observe(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denoms: Vec<String>,
) -> ContractResult<Response> {
    no_funds(&info)?;
    if denoms.is_empty() || denoms.len() > MAX_OBSERVE {
        return Err(ContractError::InvalidConfig {
            reason: format!("observe 1 to {MAX_OBSERVE} denoms, got {}", denoms.len()),
        });
    }
    let mut sorted = denoms.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != denoms.len() {
        return Err(ContractError::InvalidConfig {
            reason: "a denom is listed twice".into(),
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut response = Response::new().add_attribute("action", "observe");
    for denom in denoms {
        let source =
            SOURCES
                .may_load(deps.storage, &denom)?
                .ok_or_else(|| ContractError::UnknownDenom {
                    denom: denom.clone(),
                })?;
        let mut circuit =
            CIRCUITS
                .may_load(deps.storage, &denom)?
                .ok_or_else(|| ContractError::NoCircuit {
                    denom: denom.clone(),
                })?;
        let price = resolve_price(
            &deps.querier,
            &denom,
            &source,
            config.quote_decimals,
            PriceKind::Liquidation,
            now,
        )?;
        let opened = circuit.observe(price.price, price.publish_time, now);
        CIRCUITS.save(deps.storage, &denom, &circuit)?;
        response = response.add_event(
            cosmwasm_std::Event::new("ballast_observation")
                .add_attribute("denom", &denom)
                .add_attribute("price", price.price.to_string())
                .add_attribute("publish_time", price.publish_time.to_string())
                .add_attribute("opened", opened.to_string()),
        );
    }
    Ok(response)
}

pub fn propose_owner(deps: DepsMut, info: MessageInfo, owner: String) -> ContractResult<Response> {
    no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "propose an owner")?;
    let proposed = deps.api.addr_validate(&owner)?;
    config.pending_owner = Some(proposed.clone());
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "propose_owner")
        .add_attribute("proposed", proposed))
}

pub fn accept_owner(deps: DepsMut, info: MessageInfo) -> ContractResult<Response> {
    no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    match &config.pending_owner {
        None => return Err(ContractError::NoPendingOwner {}),
        Some(p) if *p != info.sender => {
            return Err(ContractError::Unauthorized {
                sender: info.sender.to_string(),
                action: "accept ownership".into(),
            })
        }
        Some(_) => {}
    }
    config.owner = info.sender.clone();
    config.pending_owner = None;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "accept_owner")
        .add_attribute("owner", info.sender))
}
