use cosmwasm_std::{BankMsg, Coin, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::funds::{amount_u128, describe};

use crate::error::{ContractError, ContractResult};
use crate::execute::{fund_balance, market_config, unauthorized};
use crate::state::CONFIG;

/// Anyone: the coins sent go to the insurance fund.
pub fn fund(_deps: DepsMut, info: MessageInfo) -> ContractResult<Response> {
    if info.funds.is_empty() || info.funds.iter().any(|c| c.amount.is_zero()) {
        return Err(ContractError::InvalidFunds {
            expected: "one or more positive coins".into(),
            got: describe(&info.funds),
        });
    }
    Ok(Response::new()
        .add_attribute("action", "fund")
        .add_attribute("sender", info.sender)
        .add_attribute("amount", describe(&info.funds)))
}

/// Auction only: pays the keeper's incentive from what the fund holds of its denom. Never fails
/// for lack of funds (Exact rule 7): it pays what it has and says what was owed.
pub fn pay_keeper(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    keeper: String,
    amount: Coin,
) -> ContractResult<Response> {
    let config = CONFIG.load(deps.storage)?;
    let market = market_config(&deps.querier, &config)?;
    if market.auction.as_ref() != Some(&info.sender) {
        return Err(unauthorized(&info.sender, "pay keepers"));
    }
    ballast_types::funds::no_funds(&info)?;
    let keeper = deps.api.addr_validate(&keeper)?;
    let owed = amount_u128(&amount).unwrap_or(Uint128::MAX);
    // Only this denom's balance: keeper pay runs on every liquidation, so it reads one balance.
    let held = fund_balance(deps.as_ref(), &env, &amount.denom)?;
    let paid = owed.min(held);
    crate::execute::cover::cap_absorbed(deps.storage, &amount.denom, held - paid)?;
    let mut response = Response::new()
        .add_attribute("action", "pay_keeper")
        .add_attribute("keeper", keeper.as_str())
        .add_attribute("denom", &amount.denom)
        .add_attribute("owed", owed)
        .add_attribute("paid", paid);
    if !paid.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: keeper.to_string(),
            amount: vec![Coin::new(paid, amount.denom)],
        });
    }
    Ok(response)
}
