//! `StartAuction` (market only): opens a liquidation lot with the collateral sent.

use cosmwasm_std::{Decimal256, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::auction::{Lot, LotKind, LotStatus};
use ballast_types::funds::one_coin;
use ballast_types::math::{dec_to_uint, value_of, MathError, Rounding};

use crate::curve::start_price;
use crate::error::{ContractError, ContractResult};
use crate::execute::keeper::{accrue, keeper_pay_amount};
use crate::execute::{fmt_coin, market_circuit, next_id, reserve_caps, unauthorized};
use crate::state::{ACTIVE_LOTS, CONFIG, LOTS, NEXT_LOT_ID, PARAMS};

/// The fields of `ExecuteMsg::StartAuction`.
pub struct StartAuction {
    pub borrower: String,
    pub debt_denom: String,
    pub debt: Uint128,
    pub keeper: String,
    pub lot_id: u64,
    pub penalty: Uint128,
    pub price: Decimal256,
    pub debt_price: Decimal256,
    pub min_debt: Uint128,
}

pub fn start_auction(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: StartAuction,
) -> ContractResult<Response> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.market {
        return Err(unauthorized(&info.sender, "start auctions"));
    }
    let expected = NEXT_LOT_ID.load(deps.storage)?;
    if msg.lot_id != expected {
        return Err(ContractError::LotIdMismatch {
            expected,
            got: msg.lot_id,
        });
    }
    let lot_id = msg.lot_id;
    let (collateral_denom, collateral) = one_coin(&info)?;
    let invalid = |reason: &str| ContractError::InvalidLot {
        lot_id,
        reason: reason.to_string(),
    };
    if msg.debt.is_zero() {
        return Err(invalid("debt must be positive"));
    }
    if msg.debt_denom.is_empty() {
        return Err(invalid("debt_denom must not be empty"));
    }
    if msg.debt_price.is_zero() {
        return Err(invalid("debt_price must be positive"));
    }
    let borrower = deps.api.addr_validate(&msg.borrower)?;
    let keeper = deps.api.addr_validate(&msg.keeper)?;
    let params = PARAMS.load(deps.storage)?;
    let start = start_price(msg.price, params.buf)?;
    if start.is_zero() {
        return Err(ContractError::ZeroPrice { lot_id });
    }
    let tab = msg
        .debt
        .checked_add(msg.penalty)
        .map_err(|_| MathError::Overflow { operation: "tab" })?;
    // The market's `tab_value`: the tab's quote value at the debt's Liquidation price, rounded up.
    let cap_value = dec_to_uint(value_of(tab, msg.debt_price)?, Rounding::Up)?;
    reserve_caps(deps.storage, &params, &collateral_denom, cap_value)?;

    let now = env.block.time.seconds();
    let lot = Lot {
        kind: LotKind::Liquidation,
        borrower: borrower.clone(),
        collateral_denom: collateral_denom.clone(),
        collateral,
        debt_denom: msg.debt_denom.clone(),
        debt: msg.debt,
        penalty: msg.penalty,
        penalty_collected: Uint128::zero(),
        cap_value,
        start_price: start,
        started_at: now,
        paused_at_start: market_circuit(&deps.querier, &config.market)?.clock_paused(now),
        resets: 0,
        min_debt: msg.min_debt,
        status: LotStatus::Active,
        buf: params.buf,
        curve: params.curve.clone(),
        tail: params.tail,
        cusp: params.cusp,
        max_resets: params.max_resets,
    };
    LOTS.save(deps.storage, lot_id, &lot)?;
    ACTIVE_LOTS.save(deps.storage, lot_id, &())?;
    NEXT_LOT_ID.save(deps.storage, &next_id(lot_id)?)?;

    // Keeper pay (Maker's kick incentive), accrued for the keeper to claim.
    let amount = keeper_pay_amount(&params, msg.debt, msg.debt_price)?;
    let pay_attributes = accrue(deps.storage, &keeper, &msg.debt_denom, amount)?;

    Ok(Response::new()
        .add_attribute("action", "start_auction")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("kind", "liquidation")
        .add_attribute("borrower", borrower)
        .add_attribute("keeper", keeper)
        .add_attribute("collateral", fmt_coin(collateral, &collateral_denom))
        .add_attribute("debt", fmt_coin(msg.debt, &msg.debt_denom))
        .add_attribute("penalty", fmt_coin(msg.penalty, &msg.debt_denom))
        .add_attribute("tab", fmt_coin(tab, &msg.debt_denom))
        .add_attribute("oracle_price", msg.price.to_string())
        .add_attribute("start_price", start.to_string())
        .add_attribute("cap_value", cap_value)
        .add_attribute("min_debt", msg.min_debt)
        .add_attributes(pay_attributes))
}
