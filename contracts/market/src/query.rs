//! Queries. Balances are shown as of the block time (indices accrued in memory).

use cosmwasm_std::{Decimal256, Deps, Env, Order, StdResult, Uint128};
use cw_storage_plus::Bound;

use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{
    AdlQueueEntry, AdlQueueResponse, AssetResponse, AssetsResponse, CircuitLevelResponse,
    CoinValue, Config, DeficitResponse, DeficitsResponse, LiquidatableAccount,
    LiquidatableResponse, PositionResponse, SupplyValue, UnpricedAccount,
};
use ballast_types::math::{dec_saturating, dec_to_uint, scaled, value_of, Rounding};
use ballast_types::oracle::PriceKind;
use ballast_types::page_limit;

use crate::error::{ContractError, ContractResult};
use crate::gate::health_denoms;
use crate::health::{capacity, valuation};
use crate::ledger::{account_denoms, debt_amount, load_account_with_claims, supply_amount, Ledger};
use crate::prices::Prices;
use crate::state::{
    Account, ACCOUNTS, ADL_BUCKET_SUPPLY, ADL_INDEX, ASSETS, BORROWERS, CIRCUIT, CONFIG, DEFICITS,
};

pub fn config(deps: Deps) -> StdResult<Config> {
    CONFIG.load(deps.storage)
}

pub fn asset(deps: Deps, env: &Env, denom: &str) -> ContractResult<AssetResponse> {
    let now = env.block.time.seconds();
    let mut ledger = Ledger::new(now);
    let asset = ledger.load(deps.storage, denom)?;
    let state = &asset.state;
    Ok(AssetResponse {
        denom: denom.to_string(),
        params: asset.config.params.clone(),
        liquidation_threshold: asset.liquidation_threshold(now),
        liquidation_threshold_ramp: asset.config.lt_ramp.clone().filter(|r| now < r.end),
        liquidity_index: state.liquidity_index,
        borrow_index: state.borrow_index,
        borrow_rate: state.borrow_rate,
        supply_rate: state.supply_rate,
        utilization: state.utilization()?,
        total_supply: state.total_supply()?,
        total_debt: state.total_debt()?,
        debt_in_auction: state.debt_in_auction,
        cash: state.cash,
        reserves: state.reserves()?,
        deficit: DEFICITS
            .may_load(deps.storage, denom)?
            .map(|d| d.amount)
            .unwrap_or_default(),
        last_updated: state.last_updated,
    })
}

pub fn assets(
    deps: Deps,
    env: &Env,
    start_after: Option<String>,
    limit: Option<u32>,
) -> ContractResult<AssetsResponse> {
    let start = start_after.as_deref().map(Bound::exclusive);
    let denoms = ASSETS
        .keys(deps.storage, start, None, Order::Ascending)
        .take(page_limit(limit))
        .collect::<StdResult<Vec<_>>>()?;
    let assets = denoms
        .iter()
        .map(|d| asset(deps, env, d))
        .collect::<ContractResult<Vec<_>>>()?;
    Ok(AssetsResponse { assets })
}

/// The account with its social claims credited (in memory), as its next action would see it.
fn current_account(deps: Deps, ledger: &mut Ledger, account: &Account) -> ContractResult<Account> {
    let mut account = account.clone();
    load_account_with_claims(ledger, deps.storage, &mut account)?;
    Ok(account)
}

pub fn position(deps: Deps, env: &Env, account: String) -> ContractResult<PositionResponse> {
    let addr = deps.api.addr_validate(&account)?;
    let now = env.block.time.seconds();
    let config = CONFIG.load(deps.storage)?;
    let stored = ACCOUNTS.may_load(deps.storage, &addr)?.unwrap_or_default();
    let mut ledger = Ledger::new(now);
    let balances = current_account(deps, &mut ledger, &stored)?;
    let denoms = account_denoms(&balances);
    let prices = Prices::load(
        &deps.querier,
        &config.oracle,
        &denoms,
        PriceKind::Liquidation,
        now,
    )?;
    let mut supply = vec![];
    for p in &balances.supplies {
        let amount = supply_amount(&ledger, &balances, &p.denom)?;
        let value = match prices.price(&p.denom) {
            Ok(price) => Some(dec_to_uint(value_of(amount, price)?, Rounding::Down)?),
            Err(_) => None,
        };
        supply.push(SupplyValue {
            denom: p.denom.clone(),
            amount,
            value,
            collateral: p.collateral,
        });
    }
    let mut debt = vec![];
    for p in &balances.debts {
        let amount = debt_amount(&ledger, &balances, &p.denom)?;
        debt.push(CoinValue {
            denom: p.denom.clone(),
            amount,
            value: dec_to_uint(value_of(amount, prices.price(&p.denom)?)?, Rounding::Up)?,
        });
    }
    let health = valuation(&ledger, &balances, &prices)?;
    let health_factor = health.health_factor()?;
    // Borrowing power uses Default prices (collateral without one counts as zero); when a
    // debt's is refused, there is no figure to give.
    let default_prices = Prices::load(
        &deps.querier,
        &config.oracle,
        &health_denoms(&balances),
        PriceKind::Default,
        now,
    )?;
    let max_borrow_value = match capacity(&ledger, &balances, &default_prices) {
        Ok(capacity) => Some(dec_to_uint(capacity.headroom(), Rounding::Down)?),
        Err(_) => None,
    };
    Ok(PositionResponse {
        account: addr.to_string(),
        supply,
        debt,
        total_collateral_value: dec_to_uint(health.collateral_value, Rounding::Down)?,
        total_debt_value: dec_to_uint(health.debt_value, Rounding::Up)?,
        health_factor: health_factor.map(dec_saturating),
        max_borrow_value,
        liquidatable: health_factor.is_some_and(|hf| hf < Decimal256::one()),
        open_lots: stored.open_lots,
    })
}

