//! The ledger: assets loaded for one action, and every change to an account's balances.
//!
//! Each function here moves one amount between an account and a pool and updates the pool's
//! totals in the same step, with the rounding that keeps identity A (docs/ARCHITECTURE.md):
//! the protocol keeps every remainder. Handlers never touch `AssetState` totals directly.

use crate::small_map::SmallMap;

use cosmwasm_std::{Decimal, Decimal256, Storage, Uint128};

use ballast_types::market::AssetParams;
use ballast_types::math::{dec_div, mul_dec, scaled, uint_to_dec, MathError, Rounding};

use crate::error::{ContractError, ContractResult};
use crate::state::{
    Account, AssetConfig, AssetState, DebtPosition, SupplyPosition, ASSETS, ASSET_STATES, DEFICITS,
};

/// An asset as one action sees it: configuration, and books accrued to the block time.
pub struct LoadedAsset {
    pub config: AssetConfig,
    pub state: AssetState,
    pub dirty: bool,
}

impl LoadedAsset {
    pub fn params(&self) -> &AssetParams {
        &self.config.params
    }

    /// The liquidation threshold in force at `now` (a lowered one ramps down).
    pub fn liquidation_threshold(&self, now: u64) -> Decimal {
        match &self.config.lt_ramp {
            Some(ramp) => ramp.value_at(now),
            None => self.config.params.liquidation_threshold,
        }
    }
}

/// The assets one action touches, loaded once and accrued to `now`. Only assets whose books
/// changed are written back (with fresh rates).
pub struct Ledger {
    pub now: u64,
    assets: SmallMap<LoadedAsset>,
}

impl Ledger {
    pub fn new(now: u64) -> Self {
        Ledger {
            now,
            assets: SmallMap::new(),
        }
    }

    /// Loads `denom` (once) and accrues its indices to `now`.
    pub fn load(&mut self, storage: &dyn Storage, denom: &str) -> ContractResult<&mut LoadedAsset> {
        if !self.assets.contains_key(denom) {
            let config =
                ASSETS
                    .may_load(storage, denom)?
                    .ok_or_else(|| ContractError::UnknownDenom {
                        denom: denom.to_string(),
                    })?;
            let mut state = ASSET_STATES.load(storage, denom)?;
            state.accrue(self.now)?;
            self.assets.insert(
                denom.to_string(),
                LoadedAsset {
                    config,
                    state,
                    dirty: false,
                },
            );
        }
        Ok(self.assets.get_mut(denom).expect("inserted above"))
    }

    /// An asset loaded earlier in this action.
    pub fn get(&self, denom: &str) -> ContractResult<&LoadedAsset> {
        self.assets
            .get(denom)
            .ok_or_else(|| ContractError::UnknownDenom {
                denom: denom.to_string(),
            })
    }

    /// Loads every asset an account holds or owes.
    pub fn load_account_assets(
        &mut self,
        storage: &dyn Storage,
        account: &Account,
    ) -> ContractResult<()> {
        for denom in account_denoms(account) {
            self.load(storage, &denom)?;
        }
        Ok(())
    }

    /// Writes back the assets whose books changed, with rates for their new utilization.
    pub fn save(&mut self, storage: &mut dyn Storage) -> ContractResult<()> {
        for (denom, asset) in self.assets.iter_mut() {
            if asset.dirty {
                asset.state.update_rates(&asset.config.params)?;
                ASSET_STATES.save(storage, denom, &asset.state)?;
                asset.dirty = false;
            }
        }
        Ok(())
    }
}

/// Every denom an account supplies or owes.
pub fn account_denoms(account: &Account) -> Vec<String> {
    let mut denoms: Vec<String> = account
        .supplies
        .iter()
        .map(|p| p.denom.clone())
        .chain(account.debts.iter().map(|p| p.denom.clone()))
        .collect();
    denoms.sort();
    denoms.dedup();
    denoms
}

impl Account {
    pub fn supply(&self, denom: &str) -> Option<&SupplyPosition> {
        self.supplies.iter().find(|p| p.denom == denom)
    }

    pub fn supply_mut(&mut self, denom: &str) -> Option<&mut SupplyPosition> {
        self.supplies.iter_mut().find(|p| p.denom == denom)
    }

    pub fn debt(&self, denom: &str) -> Option<&DebtPosition> {
        self.debts.iter().find(|p| p.denom == denom)
    }

