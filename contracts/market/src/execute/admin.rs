//! Owner and guardian actions: listing assets, parameters, circuit levels, configuration,
//! and the two-step ownership transfer.

use cosmwasm_std::{Decimal, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::circuit::CircuitLevel;
use ballast_types::funds::no_funds;
use ballast_types::market::{AssetParams, Config, MAX_GRACE_PERIOD};
use ballast_types::math::Ramp;

use crate::error::{ContractError, ContractResult};
use crate::execute::unauthorized;
use crate::ledger::Ledger;
use crate::state::{AssetConfig, AssetState, ASSETS, ASSET_LIST, ASSET_STATES, CIRCUIT, CONFIG};

fn ensure_owner(config: &Config, info: &MessageInfo, action: &str) -> ContractResult<()> {
    if info.sender != config.owner {
        return Err(unauthorized(&info.sender, action));
    }
    Ok(())
}

fn validate_params(denom: &str, params: &AssetParams) -> ContractResult<()> {
    params
        .validate()
        .map_err(|reason| ContractError::InvalidAssetParams {
            denom: denom.to_string(),
            reason,
        })
}

pub fn init_asset(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    params: AssetParams,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "list assets")?;
    if denom.is_empty() || denom.len() > 128 {
        return Err(ContractError::InvalidAssetParams {
            denom,
            reason: "denom must be 1 to 128 characters".into(),
        });
    }
    if ASSETS.has(deps.storage, &denom) {
        return Err(ContractError::AssetExists { denom });
    }
    validate_params(&denom, &params)?;
    ASSETS.save(
        deps.storage,
        &denom,
        &AssetConfig {
            params,
            lt_ramp: None,
        },
    )?;
    let mut listed = ASSET_LIST.may_load(deps.storage)?.unwrap_or_default();
    listed.push(denom.clone());
    ASSET_LIST.save(deps.storage, &listed)?;
    ASSET_STATES.save(
        deps.storage,
        &denom,
        &AssetState::new(env.block.time.seconds()),
    )?;
    Ok(Response::new()
        .add_attribute("action", "init_asset")
        .add_attribute("denom", denom))
}

/// Lowering the liquidation threshold ramps from the threshold in force to the new one over
/// `ramp_duration`, so a parameter change cannot make accounts liquidatable in one block.
/// Raising it, and every other parameter, takes effect at once.
pub fn update_asset_params(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    params: AssetParams,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "update asset parameters")?;
    validate_params(&denom, &params)?;
    let now = env.block.time.seconds();
    let mut ledger = Ledger::new(now);
    let asset = ledger.load(deps.storage, &denom)?;
    let in_force = asset.liquidation_threshold(now);
    let new_threshold = params.liquidation_threshold;
    let lt_ramp = if new_threshold < in_force && config.ramp_duration > 0 {
        Some(Ramp {
            from: in_force,
            to: new_threshold,
            start: now,
            end: now + config.ramp_duration,
        })
    } else {
        None
    };
    asset.config = AssetConfig {
        params,
        lt_ramp: lt_ramp.clone(),
    };
    asset.dirty = true;
    let stored = asset.config.clone();
    ledger.save(deps.storage)?;
    ASSETS.save(deps.storage, &denom, &stored)?;
    let mut response = Response::new()
        .add_attribute("action", "update_asset_params")
        .add_attribute("denom", denom)
        .add_attribute("liquidation_threshold", new_threshold.to_string());
    if let Some(ramp) = lt_ramp {
        response = response
            .add_attribute("ramp_from", ramp.from.to_string())
            .add_attribute("ramp_end", ramp.end.to_string());
    }
    Ok(response)
}

/// The guardian may raise the level; the owner may raise or lower it. Lifting a halt starts the
/// grace period in which liquidations wait for borrowers to top up.
pub fn set_circuit_level(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    level: CircuitLevel,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut circuit = CIRCUIT.may_load(deps.storage)?.unwrap_or_default();
    let is_owner = info.sender == config.owner;
    let is_guardian = config.guardian.as_ref() == Some(&info.sender);
    let raising = level > circuit.level;
    if !(is_owner || (is_guardian && raising)) {
        return Err(unauthorized(
            &info.sender,
            if raising {
                "raise the circuit level"
            } else {
                "lower the circuit level"
            },
        ));
    }
    circuit.set_level(level, now, config.grace_period);
    CIRCUIT.save(deps.storage, &circuit)?;
    Ok(Response::new()
        .add_attribute("action", "set_circuit_level")
        .add_attribute("sender", info.sender)
        .add_attribute("level", level.name())
        .add_attribute("level_in_force", circuit.level_at(now).name()))
}

