//! Execute handlers, one module per action or group. Shared helpers live here.

pub mod adl;
pub mod admin;
pub mod borrow;
pub mod collateral;
pub mod cover;
pub mod deposit;
pub mod liquidate;
pub mod lots;
pub mod repay;
pub mod reserves;
pub mod withdraw;

use cosmwasm_std::{Addr, Api, QuerierWrapper, Storage};

use ballast_types::backstop::{AdlParams, ADL_PARAMS};
use ballast_types::market::Config;

use crate::error::{ContractError, ContractResult};
use crate::state::{Account, CircuitState, ACCOUNTS, BORROWERS, CIRCUIT};

pub(crate) fn load_account(storage: &dyn Storage, addr: &Addr) -> ContractResult<Account> {
    Ok(ACCOUNTS.may_load(storage, addr)?.unwrap_or_default())
}

/// Saves an account (removing it when empty) and keeps the borrower index in step.
pub(crate) fn store_account(
    storage: &mut dyn Storage,
    addr: &Addr,
    before: &Account,
    after: &Account,
) -> ContractResult<()> {
    if after.is_empty() {
        ACCOUNTS.remove(storage, addr);
    } else if after != before {
        ACCOUNTS.save(storage, addr, after)?;
    }
    match (before.has_debt(), after.has_debt()) {
        (false, true) => BORROWERS.save(storage, addr, &())?,
        (true, false) => BORROWERS.remove(storage, addr),
        _ => {}
    }
    Ok(())
}

/// The circuit level in force: the manual one, or a higher automatic one that has not lapsed.
pub(crate) fn effective_level(circuit: &CircuitState, now: u64) -> u8 {
    let auto = match circuit.auto_until {
        Some(until) if now < until => circuit.auto_level,
        _ => 0,
    };
    circuit.level.max(auto)
}

pub(crate) fn current_level(storage: &dyn Storage, now: u64) -> ContractResult<u8> {
    Ok(effective_level(
        &CIRCUIT.may_load(storage)?.unwrap_or_default(),
        now,
    ))
}

/// Refuses `action` when the level in force is `level` or higher.
pub(crate) fn ensure_below(
    storage: &dyn Storage,
    now: u64,
    level: u8,
    action: &str,
) -> ContractResult<()> {
    let current = current_level(storage, now)?;
    if current >= level {
        return Err(ContractError::CircuitOpen {
            level: current,
            action: action.to_string(),
        });
    }
    Ok(())
}

/// The backstop's ADL parameters, read raw from its storage; `None` before a backstop is set.
pub(crate) fn adl_params(
    querier: &QuerierWrapper,
    config: &Config,
) -> ContractResult<Option<AdlParams>> {
    match &config.backstop {
        Some(backstop) => Ok(ADL_PARAMS.query(querier, backstop.clone()).ok()),
        None => Ok(None),
    }
}

pub(crate) fn validate_optional(
    api: &dyn Api,
    addr: Option<String>,
    default: &Addr,
) -> ContractResult<Addr> {
    match addr {
        Some(a) => Ok(api.addr_validate(&a)?),
        None => Ok(default.clone()),
    }
}

pub(crate) fn unauthorized(sender: &Addr, action: &str) -> ContractError {
    ContractError::Unauthorized {
        sender: sender.to_string(),
        action: action.to_string(),
    }
}

/// Prices of every denom the account holds or owes, plus `extra`.
pub(crate) fn account_prices(
    querier: &QuerierWrapper,
    config: &Config,
    account: &Account,
    extra: &[String],
    kind: ballast_types::oracle::PriceKind,
    now: u64,
) -> ContractResult<crate::prices::Prices> {
    let mut denoms = crate::ledger::account_denoms(account);
    denoms.extend(extra.iter().cloned());
    crate::prices::Prices::load(querier, &config.oracle, &denoms, kind, now)
}

/// Refuses when the account's debt would exceed its borrowing power at Default prices, and
/// otherwise returns fresh ADL scores for it (the prices are loaded already).
pub(crate) fn ensure_capacity(
    ledger: &crate::ledger::Ledger,
    account: &Account,
    prices: &crate::prices::Prices,
) -> ContractResult<crate::small_map::SmallMap<cosmwasm_std::Decimal>> {
    use ballast_types::math::{dec_to_uint, Rounding};
    let capacity = crate::health::capacity(ledger, account, prices)?;
    if !capacity.is_within() {
        return Err(ContractError::InsufficientCollateral {
            debt_value: dec_to_uint(capacity.debt_value, Rounding::Up)?,
            borrow_power: dec_to_uint(capacity.borrow_power, Rounding::Down)?,
        });
    }
    let valuation = crate::health::valuation(ledger, account, prices)?;
    crate::adl::scores(ledger, account, &valuation)
}