    pub fn has_debt(&self) -> bool {
        self.debts.iter().any(|p| !p.scaled.is_zero())
    }

    pub fn is_empty(&self) -> bool {
        self.supplies.is_empty() && self.debts.is_empty() && self.open_lots == 0
    }

    pub fn add_penalty(&mut self, denom: &str, amount: Uint128) {
        if amount.is_zero() {
            return;
        }
        match self.penalties.iter_mut().find(|(d, _)| d == denom) {
            Some((_, total)) => *total += amount,
            None => self.penalties.push((denom.to_string(), amount)),
        }
    }

    pub fn penalty(&self, denom: &str) -> Uint128 {
        self.penalties
            .iter()
            .find(|(d, _)| d == denom)
            .map(|(_, a)| *a)
            .unwrap_or_default()
    }

    fn prune(&mut self) {
        self.supplies.retain(|p| !p.scaled.is_zero());
        self.debts.retain(|p| !p.scaled.is_zero());
    }
}

/// What an account's supply of `denom` is worth now (rounded down).
pub fn supply_amount(ledger: &Ledger, account: &Account, denom: &str) -> ContractResult<Uint128> {
    match account.supply(denom) {
        Some(position) => {
            let asset = ledger.get(denom)?;
            Ok(scaled::supply_amount(
                position.scaled,
                asset.state.liquidity_index,
            )?)
        }
        None => Ok(Uint128::zero()),
    }
}

/// What an account owes of `denom` now (rounded up).
pub fn debt_amount(ledger: &Ledger, account: &Account, denom: &str) -> ContractResult<Uint128> {
    match account.debt(denom) {
        Some(position) => {
            let asset = ledger.get(denom)?;
            Ok(scaled::debt_amount(
                position.scaled,
                asset.state.borrow_index,
            )?)
        }
        None => Ok(Uint128::zero()),
    }
}

/// Credits `amount` of `denom` to the account's supply; the tokens are already in the market's
/// custody and join the pool's cash. Returns the scaled amount minted (rounded down).
pub fn add_supply(
    ledger: &mut Ledger,
    storage: &dyn Storage,
    account: &mut Account,
    denom: &str,
    amount: Uint128,
    collateral: bool,
) -> ContractResult<Uint128> {
    settle_social_claims(ledger, storage, account, denom)?;
    let asset = ledger.load(storage, denom)?;
    let index = asset.state.liquidity_index;
    let minted = scaled::supply_minted(amount, index)?;
    asset.state.cash = checked_add(asset.state.cash, amount)?;
    asset.state.total_supply_scaled = checked_add(asset.state.total_supply_scaled, minted)?;
    asset.dirty = true;
    let checkpoints = asset.state.social_per_scaled.clone();
    match account.supply_mut(denom) {
        Some(position) => {
            if !minted.is_zero() {
                position.entry_index =
                    weighted_entry(position.scaled, position.entry_index, minted, index)?;
                position.scaled = checked_add(position.scaled, minted)?;
            }
        }
        None => account.supplies.push(SupplyPosition {
            denom: denom.to_string(),
            scaled: minted,
            collateral,
            entry_index: index,
            adl_bucket: None,
            social_checkpoints: checkpoints,
        }),
    }
    account.prune();
    Ok(minted)
}

/// The entry index of a position after adding `added` scaled at `index`: the average of the
/// indices weighted by scaled amount, so yield = index / entry − 1 stays the position's yield.
fn weighted_entry(
    held: Uint128,
    entry: Decimal256,
    added: Uint128,
    index: Decimal256,
) -> ContractResult<Decimal256> {
    let total = uint_to_dec(checked_add(held, added)?);
    let weighted = uint_to_dec(held)
        .checked_mul(entry)
        .and_then(|a| {
            uint_to_dec(added)
                .checked_mul(index)
                .and_then(|b| a.checked_add(b))
        })
        .map_err(|_| MathError::Overflow {
            operation: "entry_index",
        })?;
    Ok(dec_div(weighted, total, Rounding::Down)?)
}

/// `denom`'s deficit, when one is pending.
pub fn pending_deficit(storage: &dyn Storage, denom: &str) -> ContractResult<Option<Uint128>> {
    Ok(DEFICITS
        .may_load(storage, denom)?
        .map(|d| d.amount)
        .filter(|a| !a.is_zero()))
}

