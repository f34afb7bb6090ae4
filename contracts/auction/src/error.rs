//! The auction's one error type: every failure a caller can cause, with the values behind it.

use ballast_types::circuit::{CircuitLevel, CircuitStop};
use ballast_types::funds::FundsMismatch;
use ballast_types::math::MathError;
use ballast_types::oracle::PriceError;
use ballast_types::version::MigrationRefused;
use cosmwasm_std::{Decimal256, StdError, Uint128};
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("the market's circuit level {level} forbids {action}")]
    CircuitOpen { level: CircuitLevel, action: String },

    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Overflow(#[from] MathError),

    #[error("{0}")]
    Price(#[from] PriceError),

    #[error("unauthorized: {sender} may not {action}")]
    Unauthorized { sender: String, action: String },

    #[error("invalid funds: expected {expected}, got {got}")]
    InvalidFunds { expected: String, got: String },

    #[error("invalid parameters: {reason}")]
    InvalidParams { reason: String },

    #[error("invalid lot {lot_id}: {reason}")]
    InvalidLot { lot_id: u64, reason: String },

    #[error("lot id mismatch: the next lot id is {expected}, the market sent {got}")]
    LotIdMismatch { expected: u64, got: u64 },

    #[error("unknown lot {lot_id}")]
    UnknownLot { lot_id: u64 },

    #[error("lot {lot_id} is {status}, not active")]
    LotNotActive { lot_id: u64, status: String },

    #[error("lot {lot_id} needs a reset before it takes bids")]
    NeedsReset { lot_id: u64 },

    #[error("lot {lot_id} does not need a reset (younger than tail and at or above cusp)")]
    CannotReset { lot_id: u64 },

    #[error("the oracle prices lot {lot_id} at zero: it cannot start")]
    ZeroPrice { lot_id: u64 },

    #[error("price too high: the lot's price is {price}, the bid's max_price {max_price}")]
    PriceTooHigh {
        price: Decimal256,
        max_price: Decimal256,
    },

    #[error("dust left: a partial bid may not leave less than min_debt {min_debt} owing, and the tab {tab} is at most min_debt: take the whole lot")]
    DustLeft { tab: Uint128, min_debt: Uint128 },

    #[error("bid too small: at price {price}, {funds} paid and max_collateral {max_collateral} buy no collateral")]
    BidTooSmall {
        price: Decimal256,
        funds: Uint128,
        max_collateral: Uint128,
    },

    #[error("in-auction cap exceeded for {scope}: {in_auction} in auction + {requested} requested > cap {cap}")]
    CapExceeded {
        scope: String,
        cap: Uint128,
        in_auction: Uint128,
        requested: Uint128,
    },

    #[error("the market has no {what} configured")]
    NotWired { what: String },

    #[error("no ownership transfer is pending")]
    NoPendingOwner {},

    #[error("{keeper} has no keeper pay to claim")]
    NothingOwed { keeper: String },

    #[error("the market has no backstop to pay keepers")]
    NoBackstop {},

    #[error("cannot migrate from {name} {version}")]
    InvalidMigration { name: String, version: String },
}

impl From<FundsMismatch> for ContractError {
    fn from(m: FundsMismatch) -> Self {
        ContractError::InvalidFunds {
            expected: m.expected,
            got: m.got,
        }
    }
}

impl From<CircuitStop> for ContractError {
    fn from(stop: CircuitStop) -> Self {
        match stop {
            CircuitStop::Level { level, action } => ContractError::CircuitOpen {
                level,
                action: action.name().to_string(),
            },
            // Only `Liquidate` waits out the grace period, and it is the market's.
            CircuitStop::Grace { resume_at } => ContractError::CircuitOpen {
                level: CircuitLevel::Normal,
                action: format!("act before {resume_at}"),
            },
        }
    }
}

impl From<MigrationRefused> for ContractError {
    fn from(r: MigrationRefused) -> Self {
        ContractError::InvalidMigration {
            name: r.stored_name,
            version: format!("{} ({})", r.stored_version, r.reason),
        }
    }
}

pub type ContractResult<T> = Result<T, ContractError>;
