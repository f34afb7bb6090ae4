//! `Poke` and the ADL step the backstop forwards (`RunAdl`), with socialisation when no filed
//! supplier is left.

use cosmwasm_std::{
    Addr, BankMsg, Coin, Decimal256, DepsMut, Env, Event, MessageInfo, Response, Storage, Uint128,
    Uint256,
};

use ballast_types::backstop::AdlParams;
use ballast_types::funds::{amount_u128, describe, no_funds};
use ballast_types::market::{Config, Deficit};
use ballast_types::math::{dec256, dec_div, mul_dec, uint_to_dec, value_of, Rounding};
use ballast_types::oracle::PriceKind;

use crate::adl::{self, in_kind_share, max_write_down, next_candidate, top_bucket};
use crate::error::{ContractError, ContractResult};
use crate::execute::cover::save_deficit;
use crate::execute::{adl_params, load_account, store_account, unauthorized};
use crate::health::valuation;
use crate::ledger::{
    account_denoms, add_supply, debt_amount, load_account_with_claims, remove_debt, supply_amount,
    write_down_supply, Ledger,
};
use crate::prices::Prices;
use crate::state::{AdlCursor, ADL_CURSORS, CONFIG, DEFICITS};

/// The most accounts one ADL step may touch.
pub const MAX_ADL_LIMIT: u32 = 50;

/// Anyone: refreshes an account's ADL filings (and credits any social claims it has).
pub fn poke(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    account: String,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let addr = deps.api.addr_validate(&account)?;
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    let before = load_account(deps.storage, &addr)?;
    let mut account = before.clone();
    let mut ledger = Ledger::new(now);
    load_account_with_claims(&mut ledger, deps.storage, &mut account)?;
    let params = adl_params(&deps.querier, &config)?;
    let scores = if account.has_debt() && params.is_some() {
        let prices = Prices::load(
            &deps.querier,
            &config.oracle,
            &account_denoms(&account),
            PriceKind::Liquidation,
            now,
        )?;
        let v = valuation(&ledger, &account, &prices)?;
        adl::scores(&ledger, &account, &v)?
    } else {
        Default::default()
    };
    adl::sync(
        deps.storage,
        &addr,
        &before,
        &mut account,
        params.as_ref(),
        Some(&scores),
    )?;
    ledger.save(deps.storage)?;
    store_account(deps.storage, &addr, &before, &account)?;
    let filed = account
        .supplies
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p.denom,
                p.adl_bucket
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "-".into())
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let scored = scores
        .iter()
        .map(|(d, s)| format!("{d}:{s}"))
        .collect::<Vec<_>>()
        .join(",");
    Ok(Response::new()
        .add_attribute("action", "poke")
        .add_attribute("account", addr)
        .add_attribute("scores", scored)
        .add_attribute("buckets", filed))
}

