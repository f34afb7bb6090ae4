//! `Liquidate`: puts an unhealthy account's debt up for auction (or, with only dust collateral
//! left, recognises its shortfall at once).

use cosmwasm_std::{to_json_binary, Coin, DepsMut, Env, MessageInfo, Response, WasmMsg};

use ballast_types::auction::{
    Caps, ExecuteMsg as AuctionMsg, CAPS, IN_AUCTION_BY_DENOM, IN_AUCTION_TOTAL, NEXT_LOT_ID,
};
use ballast_types::funds::no_funds;
use ballast_types::market::LiquidateResponse;
use ballast_types::math::{dec_saturating, dec_to_uint, Rounding};
use ballast_types::may_query_item;
use ballast_types::oracle::PriceKind;

use crate::adl;
use crate::error::{ContractError, ContractResult};
use crate::execute::cover::recognize_shortfall;
use crate::execute::{account_prices, adl_params, effective_level, load_account, store_account};
use crate::health::valuation;
use crate::ledger::{
    checked_add, debt_amount, load_account_with_claims, remove_debt, remove_supply, supply_amount,
    Ledger,
};
use crate::liquidation::{plan, CollateralInput, DebtInput, Room};
use crate::state::{LotRecord, CIRCUIT, CONFIG, LOTS};

