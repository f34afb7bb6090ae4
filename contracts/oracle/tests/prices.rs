//! Prices through the Pyth-format mock: validation per kind, exponent and decimals
//! normalisation, and the `Price`/`Prices`/`Source`/`Sources`/`Config` queries.

mod common;

use ballast_oracle::ContractError;
use ballast_testing::pyth::{feed_id, pyth_price};
use ballast_types::oracle::{
    query_prices, PriceError, PriceKind, PriceResponse, PriceSource, PricesResponse, QueryMsg,
    SourcesResponse,
};
use common::*;
use cosmwasm_std::{Decimal256, Uint256};

const DEFAULT: Option<PriceKind> = Some(PriceKind::Default);
const LIQUIDATION: Option<PriceKind> = Some(PriceKind::Liquidation);

/// `uatom` on its feed, with the feed then set to `price`/`conf` (expo −8) and an EMA of `ema`,
/// published now.
fn atom_at(price: i64, conf: u64, ema: i64) -> Suite {
    let mut s = Suite::new().with_atom();
    let now = s.now() as i64;
    s.set_feed(
        &atom_feed(),
        pyth_price(price, conf, -8, now),
        pyth_price(ema, conf, -8, now),
    );
    s
}

fn answer(denom: &str, price: &str, conf: &str, publish_time: u64) -> PriceResponse {
    PriceResponse {
        denom: denom.into(),
        price: dec(price),
        conf: dec(conf),
        publish_time,
    }
}

#[test]
fn a_good_pyth_price_passes_both_kinds_and_kind_defaults_to_default() {
    let s = atom_at(1_000_000_000, 1_000_000, 1_000_000_000);
    let expected = answer(ATOM, "10", "0.01", GENESIS);
    assert_eq!(s.price(ATOM, DEFAULT).unwrap(), expected);
    assert_eq!(s.price(ATOM, LIQUIDATION).unwrap(), expected);
    assert_eq!(s.price(ATOM, None).unwrap(), expected);
}

#[test]
fn a_fixed_price_is_its_own_answer_at_block_time() {
    let mut s = Suite::new();
    s.set_source(QUOTE, PriceSource::Fixed { price: dec("1") });
    s.advance(1_000);
    for kind in [DEFAULT, LIQUIDATION] {
        assert_eq!(
            s.price(QUOTE, kind).unwrap(),
            answer(QUOTE, "1", "0", GENESIS + 1_000)
        );
    }
}

#[test]
fn a_stale_price_is_refused_for_both_kinds_one_second_past_max_staleness() {
    let mut s = atom_at(1_000_000_000, 1_000_000, 1_000_000_000);
    s.advance(60);
    assert_eq!(s.price(ATOM, DEFAULT).unwrap().price, dec("10"));
    s.advance(1);
    for kind in [DEFAULT, LIQUIDATION] {
        assert_error(
            &s.price(ATOM, kind).unwrap_err(),
            PriceError::PriceStale {
                denom: ATOM.into(),
                publish_time: GENESIS as i64,
                now: GENESIS + 61,
                max_staleness: 60,
            },
        );
    }
}

#[test]
fn a_price_published_in_the_future_is_refused_as_stale() {
    let mut s = Suite::new().with_atom();
    let ahead = (GENESIS + 61) as i64;
    let p = pyth_price(1_000_000_000, 1_000_000, -8, ahead);
    s.set_feed(&atom_feed(), p.clone(), p);
    assert_error(
        &s.price(ATOM, LIQUIDATION).unwrap_err(),
        PriceError::PriceStale {
            denom: ATOM.into(),
            publish_time: ahead,
            now: GENESIS,
            max_staleness: 60,
        },
    );
}

