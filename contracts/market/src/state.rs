//! Every storage key of the market, in one place.
//!
//! `CONFIG`, `DEFICITS` and `PENDING_DEFICITS` are declared in `ballast-types` because the
//! auction and the backstop read them with raw queries. Account and asset records use short
//! serde names: a chain charges 30 gas per byte written, and these are written on every action.

use cosmwasm_std::{Addr, Coin, Decimal, Decimal256, Uint128};
use cw_storage_plus::Map;
use serde::{Deserialize, Serialize};

use ballast_types::market::AssetParams;
pub use ballast_types::market::{
    CircuitState, ASSET_LIST, CIRCUIT, CONFIG, DEFICITS, PENDING_DEFICITS,
};
use ballast_types::math::Ramp;

/// An asset's configuration: what the owner sets, and the ramp of a lowered threshold.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AssetConfig {
    pub params: AssetParams,
    pub lt_ramp: Option<Ramp>,
}

/// An asset's books, written whenever its totals change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AssetState {
    #[serde(rename = "li")]
    pub liquidity_index: Decimal256,
    #[serde(rename = "bi")]
    pub borrow_index: Decimal256,
    #[serde(rename = "br")]
    pub borrow_rate: Decimal256,
    #[serde(rename = "sr")]
    pub supply_rate: Decimal256,
    /// Scaled supply of all suppliers, reserves included.
    #[serde(rename = "ts")]
    pub total_supply_scaled: Uint128,
    /// Scaled debt that accrues interest (debt in auction is not here).
    #[serde(rename = "td")]
    pub total_debt_scaled: Uint128,
    /// The insurance fund's share of the supply (the reserve factor's cut of interest).
    #[serde(rename = "rs")]
    pub reserve_scaled: Uint128,
    /// Tokens of this denom the pool holds (in-kind collateral held for deficits is apart).
    #[serde(rename = "c")]
    pub cash: Uint128,
    /// Debt moved into lots: fixed tabs that no longer accrue.
    #[serde(rename = "da")]
    pub debt_in_auction: Uint128,
    #[serde(rename = "t")]
    pub last_updated: u64,
    /// Collateral owed in kind to this denom's suppliers after a socialised loss: cumulative
    /// amount per scaled unit of supply, per collateral denom.
    #[serde(rename = "k", default, skip_serializing_if = "Vec::is_empty")]
    pub social_per_scaled: Vec<(String, Decimal256)>,
    /// The coins of those claims not yet credited to suppliers.
    #[serde(rename = "ku", default, skip_serializing_if = "Vec::is_empty")]
    pub social_unclaimed: Vec<Coin>,
}

/// One account's balances. One record per account: a health check reads it in one go.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Account {
    #[serde(rename = "s", default, skip_serializing_if = "Vec::is_empty")]
    pub supplies: Vec<SupplyPosition>,
    #[serde(rename = "d", default, skip_serializing_if = "Vec::is_empty")]
    pub debts: Vec<DebtPosition>,
    /// Lots of this account in auction.
    #[serde(rename = "l", default, skip_serializing_if = "is_zero_u32")]
    pub open_lots: u32,
    /// Penalty its closed lots paid to the fund, per debt denom, while its liquidation runs
    /// (waterfall step 2); cleared when the last lot closes without a shortfall.
    #[serde(rename = "p", default, skip_serializing_if = "Vec::is_empty")]
    pub penalties: Vec<(String, Uint128)>,
    /// A lot of this account closed with debt unpaid (or failed): when its last lot closes,
    /// test for a shortfall. Lots that repay in full leave the account healthier and skip the
    /// test (and the prices it needs).
    #[serde(rename = "u", default, skip_serializing_if = "std::ops::Not::not")]
    pub shortfall_check: bool,
}

fn is_zero_u32(value: &u32) -> bool {
    *value == 0
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SupplyPosition {
    #[serde(rename = "n")]
    pub denom: String,
    #[serde(rename = "s")]
    pub scaled: Uint128,
    #[serde(rename = "c")]
    pub collateral: bool,
    /// Liquidity index at entry, weighted by scaled amount (yield for the ADL score).
    #[serde(rename = "e")]
    pub entry_index: Decimal256,
    /// The ADL bucket this supply is filed in, if any.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub adl_bucket: Option<u8>,
    /// Social claims per scaled unit already credited (see `AssetState::social_per_scaled`).
    #[serde(rename = "k", default, skip_serializing_if = "Vec::is_empty")]
    pub social_checkpoints: Vec<(String, Decimal256)>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DebtPosition {
    #[serde(rename = "n")]
    pub denom: String,
    #[serde(rename = "s")]
    pub scaled: Uint128,
}

/// The market's record of a lot in auction: what it still owes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LotRecord {
    pub borrower: Addr,
    pub debt_denom: String,
    pub collateral_denom: String,
    pub debt: Uint128,
}

/// Where an ADL step continues inside a denom's top bucket.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AdlCursor {
    pub bucket: u8,
    pub after: Addr,
    /// The share of their supply that this round through the bucket takes from each account.
    pub fraction: Decimal256,
}

pub const ASSETS: Map<&str, AssetConfig> = Map::new("assets");
pub const ASSET_STATES: Map<&str, AssetState> = Map::new("asset_states");
pub const ACCOUNTS: Map<&Addr, Account> = Map::new("accounts");
/// Accounts that owe debt: what `Liquidatable` scans.
pub const BORROWERS: Map<&Addr, ()> = Map::new("borrowers");
pub const LOTS: Map<u64, LotRecord> = Map::new("lots");
/// ADL index: (denom, bucket, account) → score.
pub const ADL_INDEX: Map<(&str, u8, &Addr), Decimal> = Map::new("adl_index");
/// Scaled supply filed per (denom, bucket), for pro-rata write-downs.
pub const ADL_BUCKET_SUPPLY: Map<(&str, u8), Uint128> = Map::new("adl_bucket_supply");
pub const ADL_CURSORS: Map<&str, AdlCursor> = Map::new("adl_cursors");
