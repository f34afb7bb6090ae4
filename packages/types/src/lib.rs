//! Ballast's shared interface: every contract's messages and responses, the storage records that
//! sibling contracts read with raw queries, the Pyth wire format, and the fixed-point math.
//!
//! Contracts import their message types from here (`ballast_types::market::ExecuteMsg`, ...), so
//! an integrator depends on this crate alone to speak to any Ballast contract.

pub mod auction;
pub mod backstop;
pub mod circuit;
pub mod funds;
pub mod market;
pub mod math;
pub mod oracle;
pub mod pyth;
pub mod version;

/// Default and maximum page sizes of every paginated query.
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;

/// Clamps a caller's page size to `[1, MAX_LIMIT]`, `DEFAULT_LIMIT` when absent.
pub fn page_limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize
}

/// Reads another contract's `Item` with a raw query; `None` when it was never written.
pub fn may_query_item<T: serde::Serialize + serde::de::DeserializeOwned>(
    querier: &cosmwasm_std::QuerierWrapper,
    contract: &cosmwasm_std::Addr,
    item: &cw_storage_plus::Item<T>,
) -> cosmwasm_std::StdResult<Option<T>> {
    match querier.query_wasm_raw(contract.as_str(), item.as_slice().to_vec())? {
        Some(bytes) if !bytes.is_empty() => cosmwasm_std::from_json(&bytes).map(Some),
        _ => Ok(None),
    }
}
