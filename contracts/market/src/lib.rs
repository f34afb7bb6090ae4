//! Ballast market: multi-asset lending with scaled balances, kink interest, health checks,
//! liquidation into Dutch auctions, deficits and the auto-deleveraging index.

pub mod adl;
pub mod contract;
pub mod error;
pub mod execute;
pub mod gate;
pub mod health;
pub mod interest;
pub mod ledger;
pub mod liquidation;
pub mod prices;
pub mod query;
pub mod small_map;
pub mod state;

pub use crate::error::ContractError;
