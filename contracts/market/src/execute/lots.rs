//! The auction's calls back into the market: repayments from bids, and lots closing.

use cosmwasm_std::{Addr, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::funds::only_denoms;

use crate::adl;
use crate::error::{ContractError, ContractResult};
use crate::execute::cover::settle_if_last_lot;
use crate::execute::{load_account, store_account, unauthorized};
use crate::ledger::{add_debt, add_supply, checked_add, checked_sub, Ledger};
use crate::state::{LotRecord, CONFIG, LOTS};

fn load_lot(
    deps: &DepsMut,
    info: &MessageInfo,
    borrower: &str,
    lot_id: u64,
) -> ContractResult<(Addr, LotRecord)> {
    let config = CONFIG.load(deps.storage)?;
    if config.auction.as_ref() != Some(&info.sender) {
        return Err(unauthorized(&info.sender, "report auction proceeds"));
    }
    let borrower = deps.api.addr_validate(borrower)?;
    let lot = LOTS
        .may_load(deps.storage, lot_id)?
        .ok_or(ContractError::UnknownLot { lot_id })?;
    if lot.borrower != borrower {
        return Err(ContractError::LotMismatch {
            lot_id,
            expected: lot.borrower.to_string(),
            got: borrower.to_string(),
        });
    }
    Ok((borrower, lot))
}

/// Auction only: a bid's proceeds for the lot's debt. With `close`, the lot is finished and
/// what the funds carry beyond its debt is its leftover collateral.
pub fn repay_from_auction(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    borrower: String,
    lot_id: u64,
    close: bool,
    penalty_collected: Uint128,
) -> ContractResult<Response> {
    let (borrower, mut lot) = load_lot(&deps, &info, &borrower, lot_id)?;
    let (repaid, leftover) = if lot.debt_denom == lot.collateral_denom {
        // One coin carries both: the debt first, the rest is collateral.
        let total = only_denoms(&info, &[&lot.debt_denom])?[0];
        let repaid = total.min(lot.debt);
        (
            repaid,
            if close {
                total - repaid
            } else {
                Uint128::zero()
            },
        )
    } else {
        let amounts = only_denoms(&info, &[&lot.debt_denom, &lot.collateral_denom])?;
        (amounts[0], amounts[1])
    };
    if repaid > lot.debt {
        return Err(ContractError::LotOverpaid {
            lot_id,
            amount: repaid,
            debt: lot.debt,
        });
    }
    if !close && !leftover.is_zero() {
        return Err(ContractError::InvalidFunds {
            expected: format!("only {} while lot {lot_id} is open", lot.debt_denom),
            got: ballast_types::funds::describe(&info.funds),
        });
    }
    let now = env.block.time.seconds();
    let mut ledger = Ledger::new(now);
    {
        let asset = ledger.load(deps.storage, &lot.debt_denom)?;
        asset.state.debt_in_auction =
            checked_sub(asset.state.debt_in_auction, repaid, "debt_in_auction")?;
        asset.state.cash = checked_add(asset.state.cash, repaid)?;
        asset.dirty = true;
    }
    lot.debt -= repaid;
    let mut response = Response::new()
        .add_attribute("action", "repay_from_auction")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("borrower", borrower.as_str())
        .add_attribute("denom", &lot.debt_denom)
        .add_attribute("repaid", repaid)
        .add_attribute("lot_debt", lot.debt);
    if close {
        response = close_lot(
            &mut deps,
            now,
            &mut ledger,
            lot_id,
            lot,
            &borrower,
            leftover,
            penalty_collected,
            response,
        )?;
    } else {
        LOTS.save(deps.storage, lot_id, &lot)?;
    }
    ledger.save(deps.storage)?;
    Ok(response)
}

/// Auction only: the lot is finished; funds carry its leftover collateral (possibly none).
pub fn return_collateral(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    borrower: String,
    lot_id: u64,
    penalty_collected: Uint128,
) -> ContractResult<Response> {
    let (borrower, lot) = load_lot(&deps, &info, &borrower, lot_id)?;
    let leftover = only_denoms(&info, &[&lot.collateral_denom])?[0];
    let now = env.block.time.seconds();
    let mut ledger = Ledger::new(now);
    let response = Response::new()
        .add_attribute("action", "return_collateral")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("borrower", borrower.as_str());
    let response = close_lot(
        &mut deps,
        now,
        &mut ledger,
        lot_id,
        lot,
        &borrower,
        leftover,
        penalty_collected,
        response,
    )?;
    ledger.save(deps.storage)?;
    Ok(response)
}

/// Closes a lot: leftover collateral returns to the borrower's collateral, debt the lot did not
/// repay returns to the borrower's debt, and if that was its last lot and only dust collateral
/// is left, the shortfall is recognised now.
#[allow(clippy::too_many_arguments)]
fn close_lot(
    deps: &mut DepsMut,
    now: u64,
    ledger: &mut Ledger,
    lot_id: u64,
    lot: LotRecord,
    borrower: &Addr,
    leftover: Uint128,
    penalty_collected: Uint128,
    response: Response,
) -> ContractResult<Response> {
    let config = CONFIG.load(deps.storage)?;
    LOTS.remove(deps.storage, lot_id);
    let before = load_account(deps.storage, borrower)?;
    let mut account = before.clone();
    account.open_lots = account.open_lots.saturating_sub(1);
    account.add_penalty(&lot.debt_denom, penalty_collected);
    if !leftover.is_zero() {
        add_supply(
            ledger,
            deps.storage,
            &mut account,
            &lot.collateral_denom,
            leftover,
            true,
        )?;
    }
    let unpaid = lot.debt;
    if !unpaid.is_zero() {
        {
            let asset = ledger.load(deps.storage, &lot.debt_denom)?;
            asset.state.debt_in_auction =
                checked_sub(asset.state.debt_in_auction, unpaid, "debt_in_auction")?;
            asset.dirty = true;
        }
        add_debt(ledger, deps.storage, &mut account, &lot.debt_denom, unpaid)?;
        account.shortfall_check = true;
    }
    let (messages, attributes) =
        settle_if_last_lot(deps, now, ledger, &mut account, borrower, &config)?;
    if !account.has_debt() && account.open_lots == 0 {
        account.penalties.clear();
    }
    adl::sync(deps.storage, borrower, &before, &mut account, None, None)?;
    store_account(deps.storage, borrower, &before, &account)?;
    Ok(response
        .add_messages(messages)
        .add_attribute("closed", "true")
        .add_attribute(
            "collateral_returned",
            format!("{leftover}{}", lot.collateral_denom),
        )
        .add_attribute("unpaid", format!("{unpaid}{}", lot.debt_denom))
        .add_attributes(attributes))
}
