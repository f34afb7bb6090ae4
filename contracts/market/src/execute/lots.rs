//! The auction's calls back into the market: repayments from bids, and lots closing.

use cosmwasm_std::{Addr, Api, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::funds::only_denoms;

use crate::error::{ContractError, ContractResult};
use crate::execute::cover::commit_lot_closed;
use crate::execute::unauthorized;
use crate::gate::Books;
use crate::ledger::{add_debt, add_supply, checked_add, checked_sub};
use crate::state::{LotRecord, LOTS};

/// The auction's lot of `borrower`, after checking that the auction is the caller.
fn load_lot(
    books: &Books,
    api: &dyn Api,
    info: &MessageInfo,
    borrower: &str,
    lot_id: u64,
) -> ContractResult<(Addr, LotRecord)> {
    if books.config()?.auction.as_ref() != Some(&info.sender) {
        return Err(unauthorized(&info.sender, "report auction proceeds"));
    }
    let borrower = api.addr_validate(borrower)?;
    let lot = LOTS
        .may_load(books.storage, lot_id)?
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
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    borrower: String,
    lot_id: u64,
    close: bool,
    penalty_collected: Uint128,
) -> ContractResult<Response> {
    let api = deps.api;
    let mut books = Books::new(deps, &env)?;
    let (borrower, mut lot) = load_lot(&books, api, &info, &borrower, lot_id)?;
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
    {
        let asset = books.ledger.load(books.storage, &lot.debt_denom)?;
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
            &mut books,
            lot_id,
            lot,
            &borrower,
            leftover,
            penalty_collected,
            response,
        )?;
    } else {
        LOTS.save(books.storage, lot_id, &lot)?;
    }
    books.finish()?;
    Ok(response)
}

/// Auction only: the lot is finished; funds carry its leftover collateral (possibly none).
pub fn return_collateral(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    borrower: String,
    lot_id: u64,
    penalty_collected: Uint128,
) -> ContractResult<Response> {
    let api = deps.api;
    let mut books = Books::new(deps, &env)?;
    let (borrower, lot) = load_lot(&books, api, &info, &borrower, lot_id)?;
    let leftover = only_denoms(&info, &[&lot.collateral_denom])?[0];
    let response = Response::new()
        .add_attribute("action", "return_collateral")
        .add_attribute("lot_id", lot_id.to_string())
        .add_attribute("borrower", borrower.as_str());
    let response = close_lot(
        &mut books,
        lot_id,
        lot,
        &borrower,
        leftover,
        penalty_collected,
        response,
    )?;
    books.finish()?;
    Ok(response)
}

/// Closes a lot: leftover collateral returns to the borrower's collateral, debt the lot did not
/// repay returns to the borrower's debt, and if that was its last lot and only dust collateral
/// is left, the shortfall is recognised now.
fn close_lot(
    books: &mut Books,
    lot_id: u64,
    lot: LotRecord,
    borrower: &Addr,
    leftover: Uint128,
    penalty_collected: Uint128,
    response: Response,
) -> ContractResult<Response> {
    LOTS.remove(books.storage, lot_id);
    let mut change = books.open(borrower)?;
    let account = &mut change.account;
    account.open_lots = account.open_lots.saturating_sub(1);
    account.add_penalty(&lot.debt_denom, penalty_collected);
    if !leftover.is_zero() {
        add_supply(
            &mut books.ledger,
            books.storage,
            account,
            &lot.collateral_denom,
            leftover,
            true,
        )?;
    }
    let unpaid = lot.debt;
    if !unpaid.is_zero() {
        {
            let asset = books.ledger.load(books.storage, &lot.debt_denom)?;
            asset.state.debt_in_auction =
                checked_sub(asset.state.debt_in_auction, unpaid, "debt_in_auction")?;
            asset.dirty = true;
        }
        add_debt(
            &mut books.ledger,
            books.storage,
            account,
            &lot.debt_denom,
            unpaid,
        )?;
        account.shortfall_check = true;
    }
    let (messages, attributes) = commit_lot_closed(books, change)?;
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
