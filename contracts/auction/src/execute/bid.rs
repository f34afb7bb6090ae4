//! `Bid`: buys part or all of a lot at its current price (Maker's `take`). The arithmetic is in
//! `crate::take`; this handler moves the coins and keeps the books: the collateral to the
//! recipient, the debt part to the market, the penalty part to the fund, the excess back to the
//! bidder, and the caps freed in proportion to the tab paid.

use cosmwasm_std::{
    to_json_binary, BankMsg, CosmosMsg, Decimal256, DepsMut, Env, MessageInfo, Response, Uint128,
    WasmMsg,
};

use ballast_types::auction::{LotKind, LotStatus};
use ballast_types::funds::one_coin_of;
use ballast_types::market::ExecuteMsg as MarketMsg;
use ballast_types::math::{mul_ratio, MathError, Rounding};

use crate::error::{ContractError, ContractResult};
use crate::execute::{
    backstop_of, coins, fmt_coin, load_lot, lot_view, market_config, release_caps, status_name,
};
use crate::state::{ACTIVE_LOTS, CONFIG, LOTS, OPEN_SALES};
use crate::take::{take, Remaining};

fn overflow(operation: &'static str) -> ContractError {
    MathError::Overflow { operation }.into()
}

pub fn bid(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    lot_id: u64,
    max_collateral: Uint128,
    max_price: Decimal256,
    recipient: Option<String>,
) -> ContractResult<Response> {
    let mut lot = load_lot(deps.storage, lot_id)?;
    if lot.status != LotStatus::Active {
        return Err(ContractError::LotNotActive {
            lot_id,
            status: status_name(lot.status).into(),
        });
    }
    let funds = one_coin_of(&info, &lot.debt_denom)?;
    let recipient = match recipient {
        Some(r) => deps.api.addr_validate(&r)?,
        None => info.sender.clone(),
    };
    let now = env.block.time.seconds();
    let (price, status) = lot_view(&lot, now)?;
    if status == LotStatus::NeedsReset {
        return Err(ContractError::NeedsReset { lot_id });
    }
    if price > max_price {
        return Err(ContractError::PriceTooHigh { price, max_price });
    }
    let sale = lot.kind == LotKind::Sale;
    let remaining = Remaining {
        collateral: lot.collateral,
        debt: lot.debt,
        penalty: lot.penalty,
        min_debt: lot.min_debt,
        sale,
    };
    let tab_before = remaining.tab()?;
    let collateral_before = lot.collateral;
    let taken = take(&remaining, price, max_collateral, funds)?;

    lot.collateral = lot
        .collateral
        .checked_sub(taken.slice)
        .map_err(|_| overflow("lot collateral"))?;
    if !sale {
        lot.debt = lot
            .debt
            .checked_sub(taken.debt_part)
            .map_err(|_| overflow("lot debt"))?;
        lot.penalty = lot
            .penalty
            .checked_sub(taken.penalty_part)
            .map_err(|_| overflow("lot penalty"))?;
        lot.penalty_collected = lot
            .penalty_collected
            .checked_add(taken.penalty_part)
            .map_err(|_| overflow("penalty collected"))?;
    }
    let tab_after = lot
        .debt
        .checked_add(lot.penalty)
        .map_err(|_| overflow("tab"))?;
    let closes = lot.collateral.is_zero() || (!sale && tab_after.is_zero());

    // The caps free up as the tab is paid (a sale: as its collateral sells); all at the close.
    let freed = if closes {
        lot.cap_value
    } else if sale {
        mul_ratio(
            lot.cap_value,
            taken.slice,
            collateral_before,
            Rounding::Down,
        )?
    } else {
        mul_ratio(lot.cap_value, taken.owe, tab_before, Rounding::Down)?
    };
    lot.cap_value -= freed.min(lot.cap_value);
    release_caps(deps.storage, &lot.collateral_denom, freed)?;

    let config = CONFIG.load(deps.storage)?;
    // The backstop's address (a raw read of the market's registry) only when the fund is paid.
    let backstop = || -> ContractResult<String> {
        Ok(backstop_of(&market_config(&deps.querier, &config.market)?)?.to_string())
    };
    let refund = funds - taken.owe;
    let mut messages: Vec<CosmosMsg> = vec![BankMsg::Send {
        to_address: recipient.to_string(),
        amount: coins(&[(&lot.collateral_denom, taken.slice)])?,
    }
    .into()];
    if !refund.is_zero() {
        messages.push(
            BankMsg::Send {
                to_address: info.sender.to_string(),
                amount: coins(&[(&lot.debt_denom, refund)])?,
            }
            .into(),
        );
    }
    let mut response = Response::new()
        .add_attribute("action", "bid")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("kind", if sale { "sale" } else { "liquidation" })
        .add_attribute("bidder", info.sender.as_str())
        .add_attribute("recipient", recipient.as_str())
        .add_attribute("borrower", lot.borrower.as_str())
        .add_attribute("price", price.to_string())
        .add_attribute(
            "collateral_bought",
            fmt_coin(taken.slice, &lot.collateral_denom),
        )
        .add_attribute("paid", fmt_coin(taken.owe, &lot.debt_denom))
        .add_attribute("refund", fmt_coin(refund, &lot.debt_denom));

    if sale {
        // Every unit of a sale's proceeds is the fund's.
        messages.push(
            BankMsg::Send {
                to_address: backstop()?,
                amount: coins(&[(&lot.debt_denom, taken.owe)])?,
            }
            .into(),
        );
        response = response.add_attribute("proceeds", fmt_coin(taken.owe, &lot.debt_denom));
    } else {
        // Penalty to the fund by plain bank send, before the market hears of the bid: a
        // shortfall that the market reports on this close finds the penalty in the fund.
        if !taken.penalty_part.is_zero() {
            messages.push(
                BankMsg::Send {
                    to_address: backstop()?,
                    amount: coins(&[(&lot.debt_denom, taken.penalty_part)])?,
                }
                .into(),
            );
        }
        response = response
            .add_attribute("debt_repaid", fmt_coin(taken.debt_part, &lot.debt_denom))
            .add_attribute(
                "penalty_paid",
                fmt_coin(taken.penalty_part, &lot.debt_denom),
            );
        let leftover = if closes {
            lot.collateral
        } else {
            Uint128::zero()
        };
        if !taken.debt_part.is_zero() {
            messages.push(
                WasmMsg::Execute {
                    contract_addr: config.market.to_string(),
                    msg: to_json_binary(&MarketMsg::RepayFromAuction {
                        borrower: lot.borrower.to_string(),
                        lot_id,
                        close: closes,
                        penalty_collected: if closes {
                            lot.penalty_collected
                        } else {
                            Uint128::zero()
                        },
                    })?,
                    funds: coins(&[
                        (&lot.debt_denom, taken.debt_part),
                        (&lot.collateral_denom, leftover),
                    ])?,
                }
                .into(),
            );
        } else if closes {
            messages.push(
                WasmMsg::Execute {
                    contract_addr: config.market.to_string(),
                    msg: to_json_binary(&MarketMsg::ReturnCollateral {
                        borrower: lot.borrower.to_string(),
                        lot_id,
                        penalty_collected: lot.penalty_collected,
                    })?,
                    funds: coins(&[(&lot.collateral_denom, leftover)])?,
                }
                .into(),
            );
        }
        if closes {
            response = response
                .add_attribute(
                    "collateral_returned",
                    fmt_coin(leftover, &lot.collateral_denom),
                )
                .add_attribute("debt_unpaid", fmt_coin(lot.debt, &lot.debt_denom))
                .add_attribute("penalty_unpaid", fmt_coin(lot.penalty, &lot.debt_denom))
                .add_attribute(
                    "penalty_collected",
                    fmt_coin(lot.penalty_collected, &lot.debt_denom),
                );
        }
    }

    response = response
        .add_attribute("cap_freed", freed)
        .add_attribute("closed", closes.to_string());
    if closes {
        // Nothing is left in auction: what the lot did not sell went back with the close.
        lot.status = LotStatus::Settled;
        lot.collateral = Uint128::zero();
        lot.debt = Uint128::zero();
        lot.penalty = Uint128::zero();
        ACTIVE_LOTS.remove(deps.storage, lot_id);
        if sale {
            let open = OPEN_SALES.may_load(deps.storage)?.unwrap_or(0);
            OPEN_SALES.save(deps.storage, &open.saturating_sub(1))?;
        }
    } else {
        response = response
            .add_attribute(
                "collateral_left",
                fmt_coin(lot.collateral, &lot.collateral_denom),
            )
            .add_attribute("debt_left", fmt_coin(lot.debt, &lot.debt_denom))
            .add_attribute("penalty_left", fmt_coin(lot.penalty, &lot.debt_denom));
    }
    LOTS.save(deps.storage, lot_id, &lot)?;
    Ok(response.add_messages(messages))
}