#[test]
fn zero_and_negative_prices_are_unavailable_for_both_kinds() {
    for (price, reason) in [(0, "price is zero"), (-5, "price is negative (-5)")] {
        let s = atom_at(price, 1, 1_000_000_000);
        for kind in [DEFAULT, LIQUIDATION] {
            assert_error(
                &s.price(ATOM, kind).unwrap_err(),
                PriceError::PriceUnavailable {
                    denom: ATOM.into(),
                    reason: reason.into(),
                },
            );
        }
    }
}

#[test]
fn a_price_too_small_to_show_in_the_quote_is_unavailable() {
    // 1 × 10^-30 quote units: below Decimal256's 18 places, so zero after conversion
    let mut s = Suite::new();
    let now = s.now() as i64;
    let p = pyth_price(1, 0, -30, now);
    s.set_feed(&atom_feed(), p.clone(), p);
    let source = s.pyth_source(&atom_feed(), 6);
    s.set_source(ATOM, source);
    assert_error(
        &s.price(ATOM, LIQUIDATION).unwrap_err(),
        PriceError::NoValue {
            denom: ATOM.into(),
            reason: "price is zero after conversion".into(),
        },
    );
}

#[test]
fn a_wide_confidence_interval_fails_default_only() {
    // conf 2.1% of the price, max 2%
    let s = atom_at(1_000_000_000, 21_000_000, 1_000_000_000);
    assert_error(
        &s.price(ATOM, DEFAULT).unwrap_err(),
        PriceError::PriceLowConfidence {
            denom: ATOM.into(),
            price: dec("10"),
            conf: dec("0.21"),
            max_confidence: pct(2),
        },
    );
    assert_eq!(
        s.price(ATOM, LIQUIDATION).unwrap(),
        answer(ATOM, "10", "0.21", GENESIS)
    );
    // exactly 2% passes, one unit more does not
    let s = atom_at(1_000_000_000, 20_000_000, 1_000_000_000);
    assert_eq!(s.price(ATOM, DEFAULT).unwrap().conf, dec("0.2"));
    let s = atom_at(1_000_000_000, 20_000_001, 1_000_000_000);
    assert_error(
        &s.price(ATOM, DEFAULT).unwrap_err(),
        PriceError::PriceLowConfidence {
            denom: ATOM.into(),
            price: dec("10"),
            conf: dec("0.20000001"),
            max_confidence: pct(2),
        },
    );
}

#[test]
fn a_price_away_from_its_ema_fails_default_only() {
    // price 10, EMA 9.5: 5.26% from the EMA, max 5%
    let s = atom_at(1_000_000_000, 1_000_000, 950_000_000);
    let deviation = PriceError::PriceDeviation {
        denom: ATOM.into(),
        price: dec("10"),
        ema_price: dec("9.5"),
        max_deviation: pct(5),
    };
    assert_error(&s.price(ATOM, DEFAULT).unwrap_err(), &deviation);
    // no kind is the Default kind
    assert_error(&s.price(ATOM, None).unwrap_err(), &deviation);
    assert_eq!(
        s.price(ATOM, LIQUIDATION).unwrap(),
        answer(ATOM, "10", "0.01", GENESIS)
    );
    // 5% exactly passes (10.5 against 10), one unit more does not
    let s = atom_at(1_050_000_000, 1_000_000, 1_000_000_000);
    assert_eq!(s.price(ATOM, DEFAULT).unwrap().price, dec("10.5"));
    let s = atom_at(1_050_000_001, 1_000_000, 1_000_000_000);
    assert_error(
        &s.price(ATOM, DEFAULT).unwrap_err(),
        PriceError::PriceDeviation {
            denom: ATOM.into(),
            price: dec("10.50000001"),
            ema_price: dec("10"),
            max_deviation: pct(5),
        },
    );
}

#[test]
fn a_bad_ema_fails_default_only() {
    let s = atom_at(1_000_000_000, 1_000_000, 0);
    assert_error(
        &s.price(ATOM, DEFAULT).unwrap_err(),
        PriceError::PriceUnavailable {
            denom: ATOM.into(),
            reason: "EMA price is zero".into(),
        },
    );
    assert_eq!(s.price(ATOM, LIQUIDATION).unwrap().price, dec("10"));
}

