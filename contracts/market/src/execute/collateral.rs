use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::no_funds;
use ballast_types::oracle::PriceKind;

use crate::adl;
use crate::error::{ContractError, ContractResult};
use crate::execute::{
    account_prices, adl_params, ensure_below, ensure_capacity, load_account, store_account,
};
use crate::ledger::{load_account_with_claims, Ledger};
use crate::state::CONFIG;

pub fn set_collateral(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    enable: bool,
) -> ContractResult<Response> {
    no_funds(&info)?;
    let now = env.block.time.seconds();
    ensure_below(deps.storage, now, 3, "changing collateral")?;
    let mut ledger = Ledger::new(now);
    let collateral_enabled = ledger
        .load(deps.storage, &denom)?
        .params()
        .collateral_enabled;
    if enable && !collateral_enabled {
        return Err(ContractError::AssetDisabled {
            denom,
            action: "use as collateral".into(),
        });
    }
    let before = load_account(deps.storage, &info.sender)?;
    let mut account = before.clone();
    let position = account
        .supply_mut(&denom)
        .ok_or_else(|| ContractError::NoSupply {
            account: info.sender.to_string(),
            denom: denom.clone(),
        })?;
    let changed = position.collateral != enable;
    position.collateral = enable;
    if changed && !enable && account.has_debt() {
        ensure_below(
            deps.storage,
            now,
            2,
            "withdrawing collateral that backs debt",
        )?;
        let config = CONFIG.load(deps.storage)?;
        // What it is owed in kind counts in its borrowing power, as Position shows it.
        load_account_with_claims(&mut ledger, deps.storage, &mut account)?;
        let prices = account_prices(
            &deps.querier,
            &config,
            &account,
            &[],
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
        // Crediting the claims changed the books of the denoms they were credited in.
        ledger.save(deps.storage)?;
    }
    store_account(deps.storage, &info.sender, &before, &account)?;
    Ok(Response::new()
        .add_attribute("action", "set_collateral")
        .add_attribute("account", info.sender)
        .add_attribute("denom", denom)
        .add_attribute("enable", enable.to_string()))
}
