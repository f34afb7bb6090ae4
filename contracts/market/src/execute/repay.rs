use cosmwasm_std::{coins, BankMsg, DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::one_coin;

use crate::error::ContractResult;
use crate::execute::validate_optional;
use crate::gate::{Books, Change};
use crate::ledger::{checked_add, debt_amount, remove_debt};

/// Repays with the one coin sent; what exceeds the debt is refunded. Never blocked.
pub fn repay(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    on_behalf_of: Option<String>,
) -> ContractResult<Response> {
    let (denom, amount) = one_coin(&info)?;
    let account_addr = validate_optional(deps.api, on_behalf_of, &info.sender)?;
    let mut books = Books::new(deps, &env)?;
    books.ledger.load(books.storage, &denom)?;
    let mut change = books.open_for_top_up(&account_addr)?;
    let repaid = remove_debt(
        &mut books.ledger,
        books.storage,
        &mut change.account,
        account_addr.as_str(),
        &denom,
        Some(amount),
    )?;
    {
        let asset = books.ledger.load(books.storage, &denom)?;
        asset.state.cash = checked_add(asset.state.cash, repaid)?;
    }
    let left = debt_amount(&books.ledger, &change.account, &denom)?;
    books.commit(change, Change::TopUp)?;
    books.finish()?;
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