/// Backstop only: one bounded ADL step against `denom`'s deficit.
pub fn run_adl(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    limit: u32,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    if config.backstop.as_ref() != Some(&info.sender) {
        return Err(unauthorized(&info.sender, "run an ADL step"));
    }
    if limit == 0 || limit > MAX_ADL_LIMIT {
        return Err(ContractError::InvalidLimit {
            limit,
            max: MAX_ADL_LIMIT,
        });
    }
    let params =
        adl_params(&deps.querier, &config)?.ok_or_else(|| ContractError::InvalidConfig {
            reason: "backstop parameters are unreadable".into(),
        })?;
    let mut deficit = DEFICITS.may_load(deps.storage, &denom)?.unwrap_or_default();
    if deficit.amount.is_zero() {
        return Err(ContractError::NoDeficit { denom });
    }
    let now = env.block.time.seconds();
    let mut ledger = Ledger::new(now);
    ledger.load(deps.storage, &denom)?;
    let mut prices = Prices::empty(PriceKind::Liquidation);
    let mut response = Response::new()
        .add_attribute("action", "run_adl")
        .add_attribute("denom", &denom);
    let mut processed = 0u32;
    let mut written_total = Uint128::zero();
    let mut socialized = Uint128::zero();
    let mut messages = vec![];
    while processed < limit && !deficit.amount.is_zero() {
        let Some((bucket, bucket_scaled)) = top_bucket(deps.storage, &denom, params.buckets.len())?
        else {
            let (amount, msgs, event) =
                socialize(deps.storage, &mut ledger, &denom, &mut deficit, &config)?;
            socialized = amount;
            messages.extend(msgs);
            response = response.add_event(event);
            break;
        };
        let cursor = ADL_CURSORS
            .may_load(deps.storage, &denom)?
            .filter(|c| c.bucket == bucket);
        let candidate = next_candidate(
            deps.storage,
            &denom,
            bucket,
            cursor.as_ref().map(|c| &c.after),
        )?;
        let Some(candidate) = candidate else {
            if cursor.is_some() {
                // End of a round through the bucket: the next round recomputes its fraction.
                ADL_CURSORS.remove(deps.storage, &denom);
            } else {
                // A total with no entries behind it cannot happen; repair rather than loop.
                crate::state::ADL_BUCKET_SUPPLY.remove(deps.storage, (&denom, bucket));
            }
            continue;
        };
        // The fraction of their supply that this round takes from every account in the bucket:
        // fixed for the round, so the write-down is pro rata however many steps it takes.
        let fraction = match &cursor {
            Some(c) => c.fraction,
            None => {
                let index = ledger.load(deps.storage, &denom)?.state.liquidity_index;
                let bucket_supply = uint_to_dec(bucket_scaled)
                    .checked_mul(index)
                    .unwrap_or(Decimal256::MAX);
                dec_div(uint_to_dec(deficit.amount), bucket_supply, Rounding::Up)?
                    .min(Decimal256::one())
            }
        };
        ADL_CURSORS.save(
            deps.storage,
            &denom,
            &AdlCursor {
                bucket,
                after: candidate.clone(),
                fraction,
            },
        )?;
        processed += 1;
        let outcome = deleverage(
            deps.storage,
            &deps.querier,
            &config,
            &mut ledger,
            &mut prices,
            &mut deficit,
            &denom,
            &candidate,
            bucket,
            fraction,
            &params,
        )?;
        written_total += outcome.written;
        response = response.add_event(outcome.event);
    }
    let was_pending = DEFICITS
        .may_load(deps.storage, &denom)?
        .is_some_and(|d| !d.amount.is_zero());
    save_deficit(deps.storage, &denom, &deficit, was_pending)?;
    ledger.save(deps.storage)?;
    Ok(response
        .add_messages(messages)
        .add_attribute("accounts", processed.to_string())
        .add_attribute("written_down", written_total)
        .add_attribute("socialized", socialized)
        .add_attribute("deficit", deficit.amount))
}

struct Outcome {
    written: Uint128,
    event: Event,
}

