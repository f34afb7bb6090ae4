use cosmwasm_std::{coins, BankMsg, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::funds::no_funds;

use crate::error::{ContractError, ContractResult};
use crate::execute::validate_optional;
use crate::gate::{Books, Change};
use crate::ledger::remove_supply;

/// Withdraws supply (all of it when `amount` is omitted). The ledger refuses it while the denom
/// has a deficit pending; the gate judges what is left when the account has debt.
pub fn withdraw(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    amount: Option<Uint128>,
    recipient: Option<String>,
) -> ContractResult<Response> {
    no_funds(&info)?;
    if amount.is_some_and(|a| a.is_zero()) {
        return Err(ContractError::ZeroAmount {});
    }
    let recipient = validate_optional(deps.api, recipient, &info.sender)?;
    let mut books = Books::new(deps, &env)?;
    books.ledger.load(books.storage, &denom)?;
    let mut change = books.open(&info.sender)?;
    let taken = remove_supply(
        &mut books.ledger,
        books.storage,
        &mut change.account,
        info.sender.as_str(),
        &denom,
        amount,
    )?;
    books.commit(change, Change::ByHolder)?;
    books.finish()?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: recipient.to_string(),
            amount: coins(taken.u128(), &denom),
        })
        .add_attribute("action", "withdraw")
        .add_attribute("account", info.sender)
        .add_attribute("recipient", recipient)
        .add_attribute("denom", denom)
        .add_attribute("amount", taken))
}
