use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::no_funds;

use crate::error::{ContractError, ContractResult};
use crate::gate::{Books, Change};

/// Uses a supply as collateral, or stops using it. Taking it out of an account with debt is
/// judged by the gate as a withdrawal is.
pub fn set_collateral(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    enable: bool,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let mut books = Books::new(deps, &env)?;
    let collateral_enabled = books
        .ledger
        .load(books.storage, &denom)?
        .params()
        .collateral_enabled;
    if enable && !collateral_enabled {
        return Err(ContractError::AssetDisabled {
            denom,
            action: "use as collateral".into(),
        });
    }
    let mut change = books.open(&info.sender)?;
    let position = change
        .account
        .supply_mut(&denom)
        .ok_or_else(|| ContractError::NoSupply {
            account: info.sender.to_string(),
            denom: denom.clone(),
        })?;
    position.collateral = enable;
    books.commit(change, Change::ByHolder)?;
    books.finish()?;
    Ok(Response::new()
        .add_attribute("action", "set_collateral")
        .add_attribute("account", info.sender)
        .add_attribute("denom", denom)
        .add_attribute("enable", enable.to_string()))
}
