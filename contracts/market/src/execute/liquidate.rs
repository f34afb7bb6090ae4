//! `Liquidate`: puts an unhealthy account's debt up for auction (or, with only dust collateral
//! left, recognises its shortfall at once). Plan (judge the account, size the lots), apply (move
//! debt and collateral into the lots), commit (the gate), respond.

use cosmwasm_std::{
    to_json_binary, Addr, Coin, CosmosMsg, Decimal256, Env, Event, MessageInfo, Response, WasmMsg,
};

use ballast_types::auction::{
    Caps, ExecuteMsg as AuctionMsg, CAPS, IN_AUCTION_BY_DENOM, IN_AUCTION_TOTAL, NEXT_LOT_ID,
};
use ballast_types::circuit::GatedAction;
use ballast_types::funds::no_funds;
use ballast_types::market::LiquidateResponse;
use ballast_types::math::{dec_saturating, dec_to_uint, Rounding};
use ballast_types::may_query_item;
use ballast_types::oracle::PriceKind;

use crate::error::{ContractError, ContractResult};
use crate::execute::cover::recognize_shortfall;
use crate::gate::{AccountChange, Books, Change};
use crate::health::{valuation, Valuation};
use crate::ledger::{
    checked_add, debt_amount, pending_deficit, remove_debt, remove_supply, supply_amount,
};
use crate::liquidation::{plan, CollateralInput, DebtInput, LotPlan, Plan, Room};
use crate::prices::Prices;
use crate::state::{LotRecord, LOTS};

pub fn liquidate(
    deps: cosmwasm_std::DepsMut,
    env: Env,
    info: MessageInfo,
    borrower: String,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let borrower = deps.api.addr_validate(&borrower)?;
    if borrower == info.sender {
        return Err(ContractError::SelfLiquidation {});
    }
    let mut books = Books::new(deps, &env)?;
    let (Some(auction), Some(_)) = (
        books.config()?.auction.clone(),
        books.config()?.backstop.clone(),
    ) else {
        return Err(ContractError::AuctionNotConfigured {});
    };
    books.ensure_allows(GatedAction::Liquidate)?;

    // Plan. Collateral owed to it in kind after a socialised loss is its own: the account is
    // judged, and seized from, with that credited (`Books::open`).
    let mut change = books.open(&borrower)?;
    let prices = books.prices_for(&change.account, PriceKind::Liquidation, &[])?;
    let health = valuation(&books.ledger, &change.account, &prices)?;
    let health_factor = ensure_liquidatable(&borrower, &health)?;
    let response = Response::new()
        .add_attribute("action", "liquidate")
        .add_attribute("borrower", borrower.as_str())
        .add_attribute("keeper", info.sender.as_str())
        .add_attribute("health_factor", dec_saturating(health_factor).to_string())
        .add_attribute("zero_valued", health.zeroed.join(","));
    // Exact rule 4: with only dust collateral left (or none that has a value), there is
    // nothing worth an auction.
    if health.collateral.is_empty()
        || dec_to_uint(health.collateral_value, Rounding::Down)? < books.config()?.dust_value
    {
        return liquidate_dust(books, change, response);
    }
    let planned = plan_lots(&books, &change, &prices, &auction)?;

    // Apply.
    let first_id = may_query_item(&books.querier, &auction, &NEXT_LOT_ID)?.unwrap_or(1);
    let mut messages = vec![];
    let mut events = vec![];
    let mut lot_ids = vec![];
    for (i, lot) in planned.lots.iter().enumerate() {
        let lot_id = first_id + i as u64;
        let (message, event) = open_lot(&mut books, &mut change, lot, lot_id, &auction, &info)?;
        messages.push(message);
        events.push(event);
        lot_ids.push(lot_id);
    }
    change.account.open_lots += planned.lots.len() as u32;

    // Commit: the account's ADL filings follow its smaller balances.
    books.commit(
        change,
        Change::Judged {
            prices: Some(&prices),
            drop: None,
        },
    )?;
    books.finish()?;

    let ids = lot_ids.iter().map(u64::to_string).collect::<Vec<_>>();
    Ok(response
        .set_data(to_json_binary(&LiquidateResponse { lot_ids })?)
        .add_events(events)
        .add_messages(messages)
        .add_attribute("mode", format!("{:?}", planned.mode).to_lowercase())
        .add_attribute("limited_by_caps", planned.limited.to_string())
        .add_attribute("lot_ids", ids.join(",")))
}

