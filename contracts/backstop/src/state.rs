//! Every storage key of the backstop. `PARAMS` is declared in `ballast-types` because the
//! market reads the ADL buckets from it with a raw query.

use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

pub use ballast_types::backstop::{ADL_PARAMS, PARAMS};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Config {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub market: Addr,
    pub oracle: Addr,
}

/// The stakers' pool: tokens of `stake_denom` backing every share, active or unbonding.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct StakePool {
    pub tokens: Uint128,
    pub shares: Uint128,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Unbond {
    pub shares: Uint128,
    pub claimable_at: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Staker {
    /// Active shares.
    pub shares: Uint128,
    /// Shares in their cooldown: still first loss until claimed.
    pub unbonding: Vec<Unbond>,
}

/// The fund's highest value inside the current drawdown window.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct HighWaterMark {
    pub value: Uint128,
    pub since: u64,
}

/// Collateral the fund paid for (failed lots, shortfalls) and has not sold yet.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Absorbed {
    pub amount: Uint128,
    /// The denom the fund paid with: what a sale asks for by default.
    pub proceeds_denom: String,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const STAKE_POOL: Item<StakePool> = Item::new("stake_pool");
pub const STAKERS: Map<&Addr, Staker> = Map::new("stakers");
pub const HIGH_WATER_MARK: Item<HighWaterMark> = Item::new("high_water_mark");
pub const ABSORBED: Map<&str, Absorbed> = Map::new("absorbed");
