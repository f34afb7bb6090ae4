use ballast_types::funds::FundsMismatch;
use ballast_types::oracle::PriceError;
use ballast_types::version::MigrationRefused;
use cosmwasm_std::StdError;
use thiserror::Error;

/// Every failure a caller can cause, with the values that caused it.
#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    /// A refused price (stale, zero or negative, too wide a confidence interval, too far from
    /// its EMA, or a Pyth query that failed), with the denom and values that failed.
    #[error("{0}")]
    Price(#[from] PriceError),

    #[error("unauthorized: {sender} may not {action}")]
    Unauthorized { sender: String, action: String },

    /// The oracle takes no coins on any message.
    #[error("invalid funds: expected {expected}, got {got}")]
    InvalidFunds { expected: String, got: String },

    #[error("unknown denom {denom}: it has no price source")]
    UnknownDenom { denom: String },

    #[error("invalid config: {reason}")]
    InvalidConfig { reason: String },

    #[error("invalid {field} address {address:?}: {reason}")]
    InvalidAddress {
        field: String,
        address: String,
        reason: String,
    },

    #[error("{denom} has no circuit parameters to observe")]
    NoCircuit { denom: String },

    #[error("observe takes 1 to {max} denoms, got {count}")]
    InvalidDenomCount { count: usize, max: usize },

    #[error("denom {denom} is listed more than once")]
    DuplicateDenom { denom: String },

    #[error("no ownership transfer is pending")]
    NoPendingOwner {},

    #[error("cannot migrate from {name} {version} to {expected_name} {expected_version}")]
    InvalidMigration {
        name: String,
        version: String,
        expected_name: String,
        expected_version: String,
    },
}

impl From<FundsMismatch> for ContractError {
    fn from(m: FundsMismatch) -> Self {
        ContractError::InvalidFunds {
            expected: m.expected,
            got: m.got,
        }
    }
}

impl From<MigrationRefused> for ContractError {
    fn from(r: MigrationRefused) -> Self {
        ContractError::InvalidMigration {
            name: r.stored_name,
            version: r.stored_version,
            expected_name: r.name,
            expected_version: format!("{} or older", r.version),
        }
    }
}

pub type ContractResult<T> = Result<T, ContractError>;