/// The account's health factor when it is below 1; `NotLiquidatable` otherwise.
fn ensure_liquidatable(borrower: &Addr, health: &Valuation) -> ContractResult<Decimal256> {
    match health.health_factor()? {
        Some(hf) if hf < Decimal256::one() => Ok(hf),
        Some(hf) => Err(ContractError::NotLiquidatable {
            account: borrower.to_string(),
            health_factor: dec_saturating(hf).to_string(),
        }),
        None => Err(ContractError::NotLiquidatable {
            account: borrower.to_string(),
            health_factor: "none (no debt)".into(),
        }),
    }
}

/// Exact rule 4: the dust collateral goes to the backstop and the whole debt is a shortfall.
fn liquidate_dust(
    mut books: Books,
    mut change: AccountChange,
    response: Response,
) -> ContractResult<Response> {
    if change.account.open_lots > 0 {
        return Err(ContractError::LotsPending {
            account: change.addr.to_string(),
            open_lots: change.account.open_lots,
        });
    }
    let borrower = change.addr.clone();
    let (messages, attributes) = recognize_shortfall(&mut books, &mut change.account, &borrower)?;
    books.commit(
        change,
        Change::Judged {
            prices: None,
            drop: None,
        },
    )?;
    books.finish()?;
    Ok(response
        .set_data(to_json_binary(&LiquidateResponse { lot_ids: vec![] })?)
        .add_messages(messages)
        .add_attribute("mode", "dust")
        .add_attributes(attributes))
}

/// Sizes the lots: collateral that has a price, as far as the pool's cash and the auction's
/// caps allow. Collateral in a denom with a deficit pending cannot leave at par (it would run
/// ahead of the known loss), so it is not seized until the deficit is settled.
fn plan_lots(
    books: &Books,
    change: &AccountChange,
    prices: &Prices,
    auction: &Addr,
) -> ContractResult<Plan> {
    let account = &change.account;
    let now = books.now();
    let caps: Caps = CAPS.query(&books.querier, auction.clone())?;
    let in_auction =
        may_query_item(&books.querier, auction, &IN_AUCTION_TOTAL)?.unwrap_or_default();
    let mut collateral = vec![];
    let mut per_denom = vec![];
    let mut gated = vec![];
    for position in account
        .supplies
        .iter()
        .filter(|p| p.collateral && !p.scaled.is_zero())
    {
        let Some(price) = prices.collateral(&position.denom)? else {
            continue;
        };
        let asset = books.ledger.get(&position.denom)?;
        let movable = match pending_deficit(books.storage, &position.denom)? {
            Some(deficit) => {
                gated.push(format!("{} (deficit {deficit})", position.denom));
                cosmwasm_std::Uint128::zero()
            }
            None => asset.state.cash,
        };
        collateral.push(CollateralInput {
            denom: position.denom.clone(),
            amount: supply_amount(&books.ledger, account, &position.denom)?,
            movable,
            price: price.price,
            liquidation_threshold: asset.liquidation_threshold(now),
            liquidation_penalty: asset.params().liquidation_penalty,
        });
        let room = match caps.denom_cap(&position.denom) {
            Some(cap) => {
                let used = IN_AUCTION_BY_DENOM
                    .query(&books.querier, auction.clone(), position.denom.as_str())?
                    .unwrap_or_default();
                Some(cap.saturating_sub(used))
            }
            None => None,
        };
        per_denom.push((position.denom.clone(), room));
    }
    let mut debts = vec![];
    for position in account.debts.iter().filter(|p| !p.scaled.is_zero()) {
        debts.push(DebtInput {
            denom: position.denom.clone(),
            amount: debt_amount(&books.ledger, account, &position.denom)?,
            price: prices.price(&position.denom)?,
            min_debt: books.ledger.get(&position.denom)?.params().min_debt,
        });
    }
    let room = Room {
        global: caps.max_in_auction.saturating_sub(in_auction),
        per_denom,
    };
    let config = books.config()?;
    let planned = plan(
        collateral.clone(),
        debts,
        config.target_hf,
        config.full_liquidation_hf,
        room.clone(),
    )?;
    if !planned.lots.is_empty() {
        return Ok(planned);
    }
    if gated.len() == collateral.len() {
        return Err(ContractError::CollateralGated {
            account: change.addr.to_string(),
            reason: format!(
                "its collateral is gated until the deficit is settled (AdlStep): {}",
                gated.join(", ")
            ),
        });
    }
    if let Some(illiquid) = collateral.iter().find(|c| c.movable.is_zero()) {
        if collateral.iter().all(|c| c.movable.is_zero()) {
            return Err(ContractError::CollateralIlliquid {
                denom: illiquid.denom.clone(),
            });
        }
    }
    let (denom, denom_room) = room
        .per_denom
        .first()
        .map(|(d, r)| (d.clone(), r.unwrap_or(room.global)))
        .unwrap_or_default();
    Err(ContractError::LiquidationLimitHit {
        global_room: room.global,
        denom,
        denom_room,
    })
}

