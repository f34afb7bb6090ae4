//! Pyth pull updates: the keeper fetches signed price updates from Hermes and puts the Pyth
//! contract's `update_price_feeds` ahead of its own message in the same transaction, paying the
//! fee that the contract's `get_update_fee` names.
//!
//! Pyth's CosmWasm contract speaks (pyth-sdk-cw):
//! - execute `{"update_price_feeds":{"data":["<base64>", ...]}}` with the fee as funds;
//! - query `{"get_update_fee":{"vaas":["<base64>", ...]}}` → a `Coin`;
//! - query `{"price_feed":{"id":"<hex>"}}` → `PriceFeedResponse` (see `ballast_types::pyth`).
//!
//! Hermes (its documented REST API): `GET <base>/v2/updates/price/latest?ids[]=<hex id>&...&
//! encoding=base64&parsed=false` answers `{"binary":{"encoding":"base64","data":["..."]}, ...}`;
//! one accumulator update usually covers every requested feed. The public instances want an API
//! key as `Authorization: Bearer <key>`.
//!
//! Which feed a denom has comes from the oracle's own configuration (`Source { denom }` →
//! `PriceSource::Pyth { contract, feed_id }`), unless the keeper's config names it.

use std::collections::{BTreeMap, BTreeSet};

use ballast_types::oracle::{self, PriceSource, SourceResponse, SourcesResponse};
use ballast_types::pyth::{parse_feed_id, PriceFeedResponse, PythQueryMsg};
use cosmwasm_std::{Binary, Coin};
use serde::{Deserialize, Serialize};

use crate::chain::{query, Chain, ChainError, ContractMsg};
use crate::keeper::PriceUpdates;

/// The Pyth contract's execute messages that the keeper sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PythExecuteMsg {
    UpdatePriceFeeds { data: Vec<Binary> },
}

/// The Pyth contract's fee query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PythFeeQuery {
    GetUpdateFee { vaas: Vec<Binary> },
}

/// Hermes' answer to `/v2/updates/price/latest` (the fields the keeper reads).
#[derive(Clone, Debug, Deserialize)]
pub struct HermesLatest {
    pub binary: HermesBinary,
}

#[derive(Clone, Debug, Deserialize)]
pub struct HermesBinary {
    pub encoding: String,
    pub data: Vec<String>,
}

/// The URL of the latest updates of `feed_ids` (64 hex characters each, with or without `0x`).
pub fn hermes_latest_url(base: &str, feed_ids: &[String]) -> String {
    let mut url = format!("{}/v2/updates/price/latest?", base.trim_end_matches('/'));
    for id in feed_ids {
        url.push_str("ids[]=");
        url.push_str(id.strip_prefix("0x").unwrap_or(id));
        url.push('&');
    }
    url.push_str("encoding=base64&parsed=false");
    url
}

/// Reads Hermes' answer into the update blobs (base64 or hex encoded).
pub fn parse_hermes_latest(body: &[u8]) -> Result<Vec<Binary>, String> {
    let answer: HermesLatest =
        serde_json::from_slice(body).map_err(|e| format!("hermes answer: {e}"))?;
    answer
        .binary
        .data
        .iter()
        .map(|blob| match answer.binary.encoding.as_str() {
            "base64" => Binary::from_base64(blob).map_err(|e| format!("hermes base64: {e}")),
            "hex" => hex::decode(blob.strip_prefix("0x").unwrap_or(blob))
                .map(Binary::from)
                .map_err(|e| format!("hermes hex: {e}")),
            other => Err(format!("hermes encoding {other} is not supported")),
        })
        .collect()
}

/// The messages that update `data` on the Pyth contract, paying `fee`.
pub fn update_msg(pyth: &str, data: Vec<Binary>, fee: Coin) -> Result<ContractMsg, ChainError> {
    ContractMsg::new(
        pyth,
        &PythExecuteMsg::UpdatePriceFeeds { data },
        if fee.amount.is_zero() {
            vec![]
        } else {
            vec![fee]
        },
    )
}

/// Where update blobs come from (Hermes over HTTP in RPC mode; canned data in tests).
pub trait UpdateFetcher {
    /// The latest update data covering `feed_ids` (lowercase hex without `0x`).
    fn fetch(&mut self, feed_ids: &[String]) -> Result<Vec<Binary>, String>;
}

/// [`PriceUpdates`] from Pyth: finds the feeds of the denoms, fetches their update, asks the
/// contract its fee, and returns `update_price_feeds`.
pub struct PythUpdater<F> {
    /// The Pyth contract's address.
    pub contract: String,
    fetcher: F,
    /// denom → feed id (lowercase hex), from the config or found in the oracle's sources;
    /// `None` for a denom that has no Pyth source on this contract.
    feeds: BTreeMap<String, Option<String>>,
    /// Refresh at the start of a round when an on-chain price is older than this (seconds).
    refresh_age: Option<u64>,
}