/// Deleverages one candidate: re-files it if its score fell below the bucket; otherwise nets
/// its supply of `denom` against its own debt of it, writes down its pro-rata share (capped by
/// `adl_min_hf` and by the deficit), and credits it the matching in-kind collateral.
#[allow(clippy::too_many_arguments)]
fn deleverage(
    storage: &mut dyn Storage,
    querier: &cosmwasm_std::QuerierWrapper,
    config: &Config,
    ledger: &mut Ledger,
    prices: &mut Prices,
    deficit: &mut Deficit,
    denom: &str,
    candidate: &Addr,
    bucket: u8,
    fraction: Decimal256,
    params: &AdlParams,
) -> ContractResult<Outcome> {
    let before = load_account(storage, candidate)?;
    let mut account = before.clone();
    // Every claim, not only the one on `denom`: what it is owed counts in its cap, and crediting
    // in-kind coins below must not settle a claim in a denom whose price is not loaded.
    load_account_with_claims(ledger, storage, &mut account)?;
    let in_kind_denoms: Vec<String> = deficit
        .collateral_in_kind
        .iter()
        .map(|c| c.denom.clone())
        .collect();
    for d in &in_kind_denoms {
        ledger.load(storage, d)?;
    }
    let mut needed = account_denoms(&account);
    needed.extend(in_kind_denoms.iter().cloned());
    prices.ensure(querier, &config.oracle, &needed, ledger.now)?;

    let current = valuation(ledger, &account, prices)?;
    let scores = adl::scores(ledger, &account, &current)?;
    let current_bucket = scores.get(denom).map(|s| params.bucket_of(*s));
    let event = Event::new("ballast_adl")
        .add_attribute("account", candidate.as_str())
        .add_attribute("denom", denom);
    if current_bucket.is_none_or(|b| b < bucket) {
        adl::sync(
            storage,
            candidate,
            &before,
            &mut account,
            Some(params),
            Some(&scores),
        )?;
        store_account(storage, candidate, &before, &account)?;
        return Ok(Outcome {
            written: Uint128::zero(),
            event: event
                .add_attribute(
                    "refiled",
                    current_bucket
                        .map(|b| b.to_string())
                        .unwrap_or_else(|| "none".into()),
                )
                .add_attribute("written_down", "0")
                .add_attribute("credited", ""),
        });
    }

    let supply = supply_amount(ledger, &account, denom)?;
    let share = mul_dec(supply, fraction, Rounding::Up)?.min(supply);
    // A loop unwound at par: supply of the denom against debt of it, no price impact.
    let owed = debt_amount(ledger, &account, denom)?;
    let netted = supply.min(owed);
    if !netted.is_zero() {
        let removed = remove_debt(
            ledger,
            storage,
            &mut account,
            candidate.as_str(),
            denom,
            Some(netted),
        )?;
        write_down_supply(ledger, storage, &mut account, denom, removed)?;
    }
    let left = supply_amount(ledger, &account, denom)?;
    let mut written = share.min(left).min(deficit.amount);
    if !written.is_zero() {
        let after_netting = valuation(ledger, &account, prices)?;
        let denom_weight = if account.supply(denom).is_some_and(|p| p.collateral) {
            threshold_weight(ledger, prices, denom, Uint128::one())?
        } else {
            Decimal256::zero()
        };
        let mut in_kind_weighted = Decimal256::zero();
        let mut in_kind_unit_weights = vec![];
        for coin in &deficit.collateral_in_kind {
            // The credit joins the account's position in that denom: it backs the account only
            // if that position is collateral (a new position is). A supply the account took out
            // of collateral weighs nothing, or ADL could swap its collateral for it.
            if account.supply(&coin.denom).is_some_and(|p| !p.collateral) {
                continue;
            }
            let amount = amount_u128(coin).unwrap_or(Uint128::MAX);
            in_kind_weighted = in_kind_weighted.saturating_add(threshold_weight(
                ledger,
                prices,
                &coin.denom,
                amount,
            )?);
            in_kind_unit_weights.push(threshold_weight(
                ledger,
                prices,
                &coin.denom,
                Uint128::one(),
            )?);
        }
        let in_kind_weight = dec_div(
            in_kind_weighted,
            uint_to_dec(deficit.amount),
            Rounding::Down,
        )?;
        let margin = adl::rounding_margin(denom_weight, &in_kind_unit_weights);
        if let Some(cap) = max_write_down(
            after_netting.weighted_collateral,
            margin,
            after_netting.debt_value,
            params.min_hf,
            denom_weight,
            in_kind_weight,
        )? {
            written = written.min(cap);
        }
    }

    let mut credited: Vec<Coin> = vec![];
    if written.is_zero() {
        // It can take nothing more: it leaves the index until it acts or is poked.
        let mut fresh = adl::scores(ledger, &account, &valuation(ledger, &account, prices)?)?;
        fresh.remove(denom);
        adl::sync(
            storage,
            candidate,
            &before,
            &mut account,
            Some(params),
            Some(&fresh),
        )?;
        if let Some(p) = account.supply_mut(denom) {
            p.adl_bucket = None;
        }
    } else {
        write_down_supply(ledger, storage, &mut account, denom, written)?;
        for coin in deficit.collateral_in_kind.clone() {
            let held = amount_u128(&coin).unwrap_or(Uint128::MAX);
            let amount = in_kind_share(held, written, deficit.amount)?;
            if amount.is_zero() {
                continue;
            }
            add_supply(ledger, storage, &mut account, &coin.denom, amount, true)?;
            if let Some(c) = deficit
                .collateral_in_kind
                .iter_mut()
                .find(|c| c.denom == coin.denom)
            {
                c.amount -= Uint256::from(amount);
            }
            credited.push(Coin::new(amount, coin.denom));
        }
        deficit.collateral_in_kind.retain(|c| !c.amount.is_zero());
        deficit.amount -= written;
        let after = valuation(ledger, &account, prices)?;
        let scores = adl::scores(ledger, &account, &after)?;
        adl::sync(
            storage,
            candidate,
            &before,
            &mut account,
            Some(params),
            Some(&scores),
        )?;
    }
    store_account(storage, candidate, &before, &account)?;
    Ok(Outcome {
        written,
        event: event
            .add_attribute("netted", netted)
            .add_attribute("written_down", written)
            .add_attribute("credited", describe(&credited)),
    })
}

