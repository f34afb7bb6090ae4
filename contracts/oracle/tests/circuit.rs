//! The per-denom circuit (PROTOCOL.md, exact rule 9): `Observe` records the Liquidation price
//! and its publish time; a move beyond `max_move` against any observation inside `move_window`
//! opens the circuit; it closes `cooldown` seconds after it opened unless a new breach reopens
//! it. Time moves with the block.

mod common;

use ballast_oracle::ContractError;
use ballast_testing::pyth::pyth_price;
use ballast_types::oracle::{CircuitResponse, PriceError, PriceSlot, PriceSource};
use common::*;
use cw_multi_test::AppResponse;

const WINDOW: u64 = 300;
/// The window is kept in 32 slots: ⌈300 / 32⌉ = 10 s each.
const SLOT: u64 = 10;
const COOLDOWN: u64 = 600;

/// `uatom` at $10 with a 10% / 300 s / 600 s circuit.
fn suite() -> Suite {
    let mut s = Suite::new().with_atom();
    s.set_circuit(ATOM, pct(10), WINDOW, COOLDOWN);
    s
}

/// Publishes `uatom` at `price` × 10^-8 dollars, now.
fn atom_to(s: &mut Suite, price: i64) {
    s.publish(&atom_feed(), price);
}

fn closed() -> CircuitResponse {
    CircuitResponse {
        open: false,
        opened_at: None,
        closes_at: None,
    }
}

fn open(opened_at: u64) -> CircuitResponse {
    CircuitResponse {
        open: true,
        opened_at: Some(opened_at),
        closes_at: Some(opened_at + COOLDOWN),
    }
}

fn observation_attr(res: &AppResponse, key: &str) -> String {
    attr(res, "wasm-ballast_observation", key)
        .unwrap_or_else(|| panic!("no observation attribute {key} in {:?}", res.events))
}

#[test]
fn a_move_beyond_max_move_within_the_window_opens_the_circuit_until_its_cooldown() {
    let mut s = suite();
    let t0 = s.now();
    let res = s.observe(&[ATOM]).unwrap();
    assert_eq!(wasm_attr(&res, "action"), "observe");
    assert_eq!(wasm_attr(&res, "denoms"), ATOM);
    assert_eq!(wasm_attr(&res, "opened"), "");
    assert_eq!(observation_attr(&res, "price"), "10");
    assert_eq!(observation_attr(&res, "publish_time"), t0.to_string());
    assert_eq!(observation_attr(&res, "opened"), "false");
    assert_eq!(s.circuit(ATOM), closed());

    // +15% a minute later
    s.advance(60);
    let t1 = s.now();
    atom_to(&mut s, 1_150_000_000);
    // a live breach shows before anyone observes it
    assert_eq!(s.circuit(ATOM), open(t1));
    let res = s.observe(&[ATOM]).unwrap();
    assert_eq!(wasm_attr(&res, "opened"), ATOM);
    assert_eq!(observation_attr(&res, "price"), "11.5");
    assert_eq!(observation_attr(&res, "opened"), "true");
    assert_eq!(observation_attr(&res, "open"), "true");
    assert_eq!(
        observation_attr(&res, "closes_at"),
        (t1 + COOLDOWN).to_string()
    );
    assert_eq!(s.circuit(ATOM), open(t1));
    let record = s.circuit_record(ATOM).unwrap();
    assert_eq!(record.opened_at, Some(t1));
    assert_eq!(
        record.slots,
        vec![
            PriceSlot {
                start: t0,
                low: dec("10"),
                high: dec("10")
            },
            PriceSlot {
                start: t1,
                low: dec("11.5"),
                high: dec("11.5")
            }
        ]
    );

    // still open one second before the cooldown ends, though both observations left the window
    s.advance(COOLDOWN - 1);
    atom_to(&mut s, 1_150_000_000);
    assert_eq!(s.circuit(ATOM), open(t1));
    // closed when it ends; the last opening is still reported
    s.advance(1);
    atom_to(&mut s, 1_150_000_000);
    assert_eq!(
        s.circuit(ATOM),
        CircuitResponse {
            open: false,
            opened_at: Some(t1),
            closes_at: None,
        }
    );
    let res = s.observe(&[ATOM]).unwrap();
    assert_eq!(wasm_attr(&res, "opened"), "");
    assert_eq!(observation_attr(&res, "open"), "false");
    assert_eq!(observation_attr(&res, "closes_at"), "");
}