#[test]
fn a_feed_the_pyth_contract_does_not_have_is_unavailable() {
    let mut s = Suite::new();
    let missing = feed_id(3);
    let source = s.pyth_source(&missing, 6);
    s.set_source(ATOM, source);
    let text = s.price(ATOM, LIQUIDATION).unwrap_err().to_string();
    assert!(
        text.contains("price of uatom is unavailable: Pyth query failed")
            && text.contains(&format!("price feed {missing} not found")),
        "{text}"
    );
}

#[test]
fn an_unknown_denom_is_named() {
    let s = Suite::new();
    assert_error(
        &s.price("uosmo", None).unwrap_err(),
        ContractError::UnknownDenom {
            denom: "uosmo".into(),
        },
    );
}

#[test]
fn pyth_values_are_normalised_by_expo_and_both_decimals_exactly() {
    let mut s = Suite::new();
    let now = s.now() as i64;
    // ATOM, 6 decimals: $12.3456789 ± $0.015 with expo −8 → 12.3456789 uusd per uatom
    let atom = pyth_price(1_234_567_890, 1_500_000, -8, now);
    s.set_feed(&atom_feed(), atom.clone(), atom);
    let source = s.pyth_source(&atom_feed(), 6);
    s.set_source(ATOM, source);
    // ETH, 18 decimals: $3456.78 ± $1.23456789 → 3456.78 × 10^(6 − 18) uusd per aeth
    let eth = pyth_price(345_678_000_000, 123_456_789, -8, now);
    s.set_feed(&eth_feed(), eth.clone(), eth);
    let source = s.pyth_source(&eth_feed(), 18);
    s.set_source(ETH, source);
    // the same ETH feed published with expo −5
    let eth5 = pyth_price(345_678_000, 123_456, -5, now);
    s.set_feed(&feed_id(4), eth5.clone(), eth5);
    let source = s.pyth_source(&feed_id(4), 18);
    s.set_source("aeth5", source);

    assert_eq!(
        s.price(ATOM, None).unwrap(),
        answer(ATOM, "12.3456789", "0.015", GENESIS)
    );
    let eth = s.price(ETH, None).unwrap();
    assert_eq!(eth.price, dec("0.00000000345678"));
    // 1.23456789 × 10^-12 has 20 places; Decimal256 keeps 18, rounding down
    assert_eq!(eth.conf, dec("0.000000000001234567"));
    // one whole ETH (10^18 aeth) is worth $3456.78 = 3,456,780,000 uusd, exactly
    let one_eth = Decimal256::from_atomics(Uint256::from(10u128.pow(18)), 0).unwrap();
    assert_eq!(eth.price * one_eth, dec("3456780000"));
    let eth5 = s.price("aeth5", None).unwrap();
    assert_eq!(eth5.price, dec("0.00000000345678"));
    assert_eq!(eth5.conf, dec("0.00000000000123456"));
}

#[test]
fn a_feed_id_may_carry_0x() {
    let mut s = Suite::new();
    s.publish(&atom_feed(), 1_000_000_000);
    let source = s.pyth_source(&format!("0x{}", atom_feed()), 6);
    s.set_source(ATOM, source);
    assert_eq!(s.price(ATOM, None).unwrap().price, dec("10"));
}

fn three_denoms() -> Suite {
    let mut s = Suite::new().with_atom();
    let now = s.now() as i64;
    let eth = pyth_price(300_000_000_000, 100_000_000, -8, now);
    s.set_feed(&eth_feed(), eth.clone(), eth);
    let source = s.pyth_source(&eth_feed(), 18);
    s.set_source(ETH, source);
    s.set_source(QUOTE, PriceSource::Fixed { price: dec("1") });
    s
}