/// Takes `amount` (`None` = all) of the account's supply of `denom` out of the pool: the tokens
/// leave the pool's cash. Returns the amount taken. This is the one way supply leaves at par
/// (withdraw, a lot's collateral, dust to the backstop), so the deficit gate is here: while
/// `denom` has a deficit pending, its suppliers may not run ahead of the known loss by any
/// path.
pub fn remove_supply(
    ledger: &mut Ledger,
    storage: &dyn Storage,
    account: &mut Account,
    owner: &str,
    denom: &str,
    amount: Option<Uint128>,
) -> ContractResult<Uint128> {
    if let Some(deficit) = pending_deficit(storage, denom)? {
        return Err(ContractError::WithdrawGated {
            denom: denom.to_string(),
            deficit,
        });
    }
    settle_social_claims(ledger, storage, account, denom)?;
    let asset = ledger.load(storage, denom)?;
    let index = asset.state.liquidity_index;
    let position = account
        .supply_mut(denom)
        .filter(|p| !p.scaled.is_zero())
        .ok_or_else(|| ContractError::NoSupply {
            account: owner.to_string(),
            denom: denom.to_string(),
        })?;
    let available = scaled::supply_amount(position.scaled, index)?;
    let (taken, burnt) = match amount {
        None => (available, position.scaled),
        Some(requested) if requested > available => {
            return Err(ContractError::WithdrawExceedsSupply {
                account: owner.to_string(),
                denom: denom.to_string(),
                requested,
                available,
            })
        }
        Some(requested) if requested == available => (requested, position.scaled),
        Some(requested) => (
            requested,
            scaled::supply_burnt(requested, index)?.min(position.scaled),
        ),
    };
    if taken > asset.state.cash {
        return Err(ContractError::InsufficientLiquidity {
            denom: denom.to_string(),
            requested: taken,
            available: asset.state.cash,
        });
    }
    asset.state.cash -= taken;
    asset.state.total_supply_scaled =
        asset
            .state
            .total_supply_scaled
            .checked_sub(burnt)
            .map_err(|_| MathError::Overflow {
                operation: "remove_supply",
            })?;
    asset.dirty = true;
    position.scaled -= burnt;
    account.prune();
    Ok(taken)
}

/// Writes `amount` of the account's supply of `denom` off the books without paying it out (ADL,
/// and netting against its own debt). The pool's cash does not change. Returns the scaled amount
/// burnt (rounded up, capped at the position).
pub fn write_down_supply(
    ledger: &mut Ledger,
    storage: &dyn Storage,
    account: &mut Account,
    denom: &str,
    amount: Uint128,
) -> ContractResult<Uint128> {
    settle_social_claims(ledger, storage, account, denom)?;
    let asset = ledger.load(storage, denom)?;
    let index = asset.state.liquidity_index;
    let Some(position) = account.supply_mut(denom) else {
        return Ok(Uint128::zero());
    };
    let available = scaled::supply_amount(position.scaled, index)?;
    let burnt = if amount >= available {
        position.scaled
    } else {
        scaled::supply_burnt(amount, index)?.min(position.scaled)
    };
    asset.state.total_supply_scaled =
        asset
            .state
            .total_supply_scaled
            .checked_sub(burnt)
            .map_err(|_| MathError::Overflow {
                operation: "write_down_supply",
            })?;
    asset.dirty = true;
    position.scaled -= burnt;
    account.prune();
    Ok(burnt)
}

/// Adds `amount` to the account's debt of `denom` (rounded up). The caller moves the matching
/// tokens (a borrow pays them out of cash; a lot's unpaid debt comes back from auction).
pub fn add_debt(
    ledger: &mut Ledger,
    storage: &dyn Storage,
    account: &mut Account,
    denom: &str,
    amount: Uint128,
) -> ContractResult<()> {
    let asset = ledger.load(storage, denom)?;
    let minted = scaled::debt_minted(amount, asset.state.borrow_index)?;
    asset.state.total_debt_scaled = checked_add(asset.state.total_debt_scaled, minted)?;
    asset.dirty = true;
    match account.debts.iter_mut().find(|p| p.denom == denom) {
        Some(position) => position.scaled = checked_add(position.scaled, minted)?,
        None => account.debts.push(DebtPosition {
            denom: denom.to_string(),
            scaled: minted,
        }),
    }
    Ok(())
}