#[test]
fn a_fall_beyond_max_move_opens_it_too() {
    let mut s = suite();
    s.observe(&[ATOM]).unwrap();
    s.advance(30);
    let t1 = s.now();
    atom_to(&mut s, 899_999_999);
    let res = s.observe(&[ATOM]).unwrap();
    assert_eq!(wasm_attr(&res, "opened"), ATOM);
    assert_eq!(s.circuit(ATOM), open(t1));
}

#[test]
fn a_move_of_max_move_or_less_keeps_it_closed() {
    // +9.9%, +10% exactly and −10% exactly, each against a single $10 observation
    for price in [1_099_000_000, 1_100_000_000, 900_000_000] {
        let mut s = suite();
        s.observe(&[ATOM]).unwrap();
        s.advance(10);
        atom_to(&mut s, price);
        assert_eq!(s.circuit(ATOM), closed(), "at {price}");
        let res = s.observe(&[ATOM]).unwrap();
        assert_eq!(wasm_attr(&res, "opened"), "", "at {price}");
        assert_eq!(s.circuit(ATOM), closed(), "at {price}");
        assert_eq!(s.circuit_record(ATOM).unwrap().slots.len(), 2);
    }
    // one Pyth unit beyond 10%, either way, opens it
    for price in [1_100_000_001, 899_999_999] {
        let mut s = suite();
        s.observe(&[ATOM]).unwrap();
        s.advance(10);
        let t = s.now();
        atom_to(&mut s, price);
        assert_eq!(s.circuit(ATOM), open(t), "at {price}");
        let res = s.observe(&[ATOM]).unwrap();
        assert_eq!(wasm_attr(&res, "opened"), ATOM, "at {price}");
    }
}

#[test]
fn every_observation_in_the_window_counts() {
    let mut s = suite();
    // $10, then $9 (−10%): each within 10% of the one before
    s.observe(&[ATOM]).unwrap();
    s.advance(10);
    atom_to(&mut s, 900_000_000);
    assert_eq!(wasm_attr(&s.observe(&[ATOM]).unwrap(), "opened"), "");
    // $10.99 is within 10% of $10 but 22% above $9
    s.advance(10);
    let t = s.now();
    atom_to(&mut s, 1_099_000_000);
    assert_eq!(wasm_attr(&s.observe(&[ATOM]).unwrap(), "opened"), ATOM);
    assert_eq!(s.circuit(ATOM), open(t));
}

#[test]
fn an_observation_outside_the_window_does_not_count() {
    let mut s = suite();
    let t0 = s.now();
    s.observe(&[ATOM]).unwrap();
    // once its 10 s slot has left the 300 s window, the $10 observation is gone: +50% opens nothing
    s.advance(WINDOW + SLOT);
    atom_to(&mut s, 1_500_000_000);
    assert_eq!(s.circuit(ATOM), closed());
    let res = s.observe(&[ATOM]).unwrap();
    assert_eq!(wasm_attr(&res, "opened"), "");
    assert_eq!(s.circuit(ATOM), closed());
    // and it was dropped from the record
    let record = s.circuit_record(ATOM).unwrap();
    assert_eq!(
        record.slots,
        vec![PriceSlot {
            start: t0 + WINDOW + SLOT,
            low: dec("15"),
            high: dec("15")
        }]
    );
}

