//! `Poke` and the ADL step the backstop forwards (`RunAdl`), with socialisation when no filed
//! supplier is left.

use cosmwasm_std::{
    Addr, BankMsg, Coin, Decimal256, DepsMut, Env, Event, MessageInfo, Response, Uint128, Uint256,
};

use ballast_types::backstop::AdlParams;
use ballast_types::circuit::GatedAction;
use ballast_types::funds::{amount_u128, describe, no_funds};
use ballast_types::market::Deficit;
use ballast_types::math::{dec256, dec_div, mul_dec, uint_to_dec, value_of, Rounding};
use ballast_types::oracle::PriceKind;

use crate::adl::{self, in_kind_share, max_write_down, next_candidate, top_bucket};
use crate::error::{ContractError, ContractResult};
use crate::execute::cover::save_deficit;
use crate::execute::unauthorized;
use crate::gate::{health_denoms, AccountChange, Books, Change};
use crate::health::valuation;
use crate::ledger::{
    add_supply, debt_amount, remove_debt, supply_amount, write_down_supply, Ledger,
};
use crate::prices::Prices;
use crate::state::{AdlCursor, ADL_CURSORS, DEFICITS};

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
    let mut books = Books::new(deps, &env)?;
    let change = books.open(&addr)?;
    let prices = if change.account.has_debt() && books.adl_params()?.is_some() {
        Some(books.prices_for(&change.account, PriceKind::Liquidation, &[])?)
    } else {
        None
    };
    let committed = books.commit(
        change,
        Change::Judged {
            prices: prices.as_ref(),
            drop: None,
        },
    )?;
    books.finish()?;
    let filed = committed
        .account
        .supplies
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p.denom,
                p.adl_bucket.map_or("-".into(), |b| b.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let scored = committed
        .scores
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
    let mut books = Books::new(deps, &env)?;
    if books.config()?.backstop.as_ref() != Some(&info.sender) {
        return Err(unauthorized(&info.sender, "run an ADL step"));
    }
    books.ensure_allows(GatedAction::AdlStep)?;
    if limit == 0 || limit > MAX_ADL_LIMIT {
        return Err(ContractError::InvalidLimit {
            limit,
            max: MAX_ADL_LIMIT,
        });
    }
    let params = books
        .adl_params()?
        .ok_or_else(|| ContractError::InvalidConfig {
            reason: "backstop parameters are unreadable".into(),
        })?;
    let mut deficit = DEFICITS
        .may_load(books.storage, &denom)?
        .unwrap_or_default();
    if deficit.amount.is_zero() {
        return Err(ContractError::NoDeficit { denom });
    }
    books.ledger.load(books.storage, &denom)?;
    let mut prices = Prices::empty(PriceKind::Liquidation);
    let mut response = Response::new()
        .add_attribute("action", "run_adl")
        .add_attribute("denom", &denom);
    let mut processed = 0u32;
    let mut written_total = Uint128::zero();
    let mut socialized = Uint128::zero();
    let mut messages = vec![];
    while processed < limit && !deficit.amount.is_zero() {
        let Some(round) = next_round(&mut books, &denom, &params, &deficit)? else {
            let (amount, msgs, event) = socialize(&mut books, &denom, &mut deficit)?;
            socialized = amount;
            messages.extend(msgs);
            response = response.add_event(event);
            break;
        };
        let Some(candidate) = round.candidate.clone() else {
            continue;
        };
        processed += 1;
        let outcome = deleverage(
            &mut books,
            &mut prices,
            &params,
            &round,
            &mut deficit,
            &candidate,
        )?;
        written_total += outcome.written;
        response = response.add_event(outcome.event);
    }
    let was_pending = DEFICITS
        .may_load(books.storage, &denom)?
        .is_some_and(|d| !d.amount.is_zero());
    save_deficit(books.storage, &denom, &deficit, was_pending)?;
    books.finish()?;
    Ok(response
        .add_messages(messages)
        .add_attribute("accounts", processed.to_string())
        .add_attribute("written_down", written_total)
        .add_attribute("socialized", socialized)
        .add_attribute("deficit", deficit.amount))
}

/// Where a step stands inside `denom`'s top bucket: the fraction of their supply this round
/// takes from every account in it, and the next candidate (`None` at the end of a round).
struct Round {
    denom: String,
    bucket: u8,
    fraction: Decimal256,
    candidate: Option<Addr>,
}