/// The backstop raises an automatic level (fund drawdown) that lapses at `until`.
pub fn trip_breaker(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    level: CircuitLevel,
    until: u64,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    if config.backstop.as_ref() != Some(&info.sender) {
        return Err(unauthorized(&info.sender, "trip the automatic breaker"));
    }
    if level == CircuitLevel::Normal || level == CircuitLevel::Halt {
        return Err(ContractError::InvalidCircuitLevel { level });
    }
    let now = env.block.time.seconds();
    let mut circuit = CIRCUIT.may_load(deps.storage)?.unwrap_or_default();
    circuit.auto_level = level;
    circuit.auto_until = Some(until.max(now));
    if circuit.raised_at.is_none() || circuit.level_at(now) > circuit.level {
        circuit.raised_at = Some(now);
    }
    CIRCUIT.save(deps.storage, &circuit)?;
    Ok(Response::new()
        .add_attribute("action", "trip_breaker")
        .add_attribute("level", level.name())
        .add_attribute("until", until.to_string()))
}

#[allow(clippy::too_many_arguments)]
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    guardian: Option<String>,
    oracle: Option<String>,
    auction: Option<String>,
    backstop: Option<String>,
    target_hf: Option<Decimal>,
    full_liquidation_hf: Option<Decimal>,
    ramp_duration: Option<u64>,
    grace_period: Option<u64>,
    dust_value: Option<Uint128>,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info, "update the config")?;
    if let Some(g) = guardian {
        config.guardian = Some(deps.api.addr_validate(&g)?);
    }
    if let Some(o) = oracle {
        config.oracle = deps.api.addr_validate(&o)?;
    }
    if let Some(a) = auction {
        config.auction = Some(deps.api.addr_validate(&a)?);
    }
    if let Some(b) = backstop {
        config.backstop = Some(deps.api.addr_validate(&b)?);
    }
    if let Some(v) = target_hf {
        config.target_hf = v;
    }
    if let Some(v) = full_liquidation_hf {
        config.full_liquidation_hf = v;
    }
    if let Some(v) = ramp_duration {
        config.ramp_duration = v;
    }
    if let Some(v) = grace_period {
        config.grace_period = v;
    }
    if let Some(v) = dust_value {
        config.dust_value = v;
    }
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("oracle", config.oracle.as_str())
        .add_attribute(
            "auction",
            config.auction.as_ref().map(|a| a.as_str()).unwrap_or(""),
        )
        .add_attribute(
            "backstop",
            config.backstop.as_ref().map(|a| a.as_str()).unwrap_or(""),
        ))
}

pub fn validate_config(config: &Config) -> ContractResult<()> {
    let invalid = |reason: String| Err(ContractError::InvalidConfig { reason });
    if config.target_hf <= Decimal::one() || config.target_hf > Decimal::percent(200) {
        return invalid(format!(
            "target_hf must be in (1, 2], got {}",
            config.target_hf
        ));
    }
    if config.full_liquidation_hf.is_zero() || config.full_liquidation_hf >= Decimal::one() {
        return invalid(format!(
            "full_liquidation_hf must be in (0, 1), got {}",
            config.full_liquidation_hf
        ));
    }
    if config.grace_period > MAX_GRACE_PERIOD {
        return invalid(format!(
            "grace_period must be at most {MAX_GRACE_PERIOD} s, got {}",
            config.grace_period
        ));
    }
    if config.ramp_duration > 90 * 86_400 {
        return invalid(format!(
            "ramp_duration must be at most 90 days, got {} s",
            config.ramp_duration
        ));
    }
    if config.quote_denom.is_empty() {
        return invalid("quote_denom must not be empty".into());
    }
    Ok(())
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
        Some(pending) if *pending != info.sender => {
            return Err(unauthorized(&info.sender, "accept ownership"))
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
