use cosmwasm_std::{BankMsg, Coin, DepsMut, Env, MessageInfo, Order, Response, StdResult};

use ballast_types::circuit::GatedAction;
use ballast_types::funds::no_funds;
use ballast_types::math::scaled;

use crate::error::{ContractError, ContractResult};
use crate::ledger::{pending_deficit, Ledger};
use crate::state::{ASSETS, CIRCUIT, CONFIG};

/// Anyone: sends the reserves accrued so far to the backstop's insurance fund, as far as the
/// pool's cash allows. A denom with a pending deficit keeps its reserves (they are the fund's,
/// and the fund may not run ahead of a loss either).
pub fn claim_reserves(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denoms: Option<Vec<String>>,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let now = env.block.time.seconds();
    CIRCUIT
        .may_load(deps.storage)?
        .unwrap_or_default()
        .ensure_allows(now, GatedAction::PayOut)?;
    let config = CONFIG.load(deps.storage)?;
    let backstop = config
        .backstop
        .ok_or_else(|| ContractError::InvalidConfig {
            reason: "no backstop to receive reserves".into(),
        })?;
    let denoms = match denoms {
        Some(d) => d,
        None => ASSETS
            .keys(deps.storage, None, None, Order::Ascending)
            .collect::<StdResult<Vec<_>>>()?,
    };
    let mut ledger = Ledger::new(now);
    let mut sent: Vec<Coin> = vec![];
    for denom in denoms {
        let gated = pending_deficit(deps.storage, &denom)?.is_some();
        let asset = ledger.load(deps.storage, &denom)?;
        if gated || asset.state.reserve_scaled.is_zero() {
            continue;
        }
        let index = asset.state.liquidity_index;
        let owed = scaled::supply_amount(asset.state.reserve_scaled, index)?;
        let amount = owed.min(asset.state.cash);
        if amount.is_zero() {
            continue;
        }
        let burnt = if amount == owed {
            asset.state.reserve_scaled
        } else {
            scaled::supply_burnt(amount, index)?.min(asset.state.reserve_scaled)
        };
        asset.state.reserve_scaled -= burnt;
        asset.state.total_supply_scaled -= burnt;
        asset.state.cash -= amount;
        asset.dirty = true;
        sent.push(Coin::new(amount, denom));
    }
    ledger.save(deps.storage)?;
    sent.sort_by(|a, b| a.denom.cmp(&b.denom));
    let described = ballast_types::funds::describe(&sent);
    let mut response = Response::new()
        .add_attribute("action", "claim_reserves")
        .add_attribute("backstop", backstop.as_str())
        .add_attribute("amount", described);
    if !sent.is_empty() {
        response = response.add_message(BankMsg::Send {
            to_address: backstop.to_string(),
            amount: sent,
        });
    }
    Ok(response)
}
