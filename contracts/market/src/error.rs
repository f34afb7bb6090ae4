use ballast_types::circuit::{CircuitLevel, CircuitStop};
use ballast_types::funds::FundsMismatch;
use ballast_types::math::MathError;
use ballast_types::oracle::PriceError;
use ballast_types::version::MigrationRefused;
use cosmwasm_std::{Decimal, StdError, Uint128};
use thiserror::Error;

/// Every failure a caller can cause, with the values that caused it.
#[derive(Error, Debug)]
pub enum ContractError {
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

    #[error("unknown denom {denom}")]
    UnknownDenom { denom: String },

    #[error("asset {denom} is already listed")]
    AssetExists { denom: String },

    #[error("invalid parameters for {denom}: {reason}")]
    InvalidAssetParams { denom: String, reason: String },

    #[error("invalid config: {reason}")]
    InvalidConfig { reason: String },

    #[error("{action} of {denom} is disabled")]
    AssetDisabled { denom: String, action: String },

    #[error("supply cap of {denom} exceeded: total supply would be {total}, cap {cap}")]
    SupplyCapExceeded {
        denom: String,
        total: Uint128,
        cap: Uint128,
    },

    #[error("borrow cap of {denom} exceeded: total debt would be {total}, cap {cap}")]
    BorrowCapExceeded {
        denom: String,
        total: Uint128,
        cap: Uint128,
    },

    #[error("insufficient liquidity of {denom}: requested {requested}, available {available}")]
    InsufficientLiquidity {
        denom: String,
        requested: Uint128,
        available: Uint128,
    },

    #[error("insufficient collateral: debt value {debt_value} would exceed borrowing power {borrow_power}")]
    InsufficientCollateral {
        debt_value: Uint128,
        borrow_power: Uint128,
    },

    #[error("debt of {denom} would be {debt}, below its min_debt {min_debt}")]
    BelowMinDebt {
        denom: String,
        debt: Uint128,
        min_debt: Uint128,
    },

    #[error("{account} supplies no {denom}")]
    NoSupply { account: String, denom: String },

    #[error("cannot withdraw {requested} {denom}: {account} supplies {available}")]
    WithdrawExceedsSupply {
        account: String,
        denom: String,
        requested: Uint128,
        available: Uint128,
    },

    #[error("{account} owes no {denom}")]
    NoDebt { account: String, denom: String },

    #[error("amount must be positive")]
    ZeroAmount {},

    #[error("circuit level {level} forbids {action}")]
    CircuitOpen { level: CircuitLevel, action: String },

    #[error(
        "oracle circuit of {denom} is open until {closes_at}: no new borrows against it or of it"
    )]
    OracleCircuitOpen { denom: String, closes_at: u64 },

    #[error("withdrawals of {denom} are gated while its deficit of {deficit} is pending")]
    WithdrawGated { denom: String, deficit: Uint128 },

    #[error("{account}'s collateral cannot be seized now: {reason}")]
    CollateralGated { account: String, reason: String },

    #[error("{account} is not liquidatable: health factor {health_factor}")]
    NotLiquidatable {
        account: String,
        health_factor: String,
    },

    #[error("a borrower may not liquidate itself")]
    SelfLiquidation {},

    #[error("liquidation limit hit: the auction caps leave no room (global room {global_room}, room for {denom} {denom_room})")]
    LiquidationLimitHit {
        global_room: Uint128,
        denom: String,
        denom_room: Uint128,
    },

    #[error("liquidation needs collateral the pool holds: {denom} has no cash (all lent out)")]
    CollateralIlliquid { denom: String },

    #[error("auction and backstop must be configured before liquidations")]
    AuctionNotConfigured {},

    #[error("liquidations resume at {resume_at} after the halt was lifted")]
    GracePeriod { resume_at: u64 },

    #[error("{account} has {open_lots} lots in auction and only dust collateral: wait for them to settle")]
    LotsPending { account: String, open_lots: u32 },

    #[error("unknown lot {lot_id}")]
    UnknownLot { lot_id: u64 },

    #[error("lot {lot_id} belongs to {expected}, not {got}")]
    LotMismatch {
        lot_id: u64,
        expected: String,
        got: String,
    },

    #[error("repayment of {amount} exceeds lot {lot_id}'s outstanding debt {debt}")]
    LotOverpaid {
        lot_id: u64,
        amount: Uint128,
        debt: Uint128,
    },

    #[error("cover of {amount} {denom} exceeds its deficit {deficit}")]
    CoverExceedsDeficit {
        denom: String,
        amount: Uint128,
        deficit: Uint128,
    },

    #[error("no deficit is pending for {denom}")]
    NoDeficit { denom: String },

    #[error("limit must be between 1 and {max}, got {limit}")]
    InvalidLimit { limit: u32, max: u32 },

    #[error(
        "the automatic breaker may raise no_borrows or no_collateral_withdrawals, got {level}"
    )]
    InvalidCircuitLevel { level: CircuitLevel },

    #[error("no ownership transfer is pending")]
    NoPendingOwner {},

    #[error("cannot migrate from {name} {version}")]
    InvalidMigration { name: String, version: String },

    #[error("health factor {health_factor} would be below {minimum}")]
    HealthTooLow {
        health_factor: Decimal,
        minimum: Decimal,
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

impl From<CircuitStop> for ContractError {
    fn from(stop: CircuitStop) -> Self {
        match stop {
            CircuitStop::Level { level, action } => ContractError::CircuitOpen {
                level,
                action: action.name().to_string(),
            },
            CircuitStop::Grace { resume_at } => ContractError::GracePeriod { resume_at },
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
