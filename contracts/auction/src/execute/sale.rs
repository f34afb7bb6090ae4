//! `StartSale` (backstop only): puts collateral the fund absorbed up for sale by Dutch auction.
//! A sale lot has no debt and no tab; it sells until its collateral is gone, and every bid's
//! proceeds go to the backstop.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::auction::{Lot, LotKind, LotStatus};
use ballast_types::circuit::GatedAction;
use ballast_types::funds::one_coin;
use ballast_types::math::{dec_to_uint, value_of, Rounding};

use crate::curve::start_price;
use crate::error::{ContractError, ContractResult};
use crate::execute::{
    backstop_of, fmt_coin, market_circuit, market_config, next_id, oracle_prices, reserve_caps,
    unauthorized,
};
use crate::state::{ACTIVE_LOTS, CONFIG, LOTS, NEXT_LOT_ID, OPEN_SALES, PARAMS};

pub fn start_sale(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    proceeds_denom: String,
) -> ContractResult<Response> {
    let config = CONFIG.load(deps.storage)?;
    let market = market_config(&deps.querier, &config.market)?;
    let backstop = backstop_of(&market)?;
    if info.sender != backstop {
        return Err(unauthorized(&info.sender, "start sales"));
    }
    let (collateral_denom, collateral) = one_coin(&info)?;
    let now = env.block.time.seconds();
    let circuit = market_circuit(&deps.querier, &config.market)?;
    circuit.ensure_allows(now, GatedAction::SellAbsorbedByOwner)?;
    let lot_id = NEXT_LOT_ID.load(deps.storage)?;
    if proceeds_denom.is_empty() || proceeds_denom == collateral_denom {
        return Err(ContractError::InvalidLot {
            lot_id,
            reason: format!("cannot sell {collateral_denom} for {proceeds_denom:?}"),
        });
    }
    let prices = oracle_prices(
        &deps.querier,
        &market.oracle,
        &collateral_denom,
        &proceeds_denom,
        now,
    )?;
    let params = PARAMS.load(deps.storage)?;
    let start = start_price(prices.ratio, params.buf)?;
    if start.is_zero() {
        return Err(ContractError::ZeroPrice { lot_id });
    }
    // A sale holds the caps with the quote value of what it sells, rounded up.
    let cap_value = dec_to_uint(value_of(collateral, prices.collateral)?, Rounding::Up)?;
    reserve_caps(deps.storage, &params, &collateral_denom, cap_value)?;

    let lot = Lot {
        kind: LotKind::Sale,
        borrower: backstop.clone(),
        collateral_denom: collateral_denom.clone(),
        collateral,
        debt_denom: proceeds_denom.clone(),
        debt: Uint128::zero(),
        penalty: Uint128::zero(),
        penalty_collected: Uint128::zero(),
        cap_value,
        start_price: start,
        started_at: now,
        paused_at_start: circuit.clock_paused(now),
        resets: 0,
        min_debt: Uint128::zero(),
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
    let open = OPEN_SALES.may_load(deps.storage)?.unwrap_or(0);
    let open = open.saturating_add(1);
    OPEN_SALES.save(deps.storage, &open)?;

    Ok(Response::new()
        .add_attribute("action", "start_sale")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("kind", "sale")
        .add_attribute("seller", backstop)
        .add_attribute("collateral", fmt_coin(collateral, &collateral_denom))
        .add_attribute("proceeds_denom", proceeds_denom)
        .add_attribute("oracle_price", prices.ratio.to_string())
        .add_attribute("start_price", start.to_string())
        .add_attribute("cap_value", cap_value)
        .add_attribute("open_sales", open.to_string()))
}
