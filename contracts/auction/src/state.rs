//! Every storage key of the auction. The records that the market and the backstop read with raw
//! queries are declared once in `ballast-types` and re-exported here, so writer and readers use
//! the very same keys (docs/ARCHITECTURE.md, "Storage that siblings read").

use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::Map;

pub use ballast_types::auction::{
    Config, Lot, CAPS, CONFIG, IN_AUCTION_BY_DENOM, IN_AUCTION_TOTAL, LOTS, NEXT_LOT_ID,
    OPEN_SALES, PARAMS,
};

/// Ids of the lots still open (`Active` in storage, whether or not they need a reset): the
/// `ActiveLots` query pages over this index instead of every lot ever opened.
pub const ACTIVE_LOTS: Map<u64, ()> = Map::new("active_lots");

/// Keeper pay earned and not claimed yet: (keeper, debt denom) → amount.
pub const KEEPER_OWED: Map<(&Addr, &str), Uint128> = Map::new("keeper_owed");