/// The round the next candidate belongs to; `None` when no filed supplier is left. The
/// fraction is fixed for a round, so the write-down is pro rata however many steps it takes.
fn next_round(
    books: &mut Books,
    denom: &str,
    params: &AdlParams,
    deficit: &Deficit,
) -> ContractResult<Option<Round>> {
    let Some((bucket, bucket_scaled)) = top_bucket(books.storage, denom, params.buckets.len())?
    else {
        return Ok(None);
    };
    let cursor = ADL_CURSORS
        .may_load(books.storage, denom)?
        .filter(|c| c.bucket == bucket);
    let candidate = next_candidate(
        books.storage,
        denom,
        bucket,
        cursor.as_ref().map(|c| &c.after),
    )?;
    let Some(candidate) = candidate else {
        if cursor.is_some() {
            // End of a round through the bucket: the next round recomputes its fraction.
            ADL_CURSORS.remove(books.storage, denom);
        } else {
            // A total with no entries behind it cannot happen; repair rather than loop.
            crate::state::ADL_BUCKET_SUPPLY.remove(books.storage, (denom, bucket));
        }
        return Ok(Some(Round {
            denom: denom.to_string(),
            bucket,
            fraction: Decimal256::zero(),
            candidate: None,
        }));
    };
    let fraction = match &cursor {
        Some(c) => c.fraction,
        None => {
            let index = books
                .ledger
                .load(books.storage, denom)?
                .state
                .liquidity_index;
            let bucket_supply = uint_to_dec(bucket_scaled)
                .checked_mul(index)
                .unwrap_or(Decimal256::MAX);
            dec_div(uint_to_dec(deficit.amount), bucket_supply, Rounding::Up)?
                .min(Decimal256::one())
        }
    };
    ADL_CURSORS.save(
        books.storage,
        denom,
        &AdlCursor {
            bucket,
            after: candidate.clone(),
            fraction,
        },
    )?;
    Ok(Some(Round {
        denom: denom.to_string(),
        bucket,
        fraction,
        candidate: Some(candidate),
    }))
}

struct Outcome {
    written: Uint128,
    event: Event,
}

/// Deleverages one candidate: passes it over if it cannot be judged (a price is refused: it
/// leaves the index, the step goes on); re-files it if its score fell below the bucket;
/// otherwise nets its supply of the denom against its own debt of it, writes down its pro-rata
/// share (capped by `adl_min_hf` and by the deficit), and credits it the matching in-kind
/// collateral.
fn deleverage(
    books: &mut Books,
    prices: &mut Prices,
    params: &AdlParams,
    round: &Round,
    deficit: &mut Deficit,
    candidate: &Addr,
) -> ContractResult<Outcome> {
    let denom = round.denom.as_str();
    let mut change = books.open(candidate)?;
    let in_kind_denoms: Vec<String> = deficit
        .collateral_in_kind
        .iter()
        .map(|c| c.denom.clone())
        .collect();
    for d in &in_kind_denoms {
        books.ledger.load(books.storage, d)?;
    }
    let mut needed = health_denoms(&change.account);
    needed.extend(in_kind_denoms.iter().cloned());
    prices.ensure(
        &books.querier,
        &books.config()?.oracle,
        &needed,
        books.now(),
    )?;
    let event = Event::new("ballast_adl")
        .add_attribute("account", candidate.as_str())
        .add_attribute("denom", denom);

    let current = match valuation(&books.ledger, &change.account, prices) {
        Ok(current) => current,
        Err(ContractError::Price(refused)) => {
            books.commit(
                change,
                Change::Judged {
                    prices: None,
                    drop: Some(denom),
                },
            )?;
            return Ok(Outcome {
                written: Uint128::zero(),
                event: event
                    .add_attribute("passed_over", refused.to_string())
                    .add_attribute("written_down", "0")
                    .add_attribute("credited", ""),
            });
        }
        Err(e) => return Err(e),
    };
    let scores = adl::scores(&books.ledger, &change.account, &current)?;
    let current_bucket = scores.get(denom).map(|s| params.bucket_of(*s));
    if current_bucket.is_none_or(|b| b < round.bucket) {
        books.commit(
            change,
            Change::Judged {
                prices: Some(prices),
                drop: None,
            },
        )?;
        return Ok(Outcome {
            written: Uint128::zero(),
            event: event
                .add_attribute(
                    "refiled",
                    current_bucket.map_or("none".into(), |b| b.to_string()),
                )
                .add_attribute("written_down", "0")
                .add_attribute("credited", ""),
        });
    }

    let (netted, written) = net_and_size(books, prices, params, round, deficit, &mut change)?;
    let mut credited: Vec<Coin> = vec![];
    if !written.is_zero() {
        credited = write_down_and_credit(books, deficit, &mut change, denom, written)?;
    }
    // A candidate that can take nothing more leaves the index until it acts or is poked. One
    // credited in a denom without a price cannot be rescored now: it keeps its filings (the
    // credit joins its lowest), and the step goes on.
    let rescorable = valuation(&books.ledger, &change.account, prices).is_ok();
    books.commit(
        change,
        Change::Judged {
            prices: rescorable.then_some(&*prices),
            drop: written.is_zero().then_some(denom),
        },
    )?;
    Ok(Outcome {
        written,
        event: event
            .add_attribute("netted", netted)
            .add_attribute("written_down", written)
            .add_attribute("credited", describe(&credited)),
    })
}

