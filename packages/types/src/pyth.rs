//! The Pyth CosmWasm contract's own wire format, as `pyth-sdk-cw` defines it.
//!
//! Query: `{"price_feed":{"id":"<64 hex chars>"}}`. Answer:
//! `{"price_feed":{"id":"<hex>","price":{"price":"<i64>","conf":"<u64>","expo":-8,"publish_time":1700000000},"ema_price":{...}}}`.
//! `price` and `conf` travel as JSON strings (so that 64-bit integers survive JavaScript),
//! `expo` and `publish_time` as numbers, and the id as lowercase hex without a `0x` prefix.
//! Ballast declares these types itself rather than depending on `pyth-sdk-cw`, which pins an
//! older cosmwasm-std; the shapes are checked against the SDK's serialisation in the tests below.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::HexBinary;

/// The query message of the Pyth contract.
#[cw_serde]
#[derive(QueryResponses)]
pub enum PythQueryMsg {
    #[returns(PriceFeedResponse)]
    PriceFeed { id: HexBinary },
}

#[cw_serde]
pub struct PriceFeedResponse {
    pub price_feed: PriceFeed,
}

/// A price feed: the latest aggregate price and its exponentially-weighted moving average.
#[cw_serde]
pub struct PriceFeed {
    pub id: HexBinary,
    pub price: PythPrice,
    pub ema_price: PythPrice,
}

/// `price ± conf` × 10^`expo`, published at `publish_time` (Unix seconds).
#[cw_serde]
#[schemaifier(mute_warnings)]
pub struct PythPrice {
    #[serde(with = "as_string")]
    #[schemars(with = "String")]
    pub price: i64,
    #[serde(with = "as_string")]
    #[schemars(with = "String")]
    pub conf: u64,
    pub expo: i32,
    pub publish_time: i64,
}

/// Serialises an integer as a JSON string and reads it back, as Pyth's `utils::as_string` does.
mod as_string {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(D::Error::custom)
    }
}

/// Parses a feed id given as 64 hex characters, with or without a `0x` prefix (Pyth's
/// documentation lists ids with the prefix; the contract's wire format has none).
pub fn parse_feed_id(text: &str) -> Result<HexBinary, String> {
    let hex = text.strip_prefix("0x").unwrap_or(text);
    let bytes = HexBinary::from_hex(hex).map_err(|e| format!("feed_id is not hex: {e}"))?;
    if bytes.len() != 32 {
        return Err(format!(
            "feed_id must be 32 bytes (64 hex characters), got {} bytes",
            bytes.len()
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATOM_USD: &str = "b00b60f88b03a6a625a8d1c048c3f66653edf217439983d037e7222c4e612819";

    #[test]
    fn query_has_the_pyth_contract_shape() {
        let msg = PythQueryMsg::PriceFeed {
            id: parse_feed_id(ATOM_USD).unwrap(),
        };
        assert_eq!(
            serde_json::to_string(&msg).unwrap(),
            format!(r#"{{"price_feed":{{"id":"{ATOM_USD}"}}}}"#)
        );
    }

    #[test]
    fn answer_reads_the_sdk_serialisation() {
        // As pyth-sdk's `PriceFeed` serialises: price and conf as strings, expo and time as numbers.
        let json = format!(
            r#"{{"price_feed":{{"id":"{ATOM_USD}","price":{{"price":"1234567890","conf":"1500000","expo":-8,"publish_time":1700000000}},"ema_price":{{"price":"1230000000","conf":"1400000","expo":-8,"publish_time":1700000000}}}}}}"#
        );
        let answer: PriceFeedResponse = serde_json::from_str(&json).unwrap();
        assert_eq!(answer.price_feed.price.price, 1_234_567_890);
        assert_eq!(answer.price_feed.price.conf, 1_500_000);
        assert_eq!(answer.price_feed.price.expo, -8);
        assert_eq!(answer.price_feed.ema_price.price, 1_230_000_000);
        assert_eq!(answer.price_feed.id.to_hex(), ATOM_USD);
        // and writes the same shape back
        assert_eq!(serde_json::to_string(&answer).unwrap(), json);
    }

    #[test]
    fn large_and_negative_integers_survive_as_strings() {
        let price = PythPrice {
            price: -9_000_000_000_000_000_000,
            conf: u64::MAX,
            expo: 2,
            publish_time: -1,
        };
        let json = serde_json::to_string(&price).unwrap();
        assert_eq!(
            json,
            r#"{"price":"-9000000000000000000","conf":"18446744073709551615","expo":2,"publish_time":-1}"#
        );
        assert_eq!(serde_json::from_str::<PythPrice>(&json).unwrap(), price);
        assert!(serde_json::from_str::<PythPrice>(
            r#"{"price":12,"conf":"1","expo":0,"publish_time":0}"#
        )
        .is_err());
    }

    #[test]
    fn feed_ids_must_be_32_bytes_of_hex() {
        assert!(parse_feed_id(&format!("0x{ATOM_USD}")).is_ok());
        assert!(parse_feed_id("abcd").unwrap_err().contains("32 bytes"));
        assert!(parse_feed_id("zz").unwrap_err().contains("not hex"));
    }
}