/// Moves one lot's debt and collateral out of the account and into the auction.
fn open_lot(
    books: &mut Books,
    change: &mut AccountChange,
    lot: &LotPlan,
    lot_id: u64,
    auction: &Addr,
    info: &MessageInfo,
) -> ContractResult<(CosmosMsg, Event)> {
    let borrower = change.addr.clone();
    let debt = remove_debt(
        &mut books.ledger,
        books.storage,
        &mut change.account,
        borrower.as_str(),
        &lot.debt_denom,
        Some(lot.debt),
    )?;
    {
        let asset = books.ledger.load(books.storage, &lot.debt_denom)?;
        asset.state.debt_in_auction = checked_add(asset.state.debt_in_auction, debt)?;
        asset.dirty = true;
    }
    // Lots planned on one collateral share its amount, but each removal rounds its burn up:
    // the last of them may find a unit less than planned, and takes what is left.
    let held = supply_amount(&books.ledger, &change.account, &lot.collateral_denom)?;
    let collateral = remove_supply(
        &mut books.ledger,
        books.storage,
        &mut change.account,
        borrower.as_str(),
        &lot.collateral_denom,
        (lot.collateral < held).then_some(lot.collateral),
    )?;
    LOTS.save(
        books.storage,
        lot_id,
        &LotRecord {
            borrower: borrower.clone(),
            debt_denom: lot.debt_denom.clone(),
            collateral_denom: lot.collateral_denom.clone(),
            debt,
        },
    )?;
    let min_debt = books.ledger.get(&lot.debt_denom)?.params().min_debt;
    let message = WasmMsg::Execute {
        contract_addr: auction.to_string(),
        msg: to_json_binary(&AuctionMsg::StartAuction {
            borrower: borrower.to_string(),
            debt_denom: lot.debt_denom.clone(),
            debt,
            keeper: info.sender.to_string(),
            lot_id,
            penalty: lot.penalty,
            price: lot.price,
            debt_price: lot.debt_price,
            min_debt,
        })?,
        funds: vec![Coin::new(collateral, lot.collateral_denom.clone())],
    };
    let event = Event::new("ballast_lot")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("borrower", borrower.as_str())
        .add_attribute(
            "collateral",
            format!("{collateral}{}", lot.collateral_denom),
        )
        .add_attribute("debt", format!("{debt}{}", lot.debt_denom))
        .add_attribute("penalty", format!("{}{}", lot.penalty, lot.debt_denom));
    Ok((message.into(), event))
}
