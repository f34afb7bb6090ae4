//! Ballast's shared interface: every contract's messages and responses, the storage records that
//! sibling contracts read with raw queries, the Pyth wire format, and the fixed-point math.
//!
//! Contracts import their message types from here (`ballast_types::market::ExecuteMsg`, ...), so
//! an integrator depends on this crate alone to speak to any Ballast contract.

pub mod auction;
pub mod backstop;
pub mod math;
pub mod market;
pub mod oracle;
pub mod pyth;

/// Default and maximum page sizes of every paginated query.
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;

/// Clamps a caller's page size to `[1, MAX_LIMIT]`, `DEFAULT_LIMIT` when absent.
pub fn page_limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize
}