impl<F: UpdateFetcher> PythUpdater<F> {
    pub fn new(contract: impl Into<String>, fetcher: F) -> Self {
        PythUpdater {
            contract: contract.into(),
            fetcher,
            feeds: BTreeMap::new(),
            refresh_age: None,
        }
    }

    /// Names a denom's feed instead of reading it from the oracle.
    pub fn with_feed(mut self, denom: impl Into<String>, feed_id: &str) -> Result<Self, String> {
        let id = parse_feed_id(feed_id)?.to_hex();
        self.feeds.insert(denom.into(), Some(id));
        Ok(self)
    }

    /// Pushes a standalone update at the start of a round when a feed is older than `secs`.
    pub fn with_refresh_age(mut self, secs: Option<u64>) -> Self {
        self.refresh_age = secs;
        self
    }

    fn feed_of(
        &mut self,
        chain: &dyn Chain,
        oracle: &str,
        denom: &str,
    ) -> Result<Option<String>, ChainError> {
        if let Some(known) = self.feeds.get(denom) {
            return Ok(known.clone());
        }
        let answer: Result<SourceResponse, _> = query(
            chain,
            oracle,
            &oracle::QueryMsg::Source {
                denom: denom.to_string(),
            },
        );
        let feed = match answer {
            Ok(source) => self.pyth_feed(&source.source),
            Err(ChainError::Query { .. }) => None, // no source for that denom
            Err(e) => return Err(e),
        };
        self.feeds.insert(denom.to_string(), feed.clone());
        Ok(feed)
    }

    fn pyth_feed(&self, source: &PriceSource) -> Option<String> {
        match source {
            PriceSource::Pyth {
                contract, feed_id, ..
            } if *contract == self.contract => parse_feed_id(feed_id).ok().map(|id| id.to_hex()),
            _ => None,
        }
    }

    /// Every Pyth feed of this contract that the oracle lists.
    fn all_feeds(&mut self, chain: &dyn Chain, oracle: &str) -> Result<Vec<String>, ChainError> {
        let mut start_after = None;
        loop {
            let page: SourcesResponse = query(
                chain,
                oracle,
                &oracle::QueryMsg::Sources {
                    start_after: start_after.clone(),
                    limit: Some(ballast_types::MAX_LIMIT),
                },
            )?;
            for source in &page.sources {
                let feed = self.pyth_feed(&source.source);
                self.feeds.entry(source.denom.clone()).or_insert(feed);
            }
            if (page.sources.len() as u32) < ballast_types::MAX_LIMIT {
                break;
            }
            start_after = page.sources.last().map(|s| s.denom.clone());
        }
        Ok(self.known_feeds())
    }

    fn known_feeds(&self) -> Vec<String> {
        let set: BTreeSet<String> = self.feeds.values().flatten().cloned().collect();
        set.into_iter().collect()
    }

    /// The update message for `feed_ids`, with the fee the contract asks.
    pub fn msg_for(
        &mut self,
        chain: &dyn Chain,
        feed_ids: &[String],
    ) -> Result<Vec<ContractMsg>, ChainError> {
        if feed_ids.is_empty() {
            return Ok(vec![]);
        }
        let data = self
            .fetcher
            .fetch(feed_ids)
            .map_err(|e| ChainError::Other(format!("price update fetch: {e}")))?;
        if data.is_empty() {
            return Err(ChainError::Other(
                "price update fetch returned no data".into(),
            ));
        }
        let fee: Coin = query(
            chain,
            &self.contract,
            &PythFeeQuery::GetUpdateFee { vaas: data.clone() },
        )?;
        Ok(vec![update_msg(&self.contract, data, fee)?])
    }
}

impl<F: UpdateFetcher> PriceUpdates for PythUpdater<F> {
    fn update_msgs(
        &mut self,
        chain: &dyn Chain,
        oracle: &str,
        denoms: Option<&[String]>,
    ) -> Result<Vec<ContractMsg>, ChainError> {
        let feeds = match denoms {
            Some(denoms) => {
                let mut feeds = BTreeSet::new();
                for denom in denoms {
                    if let Some(feed) = self.feed_of(chain, oracle, denom)? {
                        feeds.insert(feed);
                    }
                }
                feeds.into_iter().collect()
            }
            None => self.all_feeds(chain, oracle)?,
        };
        self.msg_for(chain, &feeds)
    }

