//! `Bid`: buys part or all of a lot at its current price (Maker's `take`). The arithmetic is in
//! `crate::take`; this handler plans the bid (lot, circuit, price, take), applies it to the lot
//! and the caps, commits the lot, and responds with the coins in a fixed order: the collateral
//! to the recipient, the excess back to the bidder, the penalty to the fund, and only then the
//! debt part to the market (so a shortfall the market reports on this close finds the penalty
//! already in the fund).

use cosmwasm_std::{
    to_json_binary, Addr, BankMsg, CosmosMsg, Decimal256, DepsMut, Env, MessageInfo, Response,
    Uint128, WasmMsg,
};

use ballast_types::auction::{Lot, LotKind, LotStatus};
use ballast_types::circuit::GatedAction;
use ballast_types::funds::one_coin_of;
use ballast_types::market::ExecuteMsg as MarketMsg;
use ballast_types::math::{mul_ratio, MathError, Rounding};

use crate::error::{ContractError, ContractResult};
use crate::execute::{
    backstop_of, coins, fmt_coin, load_lot, lot_view, market_circuit, market_config, release_caps,
    status_name,
};
use crate::state::{ACTIVE_LOTS, CONFIG, LOTS, OPEN_SALES};
use crate::take::{take, Remaining, Take};

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
    // Plan.
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
    let config = CONFIG.load(deps.storage)?;
    let circuit = market_circuit(&deps.querier, &config.market)?;
    circuit.ensure_allows(now, GatedAction::AuctionBidOrReset)?;
    let (price, status) = lot_view(&lot, now, &circuit)?;
    if status == LotStatus::NeedsReset {
        return Err(ContractError::NeedsReset { lot_id });
    }
    if price > max_price {
        return Err(ContractError::PriceTooHigh { price, max_price });
    }
    let remaining = Remaining {
        collateral: lot.collateral,
        debt: lot.debt,
        penalty: lot.penalty,
        min_debt: lot.min_debt,
        sale: lot.kind == LotKind::Sale,
    };
    let taken = take(&remaining, price, max_collateral, funds)?;

    // Apply: the lot's balances, and the caps it frees.
    let closes = apply(&mut lot, &remaining, &taken)?;
    let freed = caps_freed(&lot, &remaining, &taken, closes)?;
    lot.cap_value -= freed.min(lot.cap_value);
    release_caps(deps.storage, &lot.collateral_denom, freed)?;
    // What a close hands back (collateral not sold) leaves with the close's message.
    let leftover = if closes {
        lot.collateral
    } else {
        Uint128::zero()
    };

    // Commit.
    if closes {
        lot.status = LotStatus::Settled;
        ACTIVE_LOTS.remove(deps.storage, lot_id);
        if remaining.sale {
            let open = OPEN_SALES.may_load(deps.storage)?.unwrap_or(0);
            OPEN_SALES.save(deps.storage, &open.saturating_sub(1))?;
        }
    }
    let settled = Lot {
        collateral: if closes {
            Uint128::zero()
        } else {
            lot.collateral
        },
        debt: if closes { Uint128::zero() } else { lot.debt },
        penalty: if closes { Uint128::zero() } else { lot.penalty },
        ..lot.clone()
    };
    LOTS.save(deps.storage, lot_id, &settled)?;

    // Respond.
    let refund = funds - taken.owe;
    // Every unit of a sale's proceeds, and a liquidation's penalty part, is the fund's.
    let to_fund = if remaining.sale {
        taken.owe
    } else {
        taken.penalty_part
    };
    let fund = if to_fund.is_zero() {
        None
    } else {
        let backstop = backstop_of(&market_config(&deps.querier, &config.market)?)?;
        Some((backstop, to_fund))
    };
    let mut messages = payouts(&lot, &taken, refund, &recipient, &info.sender, fund)?;
    if !remaining.sale {
        messages.extend(report_to_market(
            &config.market,
            lot_id,
            &lot,
            &taken,
            closes,
            leftover,
        )?);
    }
    Ok(Response::new()
        .add_attribute("action", "bid")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("bidder", info.sender.as_str())
        .add_attribute("recipient", recipient.as_str())
        .add_attribute("price", price.to_string())
        .add_attribute("refund", fmt_coin(refund, &lot.debt_denom))
        .add_attributes(outcome_attributes(
            &lot,
            &taken,
            remaining.sale,
            closes,
            leftover,
        ))
        .add_attribute("cap_freed", freed)
        .add_attribute("closed", closes.to_string())
        .add_messages(messages))
}

