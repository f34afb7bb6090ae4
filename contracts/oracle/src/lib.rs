//! Ballast oracle adapter: price sources per denom (fixed and Pyth), validation for the
//! `Default` and `Liquidation` kinds, and the per-denom circuit.
//!
//! The validation code lives in `ballast_types::oracle`, shared with the market, auction and
//! backstop, which read this contract's `sources`/`circuits`/`config` records with raw queries.
//! This crate holds what only the oracle does: writing those records, and answering the smart
//! queries with the same rules.

pub mod contract;
pub mod error;
pub mod execute;
pub mod lifecycle;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