/// What `amount` of `denom` adds to weighted collateral: its value × liquidation threshold,
/// saturating at `Decimal256::MAX` rather than failing the step.
fn threshold_weight(
    ledger: &Ledger,
    prices: &Prices,
    denom: &str,
    amount: Uint128,
) -> ContractResult<Decimal256> {
    let threshold = dec256(ledger.get(denom)?.liquidation_threshold(ledger.now));
    Ok(value_of(amount, prices.price(denom)?)?
        .checked_mul(threshold)
        .unwrap_or(Decimal256::MAX))
}

/// No filed supplier is left: the rest of the deficit is borne pro rata by all of `denom`'s
/// suppliers through its liquidity index, and the collateral still held in kind is owed to them
/// pro rata (credited when each supply is next touched or poked).
fn socialize(
    storage: &mut dyn Storage,
    ledger: &mut Ledger,
    denom: &str,
    deficit: &mut Deficit,
    config: &Config,
) -> ContractResult<(Uint128, Vec<cosmwasm_std::CosmosMsg>, Event)> {
    let amount = deficit.amount;
    let asset = ledger.load(storage, denom)?;
    let index_before = asset.state.liquidity_index;
    let total = asset.state.total_supply_scaled;
    let mut unabsorbed = Uint128::zero();
    let mut messages = vec![];
    if total.is_zero() {
        unabsorbed = amount;
    } else {
        let drop = dec_div(uint_to_dec(amount), uint_to_dec(total), Rounding::Up)?;
        if drop >= index_before {
            // The loss exceeds everything supplied: suppliers lose it all and the rest is recorded.
            let floor = Decimal256::new(Uint256::one());
            let absorbed =
                ballast_types::math::mul_dec(total, index_before - floor, Rounding::Down)?;
            unabsorbed = amount.saturating_sub(absorbed);
            asset.state.liquidity_index = floor;
        } else {
            asset.state.liquidity_index = index_before - drop;
        }
        asset.dirty = true;
    }
    let holders = total.saturating_sub(asset.state.reserve_scaled);
    let in_kind = std::mem::take(&mut deficit.collateral_in_kind);
    if holders.is_zero() {
        if let Some(backstop) = &config.backstop {
            if !in_kind.is_empty() {
                messages.push(
                    BankMsg::Send {
                        to_address: backstop.to_string(),
                        amount: in_kind.clone(),
                    }
                    .into(),
                );
            }
        }
    } else {
        for coin in &in_kind {
            let held = amount_u128(coin).unwrap_or(Uint128::MAX);
            let per_scaled = dec_div(uint_to_dec(held), uint_to_dec(holders), Rounding::Down)?;
            match asset
                .state
                .social_per_scaled
                .iter_mut()
                .find(|(d, _)| *d == coin.denom)
            {
                Some((_, cumulative)) => *cumulative += per_scaled,
                None => asset
                    .state
                    .social_per_scaled
                    .push((coin.denom.clone(), per_scaled)),
            }
            crate::execute::cover::merge_coin(&mut asset.state.social_unclaimed, coin);
        }
    }
    deficit.amount = Uint128::zero();
    let event = Event::new("ballast_adl_socialize")
        .add_attribute("denom", denom)
        .add_attribute("amount", amount)
        .add_attribute("unabsorbed", unabsorbed)
        .add_attribute("index_before", index_before.to_string())
        .add_attribute("index_after", asset.state.liquidity_index.to_string())
        .add_attribute("in_kind", describe(&in_kind));
    Ok((amount, messages, event))
}
