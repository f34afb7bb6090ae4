//! A Pyth-format price feed for cw-multi-test: it answers the Pyth CosmWasm contract's own
//! `PriceFeed { id }` query in its wire format (`ballast_types::pyth`), with prices and publish
//! times that a test sets.
//!
//! - instantiate: `{}` (`Empty`);
//! - execute: [`PythMockExecuteMsg::SetFeed`], from any sender (it is a test double, and it
//!   stores whatever it is given: negative, zero, stale or future prices included);
//! - query: `{"price_feed":{"id":"<64 hex>"}}` answers
//!   `{"price_feed":{"id":"<hex>","price":{"price":"…","conf":"…","expo":…,"publish_time":…},"ema_price":{…}}}`;
//!   an id that was never set is a query error, as on the real contract.
//!
//! ```ignore
//! let pyth = app.instantiate_contract(app.store_code(pyth_contract()), admin, &Empty {}, &[], "pyth", None)?;
//! app.execute_contract(anyone, pyth, &set_feed(&feed_id(1), pyth_price(1_000_000_000, 1_000_000, -8, now), pyth_price(1_000_000_000, 1_000_000, -8, now)), &[])?;
//! ```

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError, StdResult,
};
use cw_multi_test::{Contract, ContractWrapper};
use cw_storage_plus::Map;

use ballast_types::pyth::{parse_feed_id, PriceFeed, PriceFeedResponse, PythPrice, PythQueryMsg};

/// Feeds by their 32-byte id.
const FEEDS: Map<&[u8], PriceFeed> = Map::new("feeds");

#[cw_serde]
pub enum PythMockExecuteMsg {
    /// Sets (or replaces) a feed; any sender may (it is a test double). `id` is 64 hex
    /// characters, with or without `0x`.
    SetFeed {
        id: String,
        price: PythPrice,
        ema_price: PythPrice,
    },
}

/// A Pyth price from its parts: `price ± conf` × 10^`expo`, published at `publish_time`.
pub fn pyth_price(price: i64, conf: u64, expo: i32, publish_time: i64) -> PythPrice {
    PythPrice {
        price,
        conf,
        expo,
        publish_time,
    }
}

/// A distinct, valid feed id for tests: 32 bytes of `n`, as 64 lowercase hex characters.
pub fn feed_id(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

/// The `SetFeed` message for a feed.
pub fn set_feed(id: &str, price: PythPrice, ema_price: PythPrice) -> PythMockExecuteMsg {
    PythMockExecuteMsg::SetFeed {
        id: id.to_string(),
        price,
        ema_price,
    }
}

fn instantiate(_deps: DepsMut, _env: Env, _info: MessageInfo, _msg: Empty) -> StdResult<Response> {
    Ok(Response::new().add_attribute("action", "instantiate"))
}

fn execute(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: PythMockExecuteMsg,
) -> StdResult<Response> {
    match msg {
        PythMockExecuteMsg::SetFeed {
            id,
            price,
            ema_price,
        } => {
            let id = parse_feed_id(&id).map_err(StdError::msg)?;
            let feed = PriceFeed {
                id: id.clone(),
                price,
                ema_price,
            };
            FEEDS.save(deps.storage, id.as_slice(), &feed)?;
            Ok(Response::new()
                .add_attribute("action", "set_feed")
                .add_attribute("id", id.to_hex()))
        }
    }
}

fn query(deps: Deps, _env: Env, msg: PythQueryMsg) -> StdResult<Binary> {
    match msg {
        PythQueryMsg::PriceFeed { id } => {
            // The real contract answers an unknown id with an error; so does this one.
            let feed = FEEDS
                .may_load(deps.storage, id.as_slice())?
                .ok_or_else(|| StdError::msg(format!("price feed {} not found", id.to_hex())))?;
            to_json_binary(&PriceFeedResponse { price_feed: feed })
        }
    }
}

/// The mock feed as a cw-multi-test contract, to `store_code`.
pub fn pyth_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(execute, instantiate, query))
}
