//! Losses: recognising a shortfall (Exact rules 3 and 4), recording it as a deficit, and the
//! backstop's cover against it.

use cosmwasm_std::{
    to_json_binary, Addr, Coin, CosmosMsg, DepsMut, Env, MessageInfo, Response, Storage, Uint128,
    Uint256, WasmMsg,
};

use ballast_types::backstop::ExecuteMsg as BackstopMsg;
use ballast_types::funds::amount_u128;
use ballast_types::market::Config;
use ballast_types::math::{dec_to_uint, Rounding};
use ballast_types::oracle::PriceKind;

use crate::adl;
use crate::error::{ContractError, ContractResult};
use crate::execute::{load_account, store_account, unauthorized};
use crate::health::valuation;
use crate::ledger::{
    checked_add, checked_sub, load_account_with_claims, remove_debt, remove_supply, Ledger,
};
use crate::prices::Prices;
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
/// the collateral travels with the largest).
pub fn recognize_shortfall(
    storage: &mut dyn Storage,
    ledger: &mut Ledger,
    account: &mut Account,
    borrower: &Addr,
    config: &Config,
) -> ContractResult<Settlement> {
    let backstop = config
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
        let amount = crate::ledger::supply_amount(ledger, account, &denom)?;
        let cash = ledger.load(storage, &denom)?.state.cash;
        // Dust the pool has lent out cannot move; it stays with the account.
        if amount.is_zero() || amount > cash {
            continue;
        }
        let taken = remove_supply(ledger, storage, account, borrower.as_str(), &denom, None)?;
        collateral.push(Coin::new(taken, denom));
    }
    let mut losses: Vec<(String, Uint128)> = vec![];
    let debt_denoms: Vec<String> = account.debts.iter().map(|p| p.denom.clone()).collect();
    for denom in debt_denoms {
        let owed = remove_debt(ledger, storage, account, borrower.as_str(), &denom, None)?;
        if !owed.is_zero() {
            add_deficit(storage, &denom, owed, &[])?;
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
/// lot settles or fails, never estimated earlier).
pub fn settle_if_last_lot(
    deps: &mut DepsMut,
    now: u64,
    ledger: &mut Ledger,
    account: &mut Account,
    borrower: &Addr,
    config: &Config,
) -> ContractResult<Settlement> {
    if account.open_lots > 0 {
        return Ok((vec![], vec![]));
    }
    let check = std::mem::take(&mut account.shortfall_check);
    if !check || !account.has_debt() {
        return Ok((vec![], vec![]));
    }
    // What it is owed in kind is collateral too: not dust while that is worth something.
    load_account_with_claims(ledger, deps.storage, account)?;
    let has_collateral = account
        .supplies
        .iter()
        .any(|p| p.collateral && !p.scaled.is_zero());
    let is_dust = if has_collateral {
        match Prices::load(
            &deps.querier,
            &config.oracle,
            &crate::ledger::account_denoms(account),
            PriceKind::Liquidation,
            now,
        ) {
            Ok(prices) => {
                let value = valuation(ledger, account, &prices)?.collateral_value;
                dec_to_uint(value, Rounding::Down)? < config.dust_value
            }
            // Without a price the dust test waits for the next liquidation of the account.
            Err(_) => false,
        }
    } else {
        true
    };
    if is_dust {
        recognize_shortfall(deps.storage, ledger, account, borrower, config)
    } else {
        Ok((vec![], vec![]))
    }
}

/// Backstop only: what the backstop pays towards a loss in `denom`. Funds: `denom` in cash, any
/// other coins as collateral held in kind for the deficit. With `lot_id`, the loss is that
/// failed lot's outstanding debt, which this closes.
pub fn apply_cover(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    borrower: String,
    lot_id: Option<u64>,
) -> ContractResult<Response> {
    let config = crate::state::CONFIG.load(deps.storage)?;
    if config.backstop.as_ref() != Some(&info.sender) {
        return Err(unauthorized(&info.sender, "apply cover"));
    }
    let borrower = deps.api.addr_validate(&borrower)?;
    let now = env.block.time.seconds();
    let mut ledger = Ledger::new(now);
    ledger.load(deps.storage, &denom)?;
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
        ledger.load(deps.storage, &coin.denom)?;
        if coin.denom == denom {
            paid = amount;
        } else {
            in_kind.push(coin.clone());
        }
    }
    let mut messages = vec![];
    let mut attributes = vec![];
    if let Some(lot_id) = lot_id {
        let lot = LOTS
            .may_load(deps.storage, lot_id)?
            .ok_or(ContractError::UnknownLot { lot_id })?;
        if lot.borrower != borrower || lot.debt_denom != denom {
            return Err(ContractError::LotMismatch {
                lot_id,
                expected: format!("{} in {}", lot.borrower, lot.debt_denom),
                got: format!("{borrower} in {denom}"),
            });
        }
        LOTS.remove(deps.storage, lot_id);
        {
            let asset = ledger.load(deps.storage, &denom)?;
            asset.state.debt_in_auction =
                checked_sub(asset.state.debt_in_auction, lot.debt, "debt_in_auction")?;
            asset.dirty = true;
        }
        add_deficit(deps.storage, &denom, lot.debt, &[])?;
        attributes.push(("failed_lot".to_string(), lot_id.to_string()));
        attributes.push(("loss".to_string(), lot.debt.to_string()));
        let before = load_account(deps.storage, &borrower)?;
        let mut account = before.clone();
        account.open_lots = account.open_lots.saturating_sub(1);
        account.shortfall_check = true;
        let (more, more_attributes) = settle_if_last_lot(
            &mut deps,
            now,
            &mut ledger,
            &mut account,
            &borrower,
            &config,
        )?;
        messages.extend(more);
        attributes.extend(more_attributes);
        if !account.has_debt() && account.open_lots == 0 {
            account.penalties.clear();
        }
        adl::sync(deps.storage, &borrower, &before, &mut account, None, None)?;
        store_account(deps.storage, &borrower, &before, &account)?;
    }
    let mut deficit = DEFICITS.may_load(deps.storage, &denom)?.unwrap_or_default();
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
        let asset = ledger.load(deps.storage, &denom)?;
        asset.state.cash = checked_add(asset.state.cash, paid)?;
        asset.dirty = true;
    }
    let left = deficit.amount;
    save_deficit(deps.storage, &denom, &deficit, was_pending)?;
    ledger.save(deps.storage)?;
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

/// Total of a coin list in one denom (for events and checks).
pub fn coin_amount(coins: &[Coin], denom: &str) -> Uint256 {
    coins
        .iter()
        .filter(|c| c.denom == denom)
        .map(|c| c.amount)
        .sum()
}
