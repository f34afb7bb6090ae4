use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};

use ballast_types::funds::one_coin;

use crate::error::{ContractError, ContractResult};
use crate::execute::validate_optional;
use crate::gate::{Books, Change};
use crate::ledger::{add_supply, checked_add};

/// Supplies the one coin sent. Never blocked by a circuit level: deposits can always save a
/// position. A new supply becomes collateral only when the holder deposits it: no one narrows
/// what another account may do by depositing into it (a collateral needs a price to judge the
/// account by; an outsider's coin would make the holder depend on that price).
pub fn deposit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    on_behalf_of: Option<String>,
) -> ContractResult<Response> {
    let (denom, amount) = one_coin(&info)?;
    let account_addr = validate_optional(deps.api, on_behalf_of, &info.sender)?;
    let mut books = Books::new(deps, &env)?;
    let (collateral_enabled, index) = {
        let asset = books.ledger.load(books.storage, &denom)?;
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
    let by_holder = info.sender == account_addr;
    // Someone else's deposit opens the account with its claims credited: a claim owed in the
    // deposited denom then creates its (collateral) position first, and the deposit joins it,
    // instead of creating a supply that is not collateral which the claim would later join.
    let mut change = if by_holder {
        books.open_for_top_up(&account_addr)?
    } else {
        books.open(&account_addr)?
    };
    let collateral = collateral_enabled && by_holder;
    let minted = add_supply(
        &mut books.ledger,
        books.storage,
        &mut change.account,
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
    books.commit(change, Change::TopUp)?;
    books.finish()?;
    Ok(Response::new()
        .add_attribute("action", "deposit")
        .add_attribute("sender", info.sender)
        .add_attribute("account", account_addr)
        .add_attribute("denom", denom)
        .add_attribute("amount", amount)
        .add_attribute("scaled", minted))
}
