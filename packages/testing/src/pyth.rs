//! A Pyth-format price feed: answers the Pyth CosmWasm contract's own `PriceFeed { id }` query
//! in its wire format (`ballast_types::pyth`), with prices and publish times a test sets.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError, StdResult,
};
use cw_multi_test::{Contract, ContractWrapper};
use cw_storage_plus::Map;

use ballast_types::pyth::{parse_feed_id, PriceFeed, PriceFeedResponse, PythPrice, PythQueryMsg};

const FEEDS: Map<&[u8], PriceFeed> = Map::new("feeds");

#[cw_serde]
pub enum PythMockExecuteMsg {
    /// Sets (or replaces) a feed; any sender may (it is a test double).
    SetFeed {
        id: String,
        price: PythPrice,
        ema_price: PythPrice,
    },
}

/// A Pyth price from its parts.
pub fn pyth_price(price: i64, conf: u64, expo: i32, publish_time: i64) -> PythPrice {
    PythPrice {
        price,
        conf,
        expo,
        publish_time,
    }
}

fn instantiate(_deps: DepsMut, _env: Env, _info: MessageInfo, _msg: Empty) -> StdResult<Response> {
    Ok(Response::new())
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
            // The real contract answers an unknown id with an error, so does this one.
            let feed = FEEDS
                .may_load(deps.storage, id.as_slice())?
                .ok_or_else(|| StdError::msg(format!("price feed {} not found", id.to_hex())))?;
            to_json_binary(&PriceFeedResponse { price_feed: feed })
        }
    }
}

pub fn pyth_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(execute, instantiate, query))
}