    fn refresh_msgs(
        &mut self,
        chain: &dyn Chain,
        oracle: &str,
        now: u64,
    ) -> Result<Vec<ContractMsg>, ChainError> {
        let Some(max_age) = self.refresh_age else {
            return Ok(vec![]);
        };
        let feeds = self.all_feeds(chain, oracle)?;
        let mut stale = false;
        for feed in &feeds {
            let id = parse_feed_id(feed).map_err(ChainError::Other)?;
            let answer: Result<PriceFeedResponse, _> =
                query(chain, &self.contract, &PythQueryMsg::PriceFeed { id });
            let published = answer
                .map(|a| a.price_feed.price.publish_time.max(0) as u64)
                .unwrap_or(0);
            if now.saturating_sub(published) > max_age {
                stale = true;
                break;
            }
        }
        if stale {
            self.msg_for(chain, &feeds)
        } else {
            Ok(vec![])
        }
    }
}

/// A fetcher that returns the same blobs for any feeds (tests, and the simulator's fake Pyth).
pub struct FixedFetcher {
    pub data: Vec<Binary>,
    /// The feed ids of every call, for assertions.
    pub calls: Vec<Vec<String>>,
}

impl UpdateFetcher for FixedFetcher {
    fn fetch(&mut self, feed_ids: &[String]) -> Result<Vec<Binary>, String> {
        self.calls.push(feed_ids.to_vec());
        Ok(self.data.clone())
    }
}

/// Hermes over HTTP (feature `rpc`).
#[cfg(feature = "rpc")]
pub mod hermes {
    use std::time::Duration;

    use cosmwasm_std::Binary;

    use super::{hermes_latest_url, parse_hermes_latest, UpdateFetcher};
    use crate::rpc::retry::{retry, RetryPolicy};

    pub struct HermesFetcher {
        base: String,
        api_key: Option<String>,
        client: reqwest::Client,
        runtime: tokio::runtime::Runtime,
        retry: RetryPolicy,
    }

    impl HermesFetcher {
        pub fn new(
            base: &str,
            api_key: Option<String>,
            timeout: Duration,
            retry: RetryPolicy,
        ) -> Result<Self, String> {
            let client = reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .map_err(|e| e.to_string())?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            Ok(HermesFetcher {
                base: base.to_string(),
                api_key,
                client,
                runtime,
                retry,
            })
        }
    }