/// Scans up to `limit` indebted accounts after `start_after`; returns the liquidatable ones
/// (health factor below 1 at Liquidation prices) and where the next page starts.
pub fn liquidatable(
    deps: Deps,
    env: &Env,
    start_after: Option<String>,
    limit: Option<u32>,
) -> ContractResult<LiquidatableResponse> {
    let now = env.block.time.seconds();
    let config = CONFIG.load(deps.storage)?;
    let start = match &start_after {
        Some(a) => Some(deps.api.addr_validate(a)?),
        None => None,
    };
    let limit = page_limit(limit);
    let page = BORROWERS
        .keys(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit + 1)
        .collect::<StdResult<Vec<_>>>()?;
    let more = page.len() > limit;
    let scanned = &page[..page.len().min(limit)];
    let mut ledger = Ledger::new(now);
    let mut prices = Prices::empty(PriceKind::Liquidation);
    let mut accounts = vec![];
    let mut unpriced = vec![];
    for addr in scanned {
        let stored = ACCOUNTS.may_load(deps.storage, addr)?.unwrap_or_default();
        let account = current_account(deps, &mut ledger, &stored)?;
        prices.ensure(&deps.querier, &config.oracle, &health_denoms(&account), now)?;
        let health = match valuation(&ledger, &account, &prices) {
            Ok(health) => health,
            // Not skipped: a keeper that can cure the refusal (a Pyth update) needs to know.
            Err(ContractError::Price(refused)) => {
                unpriced.push(UnpricedAccount {
                    account: addr.to_string(),
                    reason: refused.to_string(),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(hf) = health.health_factor()? {
            if hf < Decimal256::one() {
                accounts.push(LiquidatableAccount {
                    account: addr.to_string(),
                    health_factor: dec_saturating(hf),
                    debt_value: dec_to_uint(health.debt_value, Rounding::Up)?,
                });
            }
        }
    }
    Ok(LiquidatableResponse {
        accounts,
        unpriced,
        next: if more {
            scanned.last().map(|a| a.to_string())
        } else {
            None
        },
    })
}

pub fn circuit_level(deps: Deps, env: &Env) -> ContractResult<CircuitLevelResponse> {
    let now = env.block.time.seconds();
    let circuit = CIRCUIT.may_load(deps.storage)?.unwrap_or_default();
    let liquidations_resume_at = circuit.resume_at.filter(|t| now < *t);
    let auto_active = circuit.auto_until.is_some_and(|u| now < u);
    Ok(CircuitLevelResponse {
        level: circuit.level_at(now),
        raised_at: circuit.raised_at,
        liquidations_resume_at,
        auto_level: if auto_active {
            circuit.auto_level
        } else {
            CircuitLevel::Normal
        },
        auto_until: circuit.auto_until.filter(|_| auto_active),
    })
}

pub fn deficit(deps: Deps, denom: String) -> StdResult<DeficitResponse> {
    let d = DEFICITS.may_load(deps.storage, &denom)?.unwrap_or_default();
    Ok(DeficitResponse {
        denom,
        amount: d.amount,
        collateral_in_kind: d.collateral_in_kind,
    })
}

pub fn deficits(deps: Deps) -> StdResult<DeficitsResponse> {
    let deficits = DEFICITS
        .range(deps.storage, None, None, Order::Ascending)
        .map(|r| {
            r.map(|(denom, d)| DeficitResponse {
                denom,
                amount: d.amount,
                collateral_in_kind: d.collateral_in_kind,
            })
        })
        .collect::<StdResult<Vec<_>>>()?;
    Ok(DeficitsResponse { deficits })
}

/// The accounts ADL would take next for `denom`: highest bucket first, address order inside.
pub fn adl_queue(
    deps: Deps,
    env: &Env,
    denom: String,
    limit: Option<u32>,
) -> ContractResult<AdlQueueResponse> {
    let limit = page_limit(limit);
    let mut ledger = Ledger::new(env.block.time.seconds());
    let index = ledger.load(deps.storage, &denom)?.state.liquidity_index;
    let mut entries = vec![];
    let buckets = ADL_BUCKET_SUPPLY
        .prefix(&denom)
        .keys(deps.storage, None, None, Order::Descending)
        .collect::<StdResult<Vec<u8>>>()?;
    for bucket in buckets {
        for item in
            ADL_INDEX
                .prefix((&denom, bucket))
                .range(deps.storage, None, None, Order::Ascending)
        {
            if entries.len() >= limit {
                return Ok(AdlQueueResponse { entries });
            }
            let (addr, score) = item?;
            let account = ACCOUNTS.may_load(deps.storage, &addr)?.unwrap_or_default();
            let scaled_supply = account.supply(&denom).map(|p| p.scaled).unwrap_or_default();
            entries.push(AdlQueueEntry {
                account: addr.to_string(),
                score,
                supply: scaled::supply_amount(scaled_supply, index).unwrap_or(Uint128::MAX),
            });
        }
    }
    Ok(AdlQueueResponse { entries })
}