/// Nets the candidate's supply of the denom against its own debt of it (a loop unwound at par,
/// no price impact), then sizes its write-down: its share of the round, capped by the deficit
/// and by `adl_min_hf`. Returns (netted, write-down).
fn net_and_size(
    books: &mut Books,
    prices: &Prices,
    params: &AdlParams,
    round: &Round,
    deficit: &Deficit,
    change: &mut AccountChange,
) -> ContractResult<(Uint128, Uint128)> {
    let denom = round.denom.as_str();
    let ledger = &mut books.ledger;
    let account = &mut change.account;
    let supply = supply_amount(ledger, account, denom)?;
    let share = mul_dec(supply, round.fraction, Rounding::Up)?.min(supply);
    let owed = debt_amount(ledger, account, denom)?;
    let netted = supply.min(owed);
    if !netted.is_zero() {
        let removed = remove_debt(
            ledger,
            books.storage,
            account,
            change.addr.as_str(),
            denom,
            Some(netted),
        )?;
        write_down_supply(ledger, books.storage, account, denom, removed)?;
    }
    let left = supply_amount(ledger, account, denom)?;
    let mut written = share.min(left).min(deficit.amount);
    if written.is_zero() {
        return Ok((netted, written));
    }
    let after_netting = valuation(ledger, account, prices)?;
    let denom_weight = if account.supply(denom).is_some_and(|p| p.collateral) {
        threshold_weight(ledger, prices, denom, Uint128::one())?
    } else {
        Decimal256::zero()
    };
    let mut in_kind_weighted = Decimal256::zero();
    let mut in_kind_unit_weights = vec![];
    for coin in &deficit.collateral_in_kind {
        // The credit joins the account's position in that denom: it backs the account only if
        // that position is collateral (a new position is). A supply the account took out of
        // collateral weighs nothing, or ADL could swap its collateral for it.
        if account.supply(&coin.denom).is_some_and(|p| !p.collateral) {
            continue;
        }
        let amount = amount_u128(coin).unwrap_or(Uint128::MAX);
        in_kind_weighted =
            in_kind_weighted.saturating_add(threshold_weight(ledger, prices, &coin.denom, amount)?);
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
    Ok((netted, written))
}

/// Writes `written` of the candidate's supply down and credits it the matching share of the
/// collateral held in kind (the last write-down takes all that is left).
fn write_down_and_credit(
    books: &mut Books,
    deficit: &mut Deficit,
    change: &mut AccountChange,
    denom: &str,
    written: Uint128,
) -> ContractResult<Vec<Coin>> {
    let (ledger, storage, account) = (&mut books.ledger, &mut *books.storage, &mut change.account);
    write_down_supply(ledger, storage, account, denom, written)?;
    let mut credited = vec![];
    for coin in deficit.collateral_in_kind.clone() {
        let held = amount_u128(&coin).unwrap_or(Uint128::MAX);
        let amount = in_kind_share(held, written, deficit.amount)?;
        if amount.is_zero() {
            continue;
        }
        add_supply(ledger, storage, account, &coin.denom, amount, true)?;
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
    Ok(credited)
}

/// What `amount` of `denom` adds to weighted collateral: its value × liquidation threshold,
/// saturating at `Decimal256::MAX` rather than failing the step. A denom without a price weighs
/// nothing: in-kind credit so valued cannot raise the cap, and the written-down denom has a
/// price whenever it counts in the candidate's health.
fn threshold_weight(
    ledger: &Ledger,
    prices: &Prices,
    denom: &str,
    amount: Uint128,
) -> ContractResult<Decimal256> {
    let Ok(price) = prices.get(denom) else {
        return Ok(Decimal256::zero());
    };
    let threshold = dec256(ledger.get(denom)?.liquidation_threshold(ledger.now));
    Ok(value_of(amount, price.price)?
        .checked_mul(threshold)
        .unwrap_or(Decimal256::MAX))
}

/// No filed supplier is left: the rest of the deficit is borne pro rata by all of `denom`'s
/// suppliers through its liquidity index, and the collateral still held in kind is owed to them
/// pro rata (credited when each supply is next touched or poked).
fn socialize(
    books: &mut Books,
    denom: &str,
    deficit: &mut Deficit,
) -> ContractResult<(Uint128, Vec<cosmwasm_std::CosmosMsg>, Event)> {
    let amount = deficit.amount;
    let backstop = books.config()?.backstop.clone();
    let asset = books.ledger.load(books.storage, denom)?;
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
        if let Some(backstop) = &backstop {
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