/// The coins a bid moves, in order: the collateral to the recipient, the excess back to the
/// bidder, then the fund's part (a sale's proceeds, a liquidation's penalty).
fn payouts(
    lot: &Lot,
    taken: &Take,
    refund: Uint128,
    recipient: &Addr,
    bidder: &Addr,
    fund: Option<(Addr, Uint128)>,
) -> ContractResult<Vec<CosmosMsg>> {
    let mut messages: Vec<CosmosMsg> = vec![BankMsg::Send {
        to_address: recipient.to_string(),
        amount: coins(&[(&lot.collateral_denom, taken.slice)])?,
    }
    .into()];
    for (to, amount) in [(bidder.clone(), refund)]
        .into_iter()
        .chain(fund)
        .filter(|(_, amount)| !amount.is_zero())
    {
        messages.push(
            BankMsg::Send {
                to_address: to.to_string(),
                amount: coins(&[(&lot.debt_denom, amount)])?,
            }
            .into(),
        );
    }
    Ok(messages)
}

/// Takes the bid out of the lot; returns whether the lot closes (its collateral is gone, or a
/// liquidation lot's tab is paid).
fn apply(lot: &mut Lot, remaining: &Remaining, taken: &Take) -> ContractResult<bool> {
    lot.collateral = lot
        .collateral
        .checked_sub(taken.slice)
        .map_err(|_| overflow("lot collateral"))?;
    if !remaining.sale {
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
    Ok(lot.collateral.is_zero() || (!remaining.sale && tab_after.is_zero()))
}

/// The caps free up as the tab is paid (a sale: as its collateral sells); all at the close.
fn caps_freed(
    lot: &Lot,
    remaining: &Remaining,
    taken: &Take,
    closes: bool,
) -> ContractResult<Uint128> {
    if closes {
        Ok(lot.cap_value)
    } else if remaining.sale {
        Ok(mul_ratio(
            lot.cap_value,
            taken.slice,
            remaining.collateral,
            Rounding::Down,
        )?)
    } else {
        Ok(mul_ratio(
            lot.cap_value,
            taken.owe,
            remaining.tab()?,
            Rounding::Down,
        )?)
    }
}

/// A liquidation bid's report to the market: the debt part it repays (with the leftover
/// collateral when it closes the lot), or, for a close that repays nothing, the leftover alone.
fn report_to_market(
    market: &Addr,
    lot_id: u64,
    lot: &Lot,
    taken: &Take,
    closes: bool,
    leftover: Uint128,
) -> ContractResult<Option<CosmosMsg>> {
    let borrower = lot.borrower.to_string();
    let msg = if !taken.debt_part.is_zero() {
        WasmMsg::Execute {
            contract_addr: market.to_string(),
            msg: to_json_binary(&MarketMsg::RepayFromAuction {
                borrower,
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
    } else if closes {
        WasmMsg::Execute {
            contract_addr: market.to_string(),
            msg: to_json_binary(&MarketMsg::ReturnCollateral {
                borrower,
                lot_id,
                penalty_collected: lot.penalty_collected,
            })?,
            funds: coins(&[(&lot.collateral_denom, leftover)])?,
        }
    } else {
        return Ok(None);
    };
    Ok(Some(msg.into()))
}

/// What the bid did to the lot, for the events: proceeds (a sale), the debt and penalty paid
/// (a liquidation), what the close returned and left unpaid, or what is left.
fn outcome_attributes(
    lot: &Lot,
    taken: &Take,
    sale: bool,
    closes: bool,
    leftover: Uint128,
) -> Vec<(String, String)> {
    let debt = |amount: Uint128| fmt_coin(amount, &lot.debt_denom);
    let kind = if sale { "sale" } else { "liquidation" };
    let mut attributes = vec![
        ("kind".to_string(), kind.to_string()),
        ("borrower".to_string(), lot.borrower.to_string()),
        (
            "collateral_bought".to_string(),
            fmt_coin(taken.slice, &lot.collateral_denom),
        ),
        ("paid".to_string(), debt(taken.owe)),
    ];
    if sale {
        attributes.push(("proceeds".to_string(), debt(taken.owe)));
    } else {
        attributes.push(("debt_repaid".to_string(), debt(taken.debt_part)));
        attributes.push(("penalty_paid".to_string(), debt(taken.penalty_part)));
        if closes {
            attributes.push((
                "collateral_returned".to_string(),
                fmt_coin(leftover, &lot.collateral_denom),
            ));
            attributes.push(("debt_unpaid".to_string(), debt(lot.debt)));
            attributes.push(("penalty_unpaid".to_string(), debt(lot.penalty)));
            attributes.push(("penalty_collected".to_string(), debt(lot.penalty_collected)));
        }
    }
    if !closes {
        attributes.push((
            "collateral_left".to_string(),
            fmt_coin(lot.collateral, &lot.collateral_denom),
        ));
        attributes.push(("debt_left".to_string(), debt(lot.debt)));
        attributes.push(("penalty_left".to_string(), debt(lot.penalty)));
    }
    attributes
}