#[test]
fn an_observation_exactly_at_the_window_edge_still_counts() {
    let mut s = suite();
    s.observe(&[ATOM]).unwrap();
    s.advance(WINDOW);
    let t = s.now();
    atom_to(&mut s, 1_500_000_000);
    assert_eq!(s.circuit(ATOM), open(t));
    assert_eq!(wasm_attr(&s.observe(&[ATOM]).unwrap(), "opened"), ATOM);
}

#[test]
fn the_window_runs_from_the_publish_time_not_from_when_it_was_observed() {
    let mut s = suite();
    let published = s.now();
    // observed 50 s after it was published (still fresh: max staleness is 60 s)
    s.advance(50);
    s.observe(&[ATOM]).unwrap();
    assert_eq!(s.circuit_record(ATOM).unwrap().slots[0].start, published);
    // a slot after the window from publication (310 s), 260 s after the observation: out
    s.advance(WINDOW + SLOT - 50);
    atom_to(&mut s, 1_500_000_000);
    assert_eq!(wasm_attr(&s.observe(&[ATOM]).unwrap(), "opened"), "");
    assert_eq!(s.circuit(ATOM), closed());
}

#[test]
fn a_new_breach_while_open_reopens_it_from_then() {
    let mut s = suite();
    s.observe(&[ATOM]).unwrap();
    s.advance(60);
    let t1 = s.now();
    atom_to(&mut s, 1_150_000_000);
    s.observe(&[ATOM]).unwrap();
    assert_eq!(s.circuit(ATOM), open(t1));
    // 100 s later the price is still 15% above the $10 observation, which is still in the window
    s.advance(100);
    let t2 = s.now();
    atom_to(&mut s, 1_150_000_000);
    let res = s.observe(&[ATOM]).unwrap();
    assert_eq!(wasm_attr(&res, "opened"), ATOM);
    assert_eq!(s.circuit(ATOM), open(t2));
    assert_eq!(s.circuit_record(ATOM).unwrap().opened_at, Some(t2));
    // so it closes a cooldown after t2, not after t1
    s.advance(COOLDOWN - 100);
    atom_to(&mut s, 1_150_000_000);
    assert_eq!(s.circuit(ATOM), open(t2));
    s.advance(100);
    atom_to(&mut s, 1_150_000_000);
    assert!(!s.circuit(ATOM).open);
}

#[test]
fn observe_uses_the_liquidation_price() {
    let mut s = suite();
    // conf 5% (Default refuses above 2%) and 10% off its EMA (Default refuses above 5%)
    let now = s.now() as i64;
    s.set_feed(
        &atom_feed(),
        pyth_price(1_000_000_000, 50_000_000, -8, now),
        pyth_price(1_100_000_000, 50_000_000, -8, now),
    );
    assert!(s.price(ATOM, None).is_err());
    let res = s.observe(&[ATOM]).unwrap();
    assert_eq!(observation_attr(&res, "price"), "10");
    assert_eq!(s.circuit_record(ATOM).unwrap().slots.len(), 1);
}

#[test]
fn observe_fails_on_a_refused_price_and_records_nothing() {
    let mut s = suite();
    s.observe(&[ATOM]).unwrap();
    let before = s.circuit_record(ATOM);
    s.advance(61);
    let err = s.observe(&[ATOM]).unwrap_err();
    assert_error(
        &err,
        PriceError::PriceStale {
            denom: ATOM.into(),
            publish_time: GENESIS as i64,
            now: GENESIS + 61,
            max_staleness: 60,
        },
    );
    assert_eq!(s.circuit_record(ATOM), before);
    // a stale price cannot show a live breach either: only the record counts
    assert_eq!(s.circuit(ATOM), closed());
}

