//! Ballast auction: Dutch auctions of seized collateral (after Maker's Clipper), keeper
//! incentives, and the in-auction caps that slow fire sales. See docs/PROTOCOL.md ("Liquidation
//! auctions", Exact rules 1, 2, 5, 7 and 10) and docs/ARCHITECTURE.md (the storage the market
//! and the backstop read raw, and the internal messages).

pub mod contract;
pub mod curve;
pub mod error;
pub mod execute;
pub mod query;
pub mod state;
pub mod take;

pub use crate::error::ContractError;
