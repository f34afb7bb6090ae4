use cosmwasm_std::{coins, BankMsg, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::funds::no_funds;
use ballast_types::oracle::PriceKind;

use crate::adl;
use crate::error::{ContractError, ContractResult};
use crate::execute::{
    account_prices, adl_params, ensure_below, ensure_capacity, load_account, store_account,
    validate_optional,
};
use crate::ledger::{add_debt, checked_add, debt_amount, load_account_with_claims, Ledger};
use crate::prices::ensure_circuits_closed;
use crate::state::CONFIG;

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
    let now = env.block.time.seconds();
    ensure_below(deps.storage, now, 1, "borrow")?;
    let recipient = validate_optional(deps.api, recipient, &info.sender)?;
    let config = CONFIG.load(deps.storage)?;
    let mut ledger = Ledger::new(now);
    let min_debt = {
        let asset = ledger.load(deps.storage, &denom)?;
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
    let before = load_account(deps.storage, &info.sender)?;
    let mut account = before.clone();
    // What it is owed in kind counts in its borrowing power, as Position shows it.
    load_account_with_claims(&mut ledger, deps.storage, &mut account)?;
    add_debt(&mut ledger, deps.storage, &mut account, &denom, amount)?;
    let debt = debt_amount(&ledger, &account, &denom)?;
    if debt < min_debt {
        return Err(ContractError::BelowMinDebt {
            denom,
            debt,
            min_debt,
        });
    }
    let prices = account_prices(
        &deps.querier,
        &config,
        &account,
        &[],
        PriceKind::Default,
        now,
    )?;
    // New borrows against a denom, or of it, stop while its oracle circuit is open.
    let mut gated: Vec<String> = account
        .supplies
        .iter()
        .filter(|p| p.collateral)
        .map(|p| p.denom.clone())
        .collect();
    gated.push(denom.clone());
    ensure_circuits_closed(&deps.querier, &config.oracle, &gated, &prices, now)?;
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
    ledger.save(deps.storage)?;
    store_account(deps.storage, &info.sender, &before, &account)?;
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