    impl UpdateFetcher for HermesFetcher {
        fn fetch(&mut self, feed_ids: &[String]) -> Result<Vec<Binary>, String> {
            let url = hermes_latest_url(&self.base, feed_ids);
            let client = self.client.clone();
            let key = self.api_key.clone();
            let body = self.runtime.block_on(retry(&self.retry, "hermes", || {
                let mut request = client.get(&url);
                if let Some(key) = &key {
                    request = request.bearer_auth(key);
                }
                async move {
                    let response = request.send().await.map_err(|e| e.to_string())?;
                    let status = response.status();
                    let body = response.bytes().await.map_err(|e| e.to_string())?;
                    if !status.is_success() {
                        return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
                    }
                    Ok(body.to_vec())
                }
            }))?;
            parse_hermes_latest(&body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{BlockInfo, SimOutcome, TxOutcome};
    use cosmwasm_std::{coin, Decimal, Uint128};

    const ATOM: &str = "b00b60f88b03a6a625a8d1c048c3f66653edf217439983d037e7222c4e612819";
    const OSMO: &str = "5867f5683c757393a0670ef0f701490950fe93fdb006d181c8265a831ac0c5c6";

    /// Answers the oracle's `source`/`sources` and Pyth's `get_update_fee`.
    struct Fake;

    impl Chain for Fake {
        fn sender(&self) -> String {
            "keeper".into()
        }
        fn block(&self) -> Result<BlockInfo, ChainError> {
            Ok(BlockInfo { height: 1, time: 1 })
        }
        fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ChainError> {
            let v: serde_json::Value = serde_json::from_slice(msg).unwrap();
            let pyth = |feed: &str| PriceSource::Pyth {
                contract: "pyth".into(),
                feed_id: format!("0x{feed}"),
                max_staleness: 60,
                max_confidence: Decimal::percent(5),
                max_deviation: Decimal::percent(5),
                conf_multiplier: Decimal::one(),
                denom_decimals: 6,
            };
            let answer = match (
                contract,
                v.as_object().unwrap().keys().next().unwrap().as_str(),
            ) {
                ("oracle", "source") => {
                    let denom = v["source"]["denom"].as_str().unwrap();
                    let source = match denom {
                        "uatom" => pyth(ATOM),
                        "uosmo" => pyth(OSMO),
                        "uusd" => PriceSource::Fixed {
                            price: cosmwasm_std::Decimal256::one(),
                        },
                        _ => {
                            return Err(ChainError::Query {
                                contract: contract.into(),
                                message: "no source".into(),
                            })
                        }
                    };
                    serde_json::to_vec(&SourceResponse {
                        denom: denom.into(),
                        source,
                    })
                }
                ("oracle", "sources") => serde_json::to_vec(&SourcesResponse {
                    sources: vec![
                        SourceResponse {
                            denom: "uatom".into(),
                            source: pyth(ATOM),
                        },
                        SourceResponse {
                            denom: "uosmo".into(),
                            source: pyth(OSMO),
                        },
                        SourceResponse {
                            denom: "uusd".into(),
                            source: PriceSource::Fixed {
                                price: cosmwasm_std::Decimal256::one(),
                            },
                        },
                    ],
                }),
                ("pyth", "get_update_fee") => {
                    let n = v["get_update_fee"]["vaas"].as_array().unwrap().len() as u128;
                    serde_json::to_vec(&coin(n, "untrn"))
                }
                other => panic!("unexpected query {other:?}"),
            };
            Ok(answer.unwrap())
        }
        fn balance(&self, _: &str, _: &str) -> Result<Uint128, ChainError> {
            unreachable!()
        }
        fn execute(&mut self, _: &[ContractMsg]) -> Result<TxOutcome, ChainError> {
            unreachable!()
        }
        fn simulate(&mut self, _: &[ContractMsg]) -> Result<SimOutcome, ChainError> {
            unreachable!()
        }
    }

    #[test]
    fn hermes_url_and_answer() {
        assert_eq!(
            hermes_latest_url("https://hermes.example/", &[format!("0x{ATOM}"), OSMO.to_string()]),
            format!("https://hermes.example/v2/updates/price/latest?ids[]={ATOM}&ids[]={OSMO}&encoding=base64&parsed=false")
        );
        let body = br#"{"binary":{"encoding":"base64","data":["UE5BVQEAAAA="]},"parsed":[]}"#;
        assert_eq!(
            parse_hermes_latest(body).unwrap(),
            vec![Binary::from(b"PNAU\x01\0\0\0".to_vec())]
        );
        let body = br#"{"binary":{"encoding":"hex","data":["504e4155"]}}"#;
        assert_eq!(
            parse_hermes_latest(body).unwrap(),
            vec![Binary::from(b"PNAU".to_vec())]
        );
        assert!(parse_hermes_latest(br#"{"binary":{"encoding":"zip","data":["x"]}}"#).is_err());
        assert!(parse_hermes_latest(b"{}").is_err());
    }

    #[test]
    fn update_goes_first_with_its_fee_and_covers_the_pyth_denoms_only() {
        let fetcher = FixedFetcher {
            data: vec![
                Binary::from(b"vaa-1".to_vec()),
                Binary::from(b"vaa-2".to_vec()),
            ],
            calls: vec![],
        };
        let mut updater = PythUpdater::new("pyth", fetcher);
        let chain = Fake;
        let denoms = vec![
            "uusd".to_string(),
            "uatom".to_string(),
            "unknown".to_string(),
        ];
        let msgs = updater
            .update_msgs(&chain, "oracle", Some(&denoms))
            .unwrap();
        assert_eq!(updater.fetcher.calls, vec![vec![ATOM.to_string()]]);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].contract, "pyth");
        assert_eq!(msgs[0].funds, vec![coin(2, "untrn")]);
        assert_eq!(
            msgs[0].msg_text(),
            r#"{"update_price_feeds":{"data":["dmFhLTE=","dmFhLTI="]}}"#
        );
        // No Pyth denom: no message, no fetch.
        let msgs = updater
            .update_msgs(&chain, "oracle", Some(&["uusd".to_string()]))
            .unwrap();
        assert!(msgs.is_empty());
        assert_eq!(updater.fetcher.calls.len(), 1);
        // All feeds (ADL): both Pyth feeds, sorted.
        updater.update_msgs(&chain, "oracle", None).unwrap();
        let mut expected = vec![ATOM.to_string(), OSMO.to_string()];
        expected.sort();
        assert_eq!(updater.fetcher.calls[1], expected);
    }

    #[test]
    fn configured_feeds_take_precedence_and_are_normalised() {
        let fetcher = FixedFetcher {
            data: vec![Binary::from(b"v".to_vec())],
            calls: vec![],
        };
        let other = "ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace";
        let mut updater = PythUpdater::new("pyth", fetcher)
            .with_feed("uatom", &format!("0x{}", other.to_uppercase()))
            .unwrap();
        updater
            .update_msgs(&Fake, "oracle", Some(&["uatom".to_string()]))
            .unwrap();
        assert_eq!(updater.fetcher.calls, vec![vec![other.to_string()]]);
        assert!(PythUpdater::new(
            "pyth",
            FixedFetcher {
                data: vec![],
                calls: vec![]
            }
        )
        .with_feed("x", "abc")
        .is_err());
    }

    #[test]
    fn a_zero_fee_sends_no_funds() {
        let msg = update_msg("pyth", vec![Binary::from(b"v".to_vec())], coin(0, "untrn")).unwrap();
        assert!(msg.funds.is_empty());
    }
}