pub fn liquidate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    borrower: String,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let (Some(auction), Some(_)) = (config.auction.clone(), config.backstop.clone()) else {
        return Err(ContractError::AuctionNotConfigured {});
    };
    let borrower = deps.api.addr_validate(&borrower)?;
    if borrower == info.sender {
        return Err(ContractError::SelfLiquidation {});
    }
    let now = env.block.time.seconds();
    let circuit = CIRCUIT.may_load(deps.storage)?.unwrap_or_default();
    let level = effective_level(&circuit, now);
    if level >= 3 {
        return Err(ContractError::CircuitOpen {
            level,
            action: "liquidate".into(),
        });
    }
    if let Some(lifted) = circuit.halt_lifted_at {
        let resume_at = lifted.saturating_add(config.grace_period);
        if now < resume_at {
            return Err(ContractError::GracePeriod { resume_at });
        }
    }

    let before = load_account(deps.storage, &borrower)?;
    let mut account = before.clone();
    if !account.has_debt() {
        return Err(ContractError::NotLiquidatable {
            account: borrower.to_string(),
            health_factor: "none (no debt)".into(),
        });
    }
    let mut ledger = Ledger::new(now);
    // Collateral owed to it in kind after a socialised loss is its own: judge the account, and
    // seize from it, with that credited, as the Position and Liquidatable queries value it.
    load_account_with_claims(&mut ledger, deps.storage, &mut account)?;
    let prices = account_prices(
        &deps.querier,
        &config,
        &account,
        &[],
        PriceKind::Liquidation,
        now,
    )?;
    let health = valuation(&ledger, &account, &prices)?;
    let health_factor = health.health_factor()?.unwrap_or_default();
    if health_factor >= cosmwasm_std::Decimal256::one() {
        return Err(ContractError::NotLiquidatable {
            account: borrower.to_string(),
            health_factor: dec_saturating(health_factor).to_string(),
        });
    }

    // Exact rule 4: with only dust collateral left there is nothing worth an auction.
    if dec_to_uint(health.collateral_value, Rounding::Down)? < config.dust_value {
        if account.open_lots > 0 {
            return Err(ContractError::LotsPending {
                account: borrower.to_string(),
                open_lots: account.open_lots,
            });
        }
        let (messages, attributes) =
            recognize_shortfall(deps.storage, &mut ledger, &mut account, &borrower, &config)?;
        adl::sync(deps.storage, &borrower, &before, &mut account, None, None)?;
        ledger.save(deps.storage)?;
        store_account(deps.storage, &borrower, &before, &account)?;
        return Ok(Response::new()
            .set_data(to_json_binary(&LiquidateResponse { lot_ids: vec![] })?)
            .add_messages(messages)
            .add_attribute("action", "liquidate")
            .add_attribute("borrower", borrower)
            .add_attribute("keeper", info.sender)
            .add_attribute("health_factor", dec_saturating(health_factor).to_string())
            .add_attribute("mode", "dust")
            .add_attributes(attributes));
    }

    // Room under the auction's caps, read raw from its storage.
    let caps: Caps = CAPS.query(&deps.querier, auction.clone())?;
    let in_auction =
        may_query_item(&deps.querier, &auction, &IN_AUCTION_TOTAL)?.unwrap_or_default();
    let mut collateral = vec![];
    let mut per_denom = vec![];
    for position in account
        .supplies
        .iter()
        .filter(|p| p.collateral && !p.scaled.is_zero())
    {
        let asset = ledger.get(&position.denom)?;
        collateral.push(CollateralInput {
            denom: position.denom.clone(),
            amount: supply_amount(&ledger, &account, &position.denom)?,
            movable: asset.state.cash,
            price: prices.price(&position.denom)?,
            liquidation_threshold: asset.liquidation_threshold(now),
            liquidation_penalty: asset.params().liquidation_penalty,
        });
        let room = match caps.denom_cap(&position.denom) {
            Some(cap) => {
                let used = IN_AUCTION_BY_DENOM
                    .query(&deps.querier, auction.clone(), position.denom.as_str())?
                    .unwrap_or_default();
                Some(cap.saturating_sub(used))
            }
            None => None,
        };
        per_denom.push((position.denom.clone(), room));
    }
    let mut debts = vec![];
    for position in account.debts.iter().filter(|p| !p.scaled.is_zero()) {
        let asset = ledger.get(&position.denom)?;
        debts.push(DebtInput {
            denom: position.denom.clone(),
            amount: debt_amount(&ledger, &account, &position.denom)?,
            price: prices.price(&position.denom)?,
            min_debt: asset.params().min_debt,
        });
    }
    let room = Room {
        global: caps.max_in_auction.saturating_sub(in_auction),
        per_denom,
    };
    let planned = plan(
        collateral.clone(),
        debts,
        config.target_hf,
        config.full_liquidation_hf,
        room.clone(),
    )?;
    if planned.lots.is_empty() {
        if collateral.iter().all(|c| c.movable.is_zero()) {
            return Err(ContractError::CollateralIlliquid {
                denom: collateral[0].denom.clone(),
            });
        }
        let (denom, denom_room) = room
            .per_denom
            .first()
            .map(|(d, r)| (d.clone(), r.unwrap_or(room.global)))
            .unwrap_or_default();
        return Err(ContractError::LiquidationLimitHit {
            global_room: room.global,
            denom,
            denom_room,
        });
    }

    let first_id = may_query_item(&deps.querier, &auction, &NEXT_LOT_ID)?.unwrap_or(1);
    let mut messages = vec![];
    let mut lot_ids = vec![];
    let mut response = Response::new();
    for (i, lot) in planned.lots.iter().enumerate() {
        let lot_id = first_id + i as u64;
        let debt = remove_debt(
            &mut ledger,
            deps.storage,
            &mut account,
            borrower.as_str(),
            &lot.debt_denom,
            Some(lot.debt),
        )?;
        {
            let asset = ledger.load(deps.storage, &lot.debt_denom)?;
            asset.state.debt_in_auction = checked_add(asset.state.debt_in_auction, debt)?;
            asset.dirty = true;
        }
        let collateral = remove_supply(
            &mut ledger,
            deps.storage,
            &mut account,
            borrower.as_str(),
            &lot.collateral_denom,
            Some(lot.collateral),
        )?;
        LOTS.save(
            deps.storage,
            lot_id,
            &LotRecord {
                borrower: borrower.clone(),
                debt_denom: lot.debt_denom.clone(),
                collateral_denom: lot.collateral_denom.clone(),
                debt,
            },
        )?;
        let min_debt = ledger.get(&lot.debt_denom)?.params().min_debt;
        messages.push(WasmMsg::Execute {
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
        });
        response = response.add_event(
            cosmwasm_std::Event::new("ballast_lot")
                .add_attribute("lot_id", lot_id.to_string())
                .add_attribute("borrower", borrower.as_str())
                .add_attribute(
                    "collateral",
                    format!("{collateral}{}", lot.collateral_denom),
                )
                .add_attribute("debt", format!("{debt}{}", lot.debt_denom))
                .add_attribute("penalty", format!("{}{}", lot.penalty, lot.debt_denom)),
        );
        lot_ids.push(lot_id);
    }
    account.open_lots += planned.lots.len() as u32;

    // The account's ADL filings follow its smaller balances.
    let after = valuation(&ledger, &account, &prices)?;
    let scores = adl::scores(&ledger, &account, &after)?;
    let params = adl_params(&deps.querier, &config)?;
    adl::sync(
        deps.storage,
        &borrower,
        &before,
        &mut account,
        params.as_ref(),
        Some(&scores),
    )?;
    ledger.save(deps.storage)?;
    store_account(deps.storage, &borrower, &before, &account)?;

    let ids = lot_ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    Ok(response
        .set_data(to_json_binary(&LiquidateResponse { lot_ids })?)
        .add_messages(messages)
        .add_attribute("action", "liquidate")
        .add_attribute("borrower", borrower)
        .add_attribute("keeper", info.sender)
        .add_attribute("health_factor", dec_saturating(health_factor).to_string())
        .add_attribute("mode", format!("{:?}", planned.mode).to_lowercase())
        .add_attribute("limited_by_caps", planned.limited.to_string())
        .add_attribute("lot_ids", ids))
}
