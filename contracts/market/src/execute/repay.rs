use cosmwasm_std::{coins, BankMsg, DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::one_coin;

use crate::adl;
use crate::error::ContractResult;
use crate::execute::{load_account, store_account, validate_optional};
use crate::ledger::{checked_add, debt_amount, remove_debt, Ledger};

/// Repays with the one coin sent; what exceeds the debt is refunded. Never blocked.
pub fn repay(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    on_behalf_of: Option<String>,
) -> ContractResult<Response> {
    let (denom, amount) = one_coin(&info)?;
    let account_addr = validate_optional(deps.api, on_behalf_of, &info.sender)?;
    let mut ledger = Ledger::new(env.block.time.seconds());
    ledger.load(deps.storage, &denom)?;
    let before = load_account(deps.storage, &account_addr)?;
    let mut account = before.clone();
    let repaid = remove_debt(
        &mut ledger,
        deps.storage,
        &mut account,
        account_addr.as_str(),
        &denom,
        Some(amount),
    )?;
    {
        let asset = ledger.load(deps.storage, &denom)?;
        asset.state.cash = checked_add(asset.state.cash, repaid)?;
    }
    let left = debt_amount(&ledger, &account, &denom)?;
    adl::sync(
        deps.storage,
        &account_addr,
        &before,
        &mut account,
        None,
        None,
    )?;
    ledger.save(deps.storage)?;
    store_account(deps.storage, &account_addr, &before, &account)?;
    let refund = amount - repaid;
    let mut response = Response::new()
        .add_attribute("action", "repay")
        .add_attribute("sender", info.sender.clone())
        .add_attribute("account", account_addr)
        .add_attribute("denom", &denom)
        .add_attribute("amount", repaid)
        .add_attribute("debt_left", left)
        .add_attribute("refund", refund);
    if !refund.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: info.sender.to_string(),
            amount: coins(refund.u128(), &denom),
        });
    }
    Ok(response)
}
