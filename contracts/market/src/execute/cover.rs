//! Losses: recognising a shortfall (Exact rules 3 and 4), recording it as a deficit, and the
//! backstop's cover against it.

use cosmwasm_std::{
    to_json_binary, Addr, Coin, CosmosMsg, DepsMut, Env, MessageInfo, Response, Storage, Uint128,
    Uint256, WasmMsg,
};

use ballast_types::backstop::ExecuteMsg as BackstopMsg;
use ballast_types::funds::amount_u128;
use ballast_types::math::{dec_to_uint, Rounding};
use ballast_types::oracle::PriceKind;

use crate::error::{ContractError, ContractResult};
use crate::execute::unauthorized;
use crate::gate::{AccountChange, Books, Change};
use crate::health::valuation;
use crate::ledger::{checked_add, checked_sub, pending_deficit, remove_debt, remove_supply};
use crate::state::{Account, DEFICITS, LOTS, PENDING_DEFICITS};

/// Messages to send and attributes to report when a loss is recognised.
pub type Settlement = (Vec<CosmosMsg>, Vec<(String, String)>);

/// Adds `amount` and `in_kind` to `denom`'s deficit, counting denoms with a deficit pending.
pub fn add_deficit(
    storage: &mut dyn Storage,
    denom: &str,
    amount: Uint128,
    in_kind: &[Coin],
) -> ContractResult<()> {
    let mut deficit = DEFICITS.may_load(storage, denom)?.unwrap_or_default();
    let was_pending = !deficit.amount.is_zero();
    deficit.amount = checked_add(deficit.amount, amount)?;
    for coin in in_kind {
        merge_coin(&mut deficit.collateral_in_kind, coin);
    }
    save_deficit(storage, denom, &deficit, was_pending)
}

pub fn merge_coin(coins: &mut Vec<Coin>, coin: &Coin) {
    if coin.amount.is_zero() {
        return;
    }
    match coins.iter_mut().find(|c| c.denom == coin.denom) {
        Some(existing) => existing.amount += coin.amount,
        None => coins.push(coin.clone()),
    }
}

/// Saves a deficit record and keeps `PENDING_DEFICITS` in step.
pub fn save_deficit(
    storage: &mut dyn Storage,
    denom: &str,
    deficit: &ballast_types::market::Deficit,
    was_pending: bool,
) -> ContractResult<()> {
    let pending = !deficit.amount.is_zero();
    if pending || !deficit.collateral_in_kind.is_empty() {
        DEFICITS.save(storage, denom, deficit)?;
    } else {
        DEFICITS.remove(storage, denom);
    }
    if pending != was_pending {
        let count = PENDING_DEFICITS.may_load(storage)?.unwrap_or(0);
        let count = if pending {
            count + 1
        } else {
            count.saturating_sub(1)
        };
        PENDING_DEFICITS.save(storage, &count)?;
    }
    Ok(())
}