#[test]
fn observe_checks_its_list() {
    let mut s = suite();
    let none: [&str; 0] = [];
    assert_error(
        &s.observe(&none).unwrap_err(),
        ContractError::InvalidDenomCount { count: 0, max: 20 },
    );
    assert_error(
        &s.observe(&[ATOM, QUOTE, ATOM]).unwrap_err(),
        ContractError::DuplicateDenom { denom: ATOM.into() },
    );
    assert_error(
        &s.observe(&[ATOM, "uosmo"]).unwrap_err(),
        ContractError::UnknownDenom {
            denom: "uosmo".into(),
        },
    );
    s.set_source(QUOTE, PriceSource::Fixed { price: dec("1") });
    assert_error(
        &s.observe(&[ATOM, QUOTE]).unwrap_err(),
        ContractError::NoCircuit {
            denom: QUOTE.into(),
        },
    );
    // nothing of a failed list was recorded
    assert_eq!(s.circuit_record(ATOM).unwrap().slots, vec![]);

    // 20 denoms is the most
    let denoms: Vec<String> = (0..21).map(|i| format!("u{i:02}")).collect();
    for denom in &denoms {
        s.set_source(denom, PriceSource::Fixed { price: dec("2") });
        s.set_circuit(denom, pct(10), WINDOW, COOLDOWN);
    }
    let refs: Vec<&str> = denoms.iter().map(String::as_str).collect();
    assert_error(
        &s.observe(&refs).unwrap_err(),
        ContractError::InvalidDenomCount { count: 21, max: 20 },
    );
    let res = s.observe(&refs[..20]).unwrap();
    assert_eq!(wasm_attr(&res, "denoms"), refs[..20].join(","));
    let observed = res
        .events
        .iter()
        .filter(|e| e.ty == "wasm-ballast_observation")
        .count();
    assert_eq!(observed, 20);
}

#[test]
fn observe_names_only_the_circuits_it_opened() {
    let mut s = suite();
    let now = s.now() as i64;
    let eth = pyth_price(300_000_000_000, 100_000_000, -8, now);
    s.set_feed(&eth_feed(), eth.clone(), eth);
    let source = s.pyth_source(&eth_feed(), 18);
    s.set_source(ETH, source);
    s.set_circuit(ETH, pct(10), WINDOW, COOLDOWN);
    s.observe(&[ATOM, ETH]).unwrap();

    s.advance(10);
    let t = s.now();
    atom_to(&mut s, 1_050_000_000); // +5%
    s.publish(&eth_feed(), 250_000_000_000); // −16.7%
    let res = s.observe(&[ATOM, ETH]).unwrap();
    assert_eq!(wasm_attr(&res, "opened"), ETH);
    assert_eq!(s.circuit(ATOM), closed());
    assert_eq!(s.circuit(ETH), open(t));
}

#[test]
fn a_denom_without_circuit_parameters_is_always_closed() {
    let mut s = Suite::new().with_atom();
    atom_to(&mut s, 2_000_000_000);
    assert_eq!(s.circuit(ATOM), closed());
    assert_eq!(s.circuit_record(ATOM), None);
    assert_eq!(s.circuit("uosmo"), closed());
}

#[test]
fn a_burst_of_observations_cannot_flush_the_window() {
    // Attack: call Observe every second with a price creeping down, hoping to push the first
    // observation out of a bounded record so that a gradual −11% move never opens the circuit.
    let mut s = suite();
    s.observe(&[ATOM]).unwrap();
    for step in 1..=40i64 {
        s.advance(1);
        atom_to(&mut s, 1_000_000_000 - step * 2_000_000);
        s.observe(&[ATOM]).unwrap();
    }
    assert!(s.circuit_record(ATOM).unwrap().slots.len() <= 33);
    // 41 s after the first observation, $8.90 is 11% below $10: it opens
    s.advance(1);
    let t = s.now();
    atom_to(&mut s, 890_000_000);
    assert_eq!(s.circuit(ATOM), open(t));
    assert_eq!(wasm_attr(&s.observe(&[ATOM]).unwrap(), "opened"), ATOM);
}
