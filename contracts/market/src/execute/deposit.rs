use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::one_coin;

use crate::adl;
use crate::error::{ContractError, ContractResult};
use crate::execute::{load_account, store_account, validate_optional};
use crate::ledger::{add_supply, checked_add, Ledger};

/// Supplies the one coin sent. Never blocked by a circuit level: deposits can always save a
/// position.
pub fn deposit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    on_behalf_of: Option<String>,
) -> ContractResult<Response> {
    let (denom, amount) = one_coin(&info)?;
    let account_addr = validate_optional(deps.api, on_behalf_of, &info.sender)?;
    let mut ledger = Ledger::new(env.block.time.seconds());
    let (collateral, index) = {
        let asset = ledger.load(deps.storage, &denom)?;
        let params = asset.params();
        if !params.deposit_enabled {
            return Err(ContractError::AssetDisabled {
                denom,
                action: "deposit".into(),
            });
        }
        if !params.supply_cap.is_zero() {
            let total = checked_add(asset.state.total_supply()?, amount)?;
            if total > params.supply_cap {
                return Err(ContractError::SupplyCapExceeded {
                    denom,
                    total,
                    cap: params.supply_cap,
                });
            }
        }
        (params.collateral_enabled, asset.state.liquidity_index)
    };
    let before = load_account(deps.storage, &account_addr)?;
    let mut account = before.clone();
    let minted = add_supply(
        &mut ledger,
        deps.storage,
        &mut account,
        &denom,
        amount,
        collateral,
    )?;
    if minted.is_zero() {
        return Err(ContractError::InvalidFunds {
            expected: format!(
                "at least {} {denom} (one share at index {index})",
                index.to_uint_ceil()
            ),
            got: format!("{amount}{denom}"),
        });
    }
    adl::sync(
        deps.storage,
        &account_addr,
        &before,
        &mut account,
        None,
        None,
    )?;
    ledger.save(deps.storage)?;
    store_account(deps.storage, &account_addr, &before, &account)?;
    Ok(Response::new()
        .add_attribute("action", "deposit")
        .add_attribute("sender", info.sender)
        .add_attribute("account", account_addr)
        .add_attribute("denom", denom)
        .add_attribute("amount", amount)
        .add_attribute("scaled", minted))
}