/// Exact rule 4 (and the end of rule 3): the account owes debt but its remaining collateral is
/// dust (or gone). Its collateral moves to the backstop, the whole remaining debt becomes a
/// deficit at once, and the backstop is asked to cover it (one `CoverShortfall` per debt denom;
/// the collateral travels with the largest). Collateral the pool has lent out, or in a denom
/// whose deficit is pending (it may not leave at par), stays with the account.
pub fn recognize_shortfall(
    books: &mut Books,
    account: &mut Account,
    borrower: &Addr,
) -> ContractResult<Settlement> {
    let backstop = books
        .config()?
        .backstop
        .clone()
        .ok_or(ContractError::AuctionNotConfigured {})?;
    let mut collateral: Vec<Coin> = vec![];
    let denoms: Vec<String> = account
        .supplies
        .iter()
        .filter(|p| p.collateral && !p.scaled.is_zero())
        .map(|p| p.denom.clone())
        .collect();
    for denom in denoms {
        let amount = crate::ledger::supply_amount(&books.ledger, account, &denom)?;
        let cash = books.ledger.load(books.storage, &denom)?.state.cash;
        if amount.is_zero() || amount > cash || pending_deficit(books.storage, &denom)?.is_some() {
            continue;
        }
        let taken = remove_supply(
            &mut books.ledger,
            books.storage,
            account,
            borrower.as_str(),
            &denom,
            None,
        )?;
        collateral.push(Coin::new(taken, denom));
    }
    let mut losses: Vec<(String, Uint128)> = vec![];
    let debt_denoms: Vec<String> = account.debts.iter().map(|p| p.denom.clone()).collect();
    for denom in debt_denoms {
        let owed = remove_debt(
            &mut books.ledger,
            books.storage,
            account,
            borrower.as_str(),
            &denom,
            None,
        )?;
        if !owed.is_zero() {
            add_deficit(books.storage, &denom, owed, &[])?;
            losses.push((denom, owed));
        }
    }
    losses.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut messages = vec![];
    let mut attributes = vec![];
    for (i, (denom, amount)) in losses.iter().enumerate() {
        let sent = if i == 0 {
            std::mem::take(&mut collateral)
        } else {
            vec![]
        };
        attributes.push(("shortfall".to_string(), format!("{amount}{denom}")));
        messages.push(CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr: backstop.to_string(),
            msg: to_json_binary(&BackstopMsg::CoverShortfall {
                denom: denom.clone(),
                amount: *amount,
                borrower: borrower.to_string(),
                collateral: sent.clone(),
                penalty_collected: account.penalty(denom),
            })?,
            funds: sent,
        }));
    }
    account.penalties.clear();
    Ok((messages, attributes))
}

/// After a lot closes: when the account has no lot left and still owes debt while its
/// collateral is dust, its shortfall is recognised now (Exact rule 3: measured when the last
/// lot settles or fails, never estimated earlier). The account was opened with its claims
/// credited, so what it is owed in kind counts as collateral here.
pub fn settle_if_last_lot(
    books: &mut Books,
    change: &mut AccountChange,
) -> ContractResult<Settlement> {
    let account = &mut change.account;
    if account.open_lots > 0 {
        return Ok((vec![], vec![]));
    }
    let check = std::mem::take(&mut account.shortfall_check);
    if !check || !account.has_debt() {
        return Ok((vec![], vec![]));
    }
    let has_collateral = account
        .supplies
        .iter()
        .any(|p| p.collateral && !p.scaled.is_zero());
    let is_dust = if has_collateral {
        let judged = books
            .prices_for(account, PriceKind::Liquidation, &[])
            .and_then(|prices| valuation(&books.ledger, account, &prices));
        match judged {
            Ok(value) => {
                dec_to_uint(value.collateral_value, Rounding::Down)? < books.config()?.dust_value
            }
            // Without a price the dust test waits for the next liquidation of the account.
            Err(_) => false,
        }
    } else {
        true
    };
    if is_dust {
        let borrower = change.addr.clone();
        recognize_shortfall(books, &mut change.account, &borrower)
    } else {
        Ok((vec![], vec![]))
    }
}

/// Commits an account one of whose lots closed (settled or failed): the shortfall test when it
/// was the last (`settle_if_last_lot`), the penalties forgotten once nothing is owed or open.
pub fn commit_lot_closed(
    books: &mut Books,
    mut change: AccountChange,
) -> ContractResult<Settlement> {
    let settlement = settle_if_last_lot(books, &mut change)?;
    if !change.account.has_debt() && change.account.open_lots == 0 {
        change.account.penalties.clear();
    }
    books.commit(
        change,
        Change::Judged {
            prices: None,
            drop: None,
        },
    )?;
    Ok(settlement)
}