/// Removes up to `amount` (`None` = all) of the account's debt of `denom` from the books.
/// Returns the amount removed: all of the debt (rounded up) when `amount` covers it, else
/// `amount` (burning scaled debt rounded down). The caller moves the tokens.
pub fn remove_debt(
    ledger: &mut Ledger,
    storage: &dyn Storage,
    account: &mut Account,
    owner: &str,
    denom: &str,
    amount: Option<Uint128>,
) -> ContractResult<Uint128> {
    let asset = ledger.load(storage, denom)?;
    let index = asset.state.borrow_index;
    let position = account
        .debts
        .iter_mut()
        .find(|p| p.denom == denom && !p.scaled.is_zero())
        .ok_or_else(|| ContractError::NoDebt {
            account: owner.to_string(),
            denom: denom.to_string(),
        })?;
    let owed = scaled::debt_amount(position.scaled, index)?;
    let (removed, burnt) = match amount {
        Some(a) if a < owed => (a, scaled::debt_burnt(a, index)?.min(position.scaled)),
        _ => (owed, position.scaled),
    };
    asset.state.total_debt_scaled =
        asset
            .state
            .total_debt_scaled
            .checked_sub(burnt)
            .map_err(|_| MathError::Overflow {
                operation: "remove_debt",
            })?;
    asset.dirty = true;
    position.scaled -= burnt;
    account.prune();
    Ok(removed)
}

/// Loads every asset the account holds or owes and credits every social claim it holds (see
/// `settle_social_claims`), so that what it is owed counts in its health before an action
/// judges it. Crediting a claim loads the asset it credits, so every denom of the result is
/// loaded too.
pub fn load_account_with_claims(
    ledger: &mut Ledger,
    storage: &dyn Storage,
    account: &mut Account,
) -> ContractResult<()> {
    ledger.load_account_assets(storage, account)?;
    for denom in account_denoms(account) {
        settle_social_claims(ledger, storage, account, &denom)?;
    }
    Ok(())
}

/// Credits the account's share of collateral owed in kind to `denom`'s suppliers after a
/// socialised loss, as collateral supply. Runs before any change to its `denom` supply, so the
/// share is always measured on the balance it held when the loss was socialised.
pub fn settle_social_claims(
    ledger: &mut Ledger,
    storage: &dyn Storage,
    account: &mut Account,
    denom: &str,
) -> ContractResult<()> {
    let cumulative = {
        let asset = ledger.load(storage, denom)?;
        if asset.state.social_per_scaled.is_empty() {
            return Ok(());
        }
        asset.state.social_per_scaled.clone()
    };
    let Some(position) = account.supply_mut(denom) else {
        return Ok(());
    };
    let mut owed: Vec<(String, Uint128)> = vec![];
    for (claim_denom, per_scaled) in &cumulative {
        let checkpoint = position
            .social_checkpoints
            .iter()
            .find(|(d, _)| d == claim_denom)
            .map(|(_, c)| *c)
            .unwrap_or_default();
        if *per_scaled > checkpoint {
            let amount = mul_dec(position.scaled, *per_scaled - checkpoint, Rounding::Down)?;
            if !amount.is_zero() {
                owed.push((claim_denom.clone(), amount));
            }
        }
    }
    position.social_checkpoints = cumulative;
    if owed.is_empty() {
        return Ok(());
    }
    let mut credited = vec![];
    {
        let asset = ledger.load(storage, denom)?;
        for (claim_denom, amount) in owed {
            if let Some(coin) = asset
                .state
                .social_unclaimed
                .iter_mut()
                .find(|c| c.denom == claim_denom)
            {
                let held = Uint128::try_from(coin.amount).unwrap_or(Uint128::MAX);
                let paid = amount.min(held);
                coin.amount -= cosmwasm_std::Uint256::from(paid);
                credited.push((claim_denom, paid));
            }
        }
        asset.state.social_unclaimed.retain(|c| !c.amount.is_zero());
        asset.dirty = true;
    }
    for (claim_denom, amount) in credited {
        if !amount.is_zero() {
            add_supply(ledger, storage, account, &claim_denom, amount, true)?;
        }
    }
    Ok(())
}

pub fn checked_add(a: Uint128, b: Uint128) -> ContractResult<Uint128> {
    a.checked_add(b)
        .map_err(|_| ContractError::Overflow(MathError::Overflow { operation: "add" }))
}

pub fn checked_sub(a: Uint128, b: Uint128, operation: &'static str) -> ContractResult<Uint128> {
    a.checked_sub(b)
        .map_err(|_| ContractError::Overflow(MathError::Overflow { operation }))
}
