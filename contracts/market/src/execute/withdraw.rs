use cosmwasm_std::{coins, BankMsg, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::funds::no_funds;
use ballast_types::oracle::PriceKind;

use crate::adl;
use crate::error::{ContractError, ContractResult};
use crate::execute::{
    account_prices, adl_params, ensure_below, ensure_capacity, load_account, store_account,
    validate_optional,
};
use crate::ledger::{load_account_with_claims, remove_supply, Ledger};
use crate::state::{CONFIG, DEFICITS};

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
    let now = env.block.time.seconds();
    ensure_below(deps.storage, now, 3, "withdraw")?;
    let recipient = validate_optional(deps.api, recipient, &info.sender)?;
    let config = CONFIG.load(deps.storage)?;
    let mut ledger = Ledger::new(now);
    ledger.load(deps.storage, &denom)?;
    // Suppliers may not run ahead of a loss that is already known.
    if let Some(deficit) = DEFICITS.may_load(deps.storage, &denom)? {
        if !deficit.amount.is_zero() {
            return Err(ContractError::WithdrawGated {
                denom,
                deficit: deficit.amount,
            });
        }
    }
    let before = load_account(deps.storage, &info.sender)?;
    let mut account = before.clone();
    // What it is owed in kind counts in its borrowing power, as Position shows it.
    load_account_with_claims(&mut ledger, deps.storage, &mut account)?;
    let backs_debt = account.has_debt() && account.supply(&denom).is_some_and(|p| p.collateral);
    if backs_debt {
        ensure_below(
            deps.storage,
            now,
            2,
            "withdrawing collateral that backs debt",
        )?;
    }
    let taken = remove_supply(
        &mut ledger,
        deps.storage,
        &mut account,
        info.sender.as_str(),
        &denom,
        amount,
    )?;
    if backs_debt {
        let prices = account_prices(
            &deps.querier,
            &config,
            &account,
            std::slice::from_ref(&denom),
            PriceKind::Default,
            now,
        )?;
        let scores = ensure_capacity(&ledger, &account, &prices)?;
        let params = adl_params(&deps.querier, &config)?;
        adl::sync(
            deps.storage,
            &info.sender,
            &before,
            &mut account,
            params.as_ref(),
            Some(&scores),
        )?;
    } else {
        adl::sync(
            deps.storage,
            &info.sender,
            &before,
            &mut account,
            None,
            None,
        )?;
    }
    ledger.save(deps.storage)?;
    store_account(deps.storage, &info.sender, &before, &account)?;
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