/// Backstop only: what the backstop pays towards a loss in `denom`. Funds: `denom` in cash, any
/// other coins as collateral held in kind for the deficit. With `lot_id`, the loss is that
/// failed lot's outstanding debt, which this closes.
pub fn apply_cover(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    borrower: String,
    lot_id: Option<u64>,
) -> ContractResult<Response> {
    let api = deps.api;
    let mut books = Books::new(deps, &env)?;
    if books.config()?.backstop.as_ref() != Some(&info.sender) {
        return Err(unauthorized(&info.sender, "apply cover"));
    }
    let borrower = api.addr_validate(&borrower)?;
    books.ledger.load(books.storage, &denom)?;
    let mut paid = Uint128::zero();
    let mut in_kind: Vec<Coin> = vec![];
    for coin in &info.funds {
        let amount = amount_u128(coin).ok_or_else(|| ContractError::InvalidFunds {
            expected: "coins that fit in 128 bits".into(),
            got: ballast_types::funds::describe(&info.funds),
        })?;
        if amount.is_zero() {
            return Err(ContractError::InvalidFunds {
                expected: "positive amounts".into(),
                got: ballast_types::funds::describe(&info.funds),
            });
        }
        books.ledger.load(books.storage, &coin.denom)?;
        if coin.denom == denom {
            paid = amount;
        } else {
            in_kind.push(coin.clone());
        }
    }
    let mut messages = vec![];
    let mut attributes = vec![];
    if let Some(lot_id) = lot_id {
        let (more, more_attributes) = fail_lot(&mut books, lot_id, &borrower, &denom)?;
        messages.extend(more);
        attributes.extend(more_attributes);
    }
    let mut deficit = DEFICITS
        .may_load(books.storage, &denom)?
        .unwrap_or_default();
    let was_pending = !deficit.amount.is_zero();
    if paid > deficit.amount {
        return Err(ContractError::CoverExceedsDeficit {
            denom,
            amount: paid,
            deficit: deficit.amount,
        });
    }
    deficit.amount -= paid;
    if deficit.amount.is_zero() && !in_kind.is_empty() {
        return Err(ContractError::CoverExceedsDeficit {
            denom,
            amount: paid,
            deficit: paid,
        });
    }
    for coin in &in_kind {
        merge_coin(&mut deficit.collateral_in_kind, coin);
    }
    {
        let asset = books.ledger.load(books.storage, &denom)?;
        asset.state.cash = checked_add(asset.state.cash, paid)?;
        asset.dirty = true;
    }
    let left = deficit.amount;
    save_deficit(books.storage, &denom, &deficit, was_pending)?;
    books.finish()?;
    Ok(Response::new()
        .add_messages(messages)
        .add_attribute("action", "apply_cover")
        .add_attribute("denom", &denom)
        .add_attribute("borrower", borrower)
        .add_attribute("paid", paid)
        .add_attribute("in_kind", ballast_types::funds::describe(&in_kind))
        .add_attribute("deficit", left)
        .add_attributes(attributes))
}

/// A failed lot: its outstanding debt is a loss now, and the account has one lot fewer (its
/// last one settles the shortfall test).
fn fail_lot(
    books: &mut Books,
    lot_id: u64,
    borrower: &Addr,
    denom: &str,
) -> ContractResult<Settlement> {
    let lot = LOTS
        .may_load(books.storage, lot_id)?
        .ok_or(ContractError::UnknownLot { lot_id })?;
    if lot.borrower != *borrower || lot.debt_denom != denom {
        return Err(ContractError::LotMismatch {
            lot_id,
            expected: format!("{} in {}", lot.borrower, lot.debt_denom),
            got: format!("{borrower} in {denom}"),
        });
    }
    LOTS.remove(books.storage, lot_id);
    {
        let asset = books.ledger.load(books.storage, denom)?;
        asset.state.debt_in_auction =
            checked_sub(asset.state.debt_in_auction, lot.debt, "debt_in_auction")?;
        asset.dirty = true;
    }
    add_deficit(books.storage, denom, lot.debt, &[])?;
    let mut change = books.open(borrower)?;
    change.account.open_lots = change.account.open_lots.saturating_sub(1);
    change.account.shortfall_check = true;
    let (messages, mut attributes) = commit_lot_closed(books, change)?;
    attributes.insert(0, ("loss".to_string(), lot.debt.to_string()));
    attributes.insert(0, ("failed_lot".to_string(), lot_id.to_string()));
    Ok((messages, attributes))
}

/// Total of a coin list in one denom (for events and checks).
pub fn coin_amount(coins: &[Coin], denom: &str) -> Uint256 {
    coins
        .iter()
        .filter(|c| c.denom == denom)
        .map(|c| c.amount)
        .sum()
}
