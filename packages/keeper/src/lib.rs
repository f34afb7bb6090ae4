//! Ballast's keeper: finds liquidatable accounts, liquidates within the auction's caps, bids on
//! discounted lots, resets stale lots, pokes stale ADL scores and runs ADL steps while a deficit
//! is pending, all from queries alone.
//!
//! - [`chain::Chain`]: what the keeper needs from a chain. Implementations:
//!   [`in_process::InProcessChain`] (a cw-multi-test `App`, for tests and the simulator) and,
//!   with the default feature `rpc`, [`rpc::RpcChain`] (a node over Tendermint/CometBFT RPC).
//! - [`decide`]: every decision as a pure function over query results.
//! - [`keeper::Keeper`]: one [`keeper::Keeper::round`] against any chain; returns counters.
//! - [`pyth`]: Pyth pull updates put ahead of the keeper's messages (Hermes in RPC mode).
//! - [`deploy`]: stores and instantiates the four contracts in the API's order.
//! - [`metrics`]: Prometheus text of the counters on a loopback listener.
//!
//! The simulator depends on this crate with `default-features = false`: no cosmrs, no tokio.
//!
//! ```ignore
//! let mut keeper = Keeper::new(market_addr, KeeperSettings::default());
//! for _block in 0..blocks {
//!     // ... move prices, advance the app's block ...
//!     let mut chain = InProcessChain::new(&mut app, keeper_addr.clone());
//!     let report = keeper.round(&mut chain)?;
//! }
//! ```

pub mod chain;
pub mod decide;
pub mod deploy;
pub mod in_process;
pub mod keeper;
pub mod metrics;
pub mod pyth;

#[cfg(feature = "rpc")]
pub mod config;
#[cfg(feature = "rpc")]
pub mod rpc;

pub use chain::{query, BlockInfo, Chain, ChainError, ContractMsg, SimOutcome, TxEvent, TxOutcome};
pub use in_process::InProcessChain;
pub use keeper::{Counters, Keeper, KeeperSettings, PriceUpdates, RoundReport};
