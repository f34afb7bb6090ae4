use ballast_types::circuit::{CircuitLevel, CircuitStop};
use ballast_types::funds::FundsMismatch;
use ballast_types::math::MathError;
use ballast_types::oracle::PriceError;
use ballast_types::version::MigrationRefused;
use cosmwasm_std::{StdError, Uint128};
use thiserror::Error;

/// Every failure a caller can cause, with the values that caused it.
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

    #[error("amount must be positive")]
    ZeroAmount {},

    #[error("{address} has {available} shares, cannot unstake {requested}")]
    InsufficientShares {
        address: String,
        requested: Uint128,
        available: Uint128,
    },

    #[error("stakers may not exit while {reason}")]
    ExitGated { reason: String },

    #[error("nothing to claim for {address} (next claimable at {next:?})")]
    NothingToClaim { address: String, next: Option<u64> },

    #[error(
        "the stake pool was wiped out by losses; new stakes would be diluted by worthless shares"
    )]
    StakePoolWipedOut {},

    #[error("no deficit is pending for {denom}")]
    NoDeficit { denom: String },

    #[error("limit must be between 1 and {max}, got {limit}")]
    InvalidLimit { limit: u32, max: u32 },

    #[error("unknown lot {lot_id}")]
    UnknownLot { lot_id: u64 },

    #[error("lot {lot_id} is {status}, not failed")]
    LotNotFailed { lot_id: u64, status: String },

    #[error("the fund holds {available} {denom} absorbed, cannot sell {requested}")]
    InsufficientAbsorbed {
        denom: String,
        requested: Uint128,
        available: Uint128,
    },

    #[error("the oracle circuit of {denom} is open: only the owner may sell it now")]
    SaleBlocked { denom: String },

    #[error(
        "the market's circuit level is {level}: only the owner may sell absorbed collateral now"
    )]
    MarketStressed { level: CircuitLevel },

    #[error("the market has no {what} configured")]
    NotWired { what: String },

    #[error("no ownership transfer is pending")]
    NoPendingOwner {},

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
