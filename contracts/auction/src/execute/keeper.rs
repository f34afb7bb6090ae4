//! Keeper pay: `tip + chip × debt` for each liquidation and reset, accrued here and claimed by
//! the keeper in one call (`ClaimKeeperPay`), which the backstop's fund pays with `PayKeeper`.
//!
//! Accruing instead of paying at once keeps the backstop out of the liquidation path: a
//! liquidation loads two contracts instead of three (60,000 gas less on a chain), and it can
//! never fail because of keeper pay (Exact rule 7). The fund pays what it holds when the
//! keeper claims, and its event says how much was owed and paid.

use cosmwasm_std::{
    to_json_binary, Addr, Attribute, Coin, Decimal256, DepsMut, Env, MessageInfo, Order, Response,
    StdResult, Storage, Uint128, WasmMsg,
};

use ballast_types::auction::AuctionParams;
use ballast_types::backstop::ExecuteMsg as BackstopMsg;
use ballast_types::circuit::GatedAction;
use ballast_types::funds::no_funds;
use ballast_types::math::{dec256, div_dec, mul_dec, MathError, Rounding};

use crate::error::{ContractError, ContractResult};
use crate::execute::{market_circuit, market_config};
use crate::state::{CONFIG, KEEPER_OWED};

/// `⌊tip / debt_price⌋ + ⌊chip × debt⌋` in the debt denom: `tip` is in quote units, converted
/// at the debt denom's Liquidation price (both parts rounded down: the fund pays no more).
pub fn keeper_pay_amount(
    params: &AuctionParams,
    debt: Uint128,
    debt_price: Decimal256,
) -> ContractResult<Uint128> {
    let tip = if params.tip.is_zero() || debt_price.is_zero() {
        Uint128::zero()
    } else {
        match div_dec(params.tip, debt_price, Rounding::Down) {
            Ok(tip) => tip,
            // a debt denom worth almost nothing: the tip is more units than exist
            Err(MathError::Overflow { .. }) => Uint128::MAX,
            Err(e) => return Err(e.into()),
        }
    };
    let chip = mul_dec(debt, dec256(params.chip), Rounding::Down)?;
    Ok(tip.saturating_add(chip))
}

/// Adds `amount` of `denom` to what `keeper` has earned; the attribute says how much.
pub fn accrue(
    storage: &mut dyn Storage,
    keeper: &Addr,
    denom: &str,
    amount: Uint128,
) -> ContractResult<Vec<Attribute>> {
    if !amount.is_zero() {
        let owed = KEEPER_OWED
            .may_load(storage, (keeper, denom))?
            .unwrap_or_default();
        KEEPER_OWED.save(storage, (keeper, denom), &owed.saturating_add(amount))?;
    }
    Ok(vec![Attribute::new(
        "keeper_pay",
        format!("{amount}{denom}"),
    )])
}

/// What `keeper` has earned and not claimed, by denom.
pub fn owed(storage: &dyn Storage, keeper: &Addr) -> StdResult<Vec<Coin>> {
    KEEPER_OWED
        .prefix(keeper)
        .range(storage, None, None, Order::Ascending)
        .map(|r| r.map(|(denom, amount)| Coin::new(amount, denom)))
        .collect()
}

/// Keeper: claims its earned pay of `denoms` (all when `None`); the backstop pays each denom
/// from its fund as far as it holds it.
pub fn claim(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denoms: Option<Vec<String>>,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    market_circuit(&deps.querier, &config.market)?
        .ensure_allows(env.block.time.seconds(), GatedAction::PayOut)?;
    let backstop = market_config(&deps.querier, &config.market)?
        .backstop
        .ok_or(ContractError::NoBackstop {})?;
    let mut claimed = owed(deps.storage, &info.sender)?;
    if let Some(denoms) = denoms {
        claimed.retain(|c| denoms.contains(&c.denom));
    }
    if claimed.is_empty() {
        return Err(ContractError::NothingOwed {
            keeper: info.sender.to_string(),
        });
    }
    let mut messages = vec![];
    for coin in &claimed {
        KEEPER_OWED.remove(deps.storage, (&info.sender, coin.denom.as_str()));
        messages.push(WasmMsg::Execute {
            contract_addr: backstop.to_string(),
            msg: to_json_binary(&BackstopMsg::PayKeeper {
                keeper: info.sender.to_string(),
                amount: coin.clone(),
            })?,
            funds: vec![],
        });
    }
    Ok(Response::new()
        .add_messages(messages)
        .add_attribute("action", "claim_keeper_pay")
        .add_attribute("keeper", info.sender)
        .add_attribute("claimed", ballast_types::funds::describe(&claimed)))
}
