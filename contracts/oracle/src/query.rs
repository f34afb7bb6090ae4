//! Smart queries. The prices they answer are validated by the same functions that the market,
//! auction and backstop run on the raw records, so both paths agree.

use cosmwasm_std::{Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;

use ballast_types::oracle::{
    resolve_price, CircuitResponse, ConfigResponse, PriceKind, PriceResponse, PricesResponse,
    SourceResponse, SourcesResponse,
};
use ballast_types::page_limit;

use crate::error::{ContractError, ContractResult};
use crate::state::{CIRCUITS, CONFIG, SOURCES};

pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        owner: c.owner,
        pending_owner: c.pending_owner,
        quote_denom: c.quote_denom,
        quote_decimals: c.quote_decimals,
    })
}

/// `denom`'s price of `kind`; an unknown denom or a refused price is an error.
pub fn price(deps: Deps, env: &Env, denom: &str, kind: PriceKind) -> ContractResult<PriceResponse> {
    let config = CONFIG.load(deps.storage)?;
    price_with(deps, env, config.quote_decimals, denom, kind)
}

fn price_with(
    deps: Deps,
    env: &Env,
    quote_decimals: u8,
    denom: &str,
    kind: PriceKind,
) -> ContractResult<PriceResponse> {
    let source =
        SOURCES
            .may_load(deps.storage, denom)?
            .ok_or_else(|| ContractError::UnknownDenom {
                denom: denom.to_string(),
            })?;
    let resolved = resolve_price(
        &deps.querier,
        denom,
        &source,
        quote_decimals,
        kind,
        env.block.time.seconds(),
    )?;
    Ok(resolved.to_response())
}

/// One answer per denom, in the order asked; the first refused price fails the query.
pub fn prices(
    deps: Deps,
    env: &Env,
    denoms: &[String],
    kind: PriceKind,
) -> ContractResult<PricesResponse> {
    let config = CONFIG.load(deps.storage)?;
    let prices = denoms
        .iter()
        .map(|d| price_with(deps, env, config.quote_decimals, d, kind))
        .collect::<ContractResult<Vec<_>>>()?;
    Ok(PricesResponse { prices })
}

pub fn source(deps: Deps, denom: String) -> ContractResult<SourceResponse> {
    let source =
        SOURCES
            .may_load(deps.storage, &denom)?
            .ok_or_else(|| ContractError::UnknownDenom {
                denom: denom.clone(),
            })?;
    Ok(SourceResponse { denom, source })
}

/// Sources in denom order, after `start_after`, at most `page_limit(limit)` of them.
pub fn sources(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<SourcesResponse> {
    let start = start_after.as_deref().map(Bound::exclusive);
    let sources = SOURCES
        .range(deps.storage, start, None, Order::Ascending)
        .take(page_limit(limit))
        .map(|r| r.map(|(denom, source)| SourceResponse { denom, source }))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(SourcesResponse { sources })
}

/// A denom without circuit parameters (or without a source) is always closed. The current
/// Liquidation price, when it can be had, counts too: a live breach shows as open before anyone
/// observes it, exactly as the market sees it when it gates a borrow.
pub fn circuit(deps: Deps, env: &Env, denom: &str) -> ContractResult<CircuitResponse> {
    let Some(record) = CIRCUITS.may_load(deps.storage, denom)? else {
        return Ok(CircuitResponse {
            open: false,
            opened_at: None,
            closes_at: None,
        });
    };
    let current = price(deps, env, denom, PriceKind::Liquidation)
        .ok()
        .map(|p| p.price);
    Ok(record.to_response(env.block.time.seconds(), current))
}