fn prices(
    s: &Suite,
    denoms: &[&str],
    kind: Option<PriceKind>,
) -> cosmwasm_std::StdResult<PricesResponse> {
    s.query(&QueryMsg::Prices {
        denoms: denoms.iter().map(|d| d.to_string()).collect(),
        kind,
    })
}

#[test]
fn prices_answers_one_per_denom_in_the_order_asked() {
    let s = three_denoms();
    let expected = vec![
        answer(ETH, "0.000000003", "0.000000000001", GENESIS),
        answer(QUOTE, "1", "0", GENESIS),
        answer(ATOM, "10", "0.01", GENESIS),
    ];
    for kind in [None, DEFAULT, LIQUIDATION] {
        assert_eq!(
            prices(&s, &[ETH, QUOTE, ATOM], kind).unwrap().prices,
            expected
        );
    }
    assert_eq!(prices(&s, &[], None).unwrap().prices, vec![]);
    // the raw-read path of the market, auction and backstop gives the same answers
    let raw = query_prices(
        &s.app.wrap(),
        &s.oracle,
        &[ETH.to_string(), QUOTE.to_string(), ATOM.to_string()],
        PriceKind::Default,
        s.now(),
    )
    .unwrap();
    assert_eq!(
        raw.iter().map(|r| r.to_response()).collect::<Vec<_>>(),
        expected
    );
}

#[test]
fn prices_fails_with_the_first_refused_price() {
    let mut s = three_denoms();
    let now = s.now() as i64;
    s.set_feed(
        &atom_feed(),
        pyth_price(1_000_000_000, 1_000_000, -8, now),
        pyth_price(900_000_000, 1_000_000, -8, now),
    );
    assert_error(
        &prices(&s, &[QUOTE, ATOM, ETH], None).unwrap_err(),
        PriceError::PriceDeviation {
            denom: ATOM.into(),
            price: dec("10"),
            ema_price: dec("9"),
            max_deviation: pct(5),
        },
    );
    // the Liquidation kind does not check deviation
    assert_eq!(
        prices(&s, &[QUOTE, ATOM, ETH], LIQUIDATION)
            .unwrap()
            .prices
            .len(),
        3
    );
    assert_error(
        &prices(&s, &[QUOTE, "uosmo", ATOM], LIQUIDATION).unwrap_err(),
        ContractError::UnknownDenom {
            denom: "uosmo".into(),
        },
    );
}

#[test]
fn sources_are_paginated_by_denom() {
    let mut s = Suite::new();
    // inserted out of order
    for i in (0..12u32).rev() {
        s.set_source(
            &format!("u{i:02}"),
            PriceSource::Fixed {
                price: Decimal256::from_atomics(Uint256::from(i + 1), 0).unwrap(),
            },
        );
    }
    let page = |start_after: Option<&str>, limit: Option<u32>| -> Vec<String> {
        let answer: SourcesResponse = s
            .query(&QueryMsg::Sources {
                start_after: start_after.map(str::to_string),
                limit,
            })
            .unwrap();
        answer.sources.into_iter().map(|r| r.denom).collect()
    };
    let names = |range: std::ops::Range<u32>| -> Vec<String> {
        range.map(|i| format!("u{i:02}")).collect()
    };
    assert_eq!(page(None, None), names(0..10));
    assert_eq!(page(Some("u09"), None), names(10..12));
    assert_eq!(page(Some("u04"), Some(3)), names(5..8));
    // a start between keys, and the limit clamped to [1, 100]
    assert_eq!(page(Some("u04a"), Some(1)), names(5..6));
    assert_eq!(page(None, Some(0)), names(0..1));
    assert_eq!(page(None, Some(1_000)), names(0..12));
    assert_eq!(page(Some("u11"), None), Vec::<String>::new());

    let first: SourcesResponse = s
        .query(&QueryMsg::Sources {
            start_after: None,
            limit: Some(1),
        })
        .unwrap();
    assert_eq!(
        first.sources[0].source,
        PriceSource::Fixed { price: dec("1") }
    );
}
