use cosmwasm_std::{coins, BankMsg, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::funds::no_funds;

use crate::error::{ContractError, ContractResult};
use crate::execute::validate_optional;
use crate::gate::{Books, Change};
use crate::ledger::{add_debt, checked_add, debt_amount};

/// Borrows against the account's collateral. The gate judges it: circuit level, borrowing
/// power at Default prices, the oracle circuits of every denom that judgement prices.
pub fn borrow(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    amount: Uint128,
    recipient: Option<String>,
) -> ContractResult<Response> {
    no_funds(&info)?;
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let recipient = validate_optional(deps.api, recipient, &info.sender)?;
    let mut books = Books::new(deps, &env)?;
    let min_debt = {
        let asset = books.ledger.load(books.storage, &denom)?;
        let params = asset.params().clone();
        if !params.borrow_enabled {
            return Err(ContractError::AssetDisabled {
                denom,
                action: "borrow".into(),
            });
        }
        // Utilization never exceeds 100%: only cash the pool holds can be lent.
        if amount > asset.state.cash {
            return Err(ContractError::InsufficientLiquidity {
                denom,
                requested: amount,
                available: asset.state.cash,
            });
        }
        if !params.borrow_cap.is_zero() {
            let total = checked_add(asset.state.total_debt()?, amount)?;
            if total > params.borrow_cap {
                return Err(ContractError::BorrowCapExceeded {
                    denom,
                    total,
                    cap: params.borrow_cap,
                });
            }
        }
        asset.state.cash -= amount;
        params.min_debt
    };
    let mut change = books.open(&info.sender)?;
    add_debt(
        &mut books.ledger,
        books.storage,
        &mut change.account,
        &denom,
        amount,
    )?;
    let debt = debt_amount(&books.ledger, &change.account, &denom)?;
    if debt < min_debt {
        return Err(ContractError::BelowMinDebt {
            denom,
            debt,
            min_debt,
        });
    }
    books.commit(change, Change::ByHolder)?;
    books.finish()?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: recipient.to_string(),
            amount: coins(amount.u128(), &denom),
        })
        .add_attribute("action", "borrow")
        .add_attribute("account", info.sender)
        .add_attribute("recipient", recipient)
        .add_attribute("denom", denom)
        .add_attribute("amount", amount)
        .add_attribute("debt", debt))
}
