//! `Reset` (anyone): restarts a lot that is older than its tail or below its cusp from the
//! current oracle price (Maker's `redo`), or, past its `max_resets`, fails it (Exact rule 5):
//! its collateral goes to the backstop's `AbsorbLot` in the same transaction.

use cosmwasm_std::{
    to_json_binary, Attribute, CosmosMsg, DepsMut, Env, MessageInfo, Response, Uint128, WasmMsg,
};

use ballast_types::auction::{Lot, LotKind, LotStatus};
use ballast_types::backstop::ExecuteMsg as BackstopMsg;
use ballast_types::circuit::GatedAction;
use ballast_types::funds::no_funds;
use ballast_types::market::ExecuteMsg as MarketMsg;
use ballast_types::math::{mul_dec, MathError, Rounding};

use crate::curve::start_price;
use crate::error::{ContractError, ContractResult};
use crate::execute::keeper::{accrue, keeper_pay_amount};
use crate::execute::{
    backstop_of, coins, fmt_coin, load_lot, lot_view, market_circuit, market_config, oracle_prices,
    release_caps, status_name,
};
use crate::state::{ACTIVE_LOTS, CONFIG, LOTS, OPEN_SALES, PARAMS};

pub fn reset(deps: DepsMut, env: Env, info: MessageInfo, lot_id: u64) -> ContractResult<Response> {
    no_funds(&info)?;
    let mut lot = load_lot(deps.storage, lot_id)?;
    if lot.status != LotStatus::Active {
        return Err(ContractError::LotNotActive {
            lot_id,
            status: status_name(lot.status).into(),
        });
    }
    let now = env.block.time.seconds();
    let config = CONFIG.load(deps.storage)?;
    let circuit = market_circuit(&deps.querier, &config.market)?;
    circuit.ensure_allows(now, GatedAction::AuctionBidOrReset)?;
    let (price, status) = lot_view(&lot, now, &circuit)?;
    if status != LotStatus::NeedsReset {
        return Err(ContractError::CannotReset { lot_id });
    }
    if lot.resets.saturating_add(1) > lot.max_resets {
        return fail(deps, env, info, lot_id, lot);
    }

    let market = market_config(&deps.querier, &config.market)?;
    let params = PARAMS.load(deps.storage)?;
    let prices = oracle_prices(
        &deps.querier,
        &market.oracle,
        &lot.collateral_denom,
        &lot.debt_denom,
        now,
    )?;
    let start = start_price(prices.ratio, lot.buf)?;
    if start.is_zero() {
        return Err(ContractError::ZeroPrice { lot_id });
    }
    let old_start = lot.start_price;
    lot.start_price = start;
    lot.started_at = now;
    lot.paused_at_start = circuit.clock_paused(now);
    lot.resets += 1;
    LOTS.save(deps.storage, lot_id, &lot)?;

    // Maker's chost condition: pay only for a lot whose tab and collateral value are worth it.
    let tab = lot
        .debt
        .checked_add(lot.penalty)
        .map_err(|_| MathError::Overflow { operation: "tab" })?;
    let collateral_value =
        mul_dec(lot.collateral, prices.ratio, Rounding::Down).unwrap_or(Uint128::MAX);
    let pay_attributes = if tab >= lot.min_debt && collateral_value >= lot.min_debt {
        let amount = keeper_pay_amount(&params, lot.debt, prices.debt)?;
        accrue(deps.storage, &info.sender, &lot.debt_denom, amount)?
    } else {
        vec![Attribute::new("keeper_pay", "none (lot below min_debt)")]
    };

    Ok(Response::new()
        .add_attribute("action", "reset")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("keeper", info.sender)
        .add_attribute("resets", lot.resets.to_string())
        .add_attribute("price_before", price.to_string())
        .add_attribute("start_price_before", old_start.to_string())
        .add_attribute("oracle_price", prices.ratio.to_string())
        .add_attribute("start_price", start.to_string())
        .add_attribute(
            "collateral",
            fmt_coin(lot.collateral, &lot.collateral_denom),
        )
        .add_attribute("tab", fmt_coin(tab, &lot.debt_denom))
        .add_attributes(pay_attributes))
}

/// The reset past `max_resets`: the lot fails. Its caps are freed, and its collateral goes to
/// the backstop's `AbsorbLot` (which reads the failed lot raw), or, when only penalty is left
/// owing, back to the market to close the lot.
fn fail(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    lot_id: u64,
    mut lot: Lot,
) -> ContractResult<Response> {
    let config = CONFIG.load(deps.storage)?;
    let market = market_config(&deps.querier, &config.market)?;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();

    let freed = lot.cap_value;
    release_caps(deps.storage, &lot.collateral_denom, freed)?;
    lot.cap_value = Uint128::zero();
    lot.status = LotStatus::Failed;
    ACTIVE_LOTS.remove(deps.storage, lot_id);
    let sale = lot.kind == LotKind::Sale;
    if sale {
        let open = OPEN_SALES.may_load(deps.storage)?.unwrap_or(0);
        OPEN_SALES.save(deps.storage, &open.saturating_sub(1))?;
    }
    // The failed lot keeps its collateral, debt and penalty_collected: the backstop reads them.
    LOTS.save(deps.storage, lot_id, &lot)?;

    let collateral = coins(&[(&lot.collateral_denom, lot.collateral)])?;
    let (handover, to): (CosmosMsg, &str) = if sale || !lot.debt.is_zero() {
        (
            WasmMsg::Execute {
                contract_addr: backstop_of(&market)?.to_string(),
                msg: to_json_binary(&BackstopMsg::AbsorbLot { lot_id })?,
                funds: collateral,
            }
            .into(),
            "backstop",
        )
    } else {
        (
            WasmMsg::Execute {
                contract_addr: config.market.to_string(),
                msg: to_json_binary(&MarketMsg::ReturnCollateral {
                    borrower: lot.borrower.to_string(),
                    lot_id,
                    penalty_collected: lot.penalty_collected,
                })?,
                funds: collateral,
            }
            .into(),
            "market",
        )
    };

    // The keeper did useful work: pay it, at the debt denom's price if the oracle has one (a
    // lot must be able to fail even when the oracle cannot price it).
    let pay_attributes = match oracle_prices(
        &deps.querier,
        &market.oracle,
        &lot.collateral_denom,
        &lot.debt_denom,
        now,
    ) {
        Ok(prices) => {
            let amount = keeper_pay_amount(&params, lot.debt, prices.debt)?;
            accrue(deps.storage, &info.sender, &lot.debt_denom, amount)?
        }
        Err(e) => vec![Attribute::new(
            "keeper_pay",
            format!("none (price unavailable: {e})"),
        )],
    };

    // The hand-over runs first, so a keeper pay that fails cannot reorder it.
    Ok(Response::new()
        .add_message(handover)
        .add_attribute("action", "reset")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("keeper", info.sender)
        .add_attribute("failed", "true")
        .add_attribute("resets", lot.resets.to_string())
        .add_attribute("max_resets", lot.max_resets.to_string())
        .add_attribute(
            "collateral",
            fmt_coin(lot.collateral, &lot.collateral_denom),
        )
        .add_attribute("collateral_to", to)
        .add_attribute("debt", fmt_coin(lot.debt, &lot.debt_denom))
        .add_attribute("penalty_unpaid", fmt_coin(lot.penalty, &lot.debt_denom))
        .add_attribute(
            "penalty_collected",
            fmt_coin(lot.penalty_collected, &lot.debt_denom),
        )
        .add_attribute("cap_freed", freed)
        .add_attributes(pay_attributes))
}
