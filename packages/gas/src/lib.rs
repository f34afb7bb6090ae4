//! Ballast's gas harness: runs the optimized wasm artifacts in cosmwasm-vm on a small
//! multi-contract chain and prices every operation as wasmd charges it. See `docs/GAS.md`.

pub mod api;
pub mod chain;
pub mod price;
pub mod report;
pub mod scenarios;
pub mod storage;
pub mod world;
