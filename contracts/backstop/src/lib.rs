//! Ballast backstop: the insurance fund with its stakers, the loss waterfall, absorption of
//! failed lots, sales of absorbed collateral, keeper pay, and the entry point of ADL.

pub mod contract;
pub mod error;
pub mod execute;
pub mod query;
pub mod state;
pub mod waterfall;

pub use crate::error::ContractError;
