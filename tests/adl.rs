//! Auto-deleveraging on the in-process chain: most leveraged first, pro rata in a bucket, never
//! below `adl_min_hf`, deficit exactly zero, suppliers without debt untouched while levered ones
//! can absorb, socialisation when none can, and bounded work per step.

mod common;

use ballast_market::ContractError as MarketError;
use ballast_testing::{
    attribute, AssetSetup, PriceSetup, Protocol, ProtocolBuilder, ATOM, OSMO, QUOTE,
};
use ballast_tests::{assert_error, d, market_query, USD};
use ballast_types::backstop;
use ballast_types::market::{self, AdlQueueResponse, DeficitResponse};
use cosmwasm_std::{coin, Addr, Decimal, Decimal256, Uint128};
use cw_multi_test::AppResponse;
use std::str::FromStr;

/// Supplies `supply` USD as collateral and borrows OSMO worth `borrow` USD (OSMO at $0.50).
fn lever(p: &mut Protocol, who: &Addr, supply: u128, borrow: u128) {
    p.deposit(who, coin(supply * USD, QUOTE)).unwrap();
    if borrow > 0 {
        p.borrow(who, OSMO, 2 * borrow * USD).unwrap();
    }
}

/// A protocol with OSMO liquidity and bob (100,000 USD, no debt).
fn base() -> Protocol {
    let mut p = ProtocolBuilder::new()
        .user("osmo_lp", vec![coin(10_000_000_000_000, OSMO)])
        .user(
            "frank",
            vec![
                coin(1_000_000_000_000, QUOTE),
                coin(1_000_000_000_000, ATOM),
            ],
        )
        .user(
            "erin",
            vec![
                coin(1_000_000_000_000, QUOTE),
                coin(1_000_000_000_000, ATOM),
            ],
        )
        .build();
    let (bob, lp) = (p.user("bob"), p.user("osmo_lp"));
    p.deposit(&lp, coin(10_000_000_000_000, OSMO)).unwrap();
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p
}

/// carol borrows `debt` USD against `atom` ATOM, ATOM collapses so her collateral is dust, and
/// a keeper liquidates her: with an empty fund and no stakers the whole debt is a deficit.
fn bankrupt(p: &mut Protocol, atom: u128, debt: u128) {
    let (carol, keeper) = (p.user("carol"), p.user("keeper"));
    p.deposit(&carol, coin(atom * 1_000_000, ATOM)).unwrap();
    p.borrow(&carol, QUOTE, debt * USD).unwrap();
    p.set_price(
        ATOM,
        Decimal256::from_str("0.0009").unwrap() / Decimal256::from_ratio(atom, 1_000u128),
    );
    p.liquidate(&keeper, &carol).unwrap();
}

fn deficit(p: &Protocol) -> DeficitResponse {
    market_query(
        p,
        &market::QueryMsg::Deficit {
            denom: QUOTE.into(),
        },
    )
}

fn adl_step(p: &mut Protocol, limit: u32) -> AppResponse {
    adl_step_in(p, QUOTE, limit)
}

/// A keeper's `AdlStep` against `denom`'s deficit.
fn adl_step_in(p: &mut Protocol, denom: &str, limit: u32) -> AppResponse {
    let keeper = p.user("keeper");
    p.execute_backstop(
        &keeper,
        &backstop::ExecuteMsg::AdlStep {
            denom: denom.into(),
            limit,
        },
        &[],
    )
    .unwrap()
}

/// (account, written_down) of every `ballast_adl` event of a step, in order.
fn written(response: &AppResponse) -> Vec<(String, u128)> {
    response
        .events
        .iter()
        .filter(|e| e.ty == "wasm-ballast_adl")
        .map(|e| {
            let get = |k: &str| {
                e.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .map(|a| a.value.clone())
                    .unwrap_or_default()
            };
            (get("account"), get("written_down").parse().unwrap())
        })
        .collect()
}

/// Whether the step socialised what was left of the deficit.
fn socialised(response: &AppResponse) -> bool {
    response
        .events
        .iter()
        .any(|e| e.ty == "wasm-ballast_adl_socialize")
}

/// The step socialised the rest of the deficit, and none is left.
#[track_caller]
fn assert_socialised(p: &Protocol, response: &AppResponse) {
    assert!(socialised(response));
    assert_eq!(deficit(p).amount, Uint128::zero());
}

fn hf(p: &Protocol, who: &Addr) -> Decimal {
    p.position(who).health_factor.unwrap()
}

#[test]
fn the_top_bucket_is_written_down_pro_rata_and_no_one_else_loses() {
    let mut p = base();
    let (dave, frank, erin, bob) = (
        p.user("dave"),
        p.user("frank"),
        p.user("erin"),
        p.user("bob"),
    );
    lever(&mut p, &dave, 10_000, 5_000); // leverage 1 → bucket 2
    lever(&mut p, &frank, 20_000, 10_000); // leverage 1 → bucket 2
    lever(&mut p, &erin, 10_000, 2_000); // leverage 0.25 → bucket 0
    let queue: AdlQueueResponse = market_query(
        &p,
        &market::QueryMsg::AdlQueue {
            denom: QUOTE.into(),
            limit: None,
        },
    );
    assert_eq!(queue.entries.len(), 3);
    assert_eq!(queue.entries[2].account, erin.to_string());
    assert_eq!(queue.entries[0].score, Decimal::one());

    bankrupt(&mut p, 1_000, 6_000);
    assert_eq!(deficit(&p).amount, Uint128::new(6_000 * USD));
    let response = adl_step(&mut p, 10);
    // 6,000 of the bucket's 30,000: a fifth of each one's supply
    let mut got = written(&response);
    got.sort();
    let mut expected = vec![
        (dave.to_string(), 2_000 * USD),
        (frank.to_string(), 4_000 * USD),
    ];
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(deficit(&p).amount, Uint128::zero());
    assert!(deficit(&p).collateral_in_kind.is_empty());
    assert_eq!(p.supplied(&dave, QUOTE), Uint128::new(8_000 * USD));
    assert_eq!(p.supplied(&frank, QUOTE), Uint128::new(16_000 * USD));
    // the bankrupt account's 1,000 ATOM went to them in kind, in the same proportion
    assert_eq!(
        p.supplied(&dave, ATOM) + p.supplied(&frank, ATOM),
        Uint128::new(1_000_000_000)
    );
    assert_eq!(p.supplied(&dave, ATOM), Uint128::new(333_333_333));
    // suppliers without debt, and the less levered bucket, lost nothing
    assert_eq!(p.supplied(&bob, QUOTE), Uint128::new(100_000 * USD));
    assert_eq!(p.supplied(&erin, QUOTE), Uint128::new(10_000 * USD));
    assert!(hf(&p, &dave) >= Decimal::percent(105));
    // withdrawals are open again
    p.withdraw(&bob, QUOTE, Some(USD)).unwrap();
    // no deficit: a further step is refused
    let keeper = p.user("keeper");
    assert!(p
        .execute_backstop(
            &keeper,
            &backstop::ExecuteMsg::AdlStep {
                denom: QUOTE.into(),
                limit: 5
            },
            &[]
        )
        .is_err());
}

#[test]
fn what_an_account_cannot_take_passes_to_the_next_and_no_one_goes_below_adl_min_hf() {
    let mut p = base();
    let (dave, frank, erin, bob) = (
        p.user("dave"),
        p.user("frank"),
        p.user("erin"),
        p.user("bob"),
    );
    lever(&mut p, &dave, 10_000, 5_000);
    lever(&mut p, &frank, 20_000, 10_000);
    lever(&mut p, &erin, 10_000, 2_000);
    bankrupt(&mut p, 2_000, 13_000);
    let response = adl_step(&mut p, 10);
    assert_eq!(deficit(&p).amount, Uint128::zero(), "{response:?}");
    // dave and frank stop at HF 1.05 (to the unit of rounding); erin takes the rest
    for who in [&dave, &frank] {
        let health = hf(&p, who);
        assert!(health >= Decimal::percent(105), "{health}");
        assert!(health < Decimal::from_str("1.0501").unwrap(), "{health}");
    }
    let lost = |p: &Protocol, who: &Addr, had: u128| had * USD - p.supplied(who, QUOTE).u128();
    let total = lost(&p, &dave, 10_000) + lost(&p, &frank, 20_000) + lost(&p, &erin, 10_000);
    // what was written down is exactly the deficit (rounding may burn one unit per account)
    assert!(
        (13_000 * USD..=13_000 * USD + 3).contains(&total),
        "{total}"
    );
    assert!(lost(&p, &erin, 10_000) > 0);
    assert_eq!(p.supplied(&bob, QUOTE), Uint128::new(100_000 * USD));
    // no ADL'd account is liquidatable
    for who in [&dave, &frank, &erin] {
        assert!(!p.position(who).liquidatable);
    }
    let steps = written(&response);
    assert_eq!(steps.first().map(|s| s.1 > 0), Some(true));
    // the backstop forwarded the step with the deficit it saw; the market closed it
    assert_eq!(
        attribute(&response, "deficit").as_deref(),
        Some("13000000000")
    );
    let closed = response
        .events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .any(|a| a.key == "deficit" && a.value == "0");
    assert!(closed);
}

#[test]
fn a_stale_score_above_the_truth_is_refiled_not_deleveraged() {
    let mut p = base();
    let (dave, frank) = (p.user("dave"), p.user("frank"));
    lever(&mut p, &dave, 10_000, 5_000);
    lever(&mut p, &frank, 20_000, 10_000);
    // dave repays most of his OSMO: his filing (bucket 2) is stale, his leverage is now 0.11
    p.repay(&dave, coin(8_000_000_000, OSMO)).unwrap();
    bankrupt(&mut p, 1_000, 3_000);
    let response = adl_step(&mut p, 10);
    let touched = written(&response);
    assert!(touched
        .iter()
        .any(|(who, w)| who == frank.as_str() && *w > 0));
    assert!(touched
        .iter()
        .all(|(who, w)| who != dave.as_str() || *w == 0));
    assert_eq!(p.supplied(&dave, QUOTE), Uint128::new(10_000 * USD));
    assert_eq!(deficit(&p).amount, Uint128::zero());
}

#[test]
fn with_no_levered_supplier_left_the_loss_is_socialised_and_the_in_kind_collateral_shared() {
    let mut p = base();
    let bob = p.user("bob");
    bankrupt(&mut p, 1_000, 6_000);
    let before = p.asset(QUOTE).liquidity_index;
    let response = adl_step(&mut p, 10);
    assert_socialised(&p, &response);
    // bob, the only USD supplier, bears it: 100,000 → 94,000
    let after = p.asset(QUOTE).liquidity_index;
    assert!(after < before);
    assert_eq!(p.supplied(&bob, QUOTE), Uint128::new(94_000 * USD));
    // and receives the collateral held in kind (shown at once, credited when he acts)
    assert_eq!(p.supplied(&bob, ATOM), Uint128::new(1_000_000_000));
    let keeper = p.user("keeper");
    p.execute_market(
        &keeper,
        &market::ExecuteMsg::Poke {
            account: bob.to_string(),
        },
        &[],
    )
    .unwrap();
    assert_eq!(p.supplied(&bob, ATOM), Uint128::new(1_000_000_000));
    p.withdraw(&bob, ATOM, None).unwrap();
    assert_eq!(p.supplied(&bob, ATOM), Uint128::zero());
}

/// frank: 10,000 USD against 7,000 USD of OSMO (HF 1.14); OSMO +10% takes him to 1.039, below
/// adl_min_hf: ADL cannot write him down, so the loss is socialised over him and bob. His USD
/// loses 6,000 × 10/110 and he is owed 1,000 × 10/110 ATOM in kind; ATOM recovers to $10, so
/// what he is owed is worth $909 (HF 1.077 with it, 0.982 without), not yet credited.
fn frank_owed_atom_in_kind() -> Protocol {
    let mut p = base();
    let frank = p.user("frank");
    lever(&mut p, &frank, 10_000, 7_000);
    p.set_price(OSMO, Decimal256::from_str("0.55").unwrap());
    bankrupt(&mut p, 1_000, 6_000);
    let response = adl_step(&mut p, 10);
    assert_socialised(&p, &response);
    p.set_price(ATOM, Decimal256::from_str("10").unwrap());
    assert_eq!(p.supplied(&frank, ATOM), Uint128::new(90_909_090));
    p
}

#[test]
fn collateral_owed_in_kind_after_a_socialised_loss_counts_when_a_keeper_liquidates() {
    let mut p = frank_owed_atom_in_kind();
    let (frank, keeper) = (p.user("frank"), p.user("keeper"));
    let position = p.position(&frank);
    assert!(!position.liquidatable);
    let health = position.health_factor.unwrap();
    assert!(health > Decimal::from_str("1.07").unwrap(), "{health}");
    let err = p.liquidate(&keeper, &frank).unwrap_err();
    assert_error(
        &err,
        MarketError::NotLiquidatable {
            account: frank.to_string(),
            health_factor: health.to_string(),
        },
    );
    // ATOM falls to $1: now he is liquidatable with his claim counted, and the keeper's
    // Liquidate judges him at the health factor that Position shows.
    p.set_price(ATOM, Decimal256::one());
    let health = p.position(&frank).health_factor.unwrap();
    assert!(health < Decimal::one(), "{health}");
    let response = p.liquidate(&keeper, &frank).unwrap();
    assert_eq!(
        attribute(&response, "health_factor").unwrap(),
        health.to_string()
    );
}

#[test]
fn collateral_owed_in_kind_counts_when_an_account_takes_collateral_out() {
    let mut p = frank_owed_atom_in_kind();
    let frank = p.user("frank");
    // He repays 1,500 OSMO (12,500 left, $6,875 at $0.55) and supplies 2,000 OSMO as collateral.
    // Taking the OSMO out leaves 0.7 × 9,454.55 = $6,618 of borrowing power without what he is
    // owed and 0.7 × (9,454.55 + 909.09) = $7,255 with it: enough, as Position counts it.
    p.repay(&frank, coin(1_500 * USD, OSMO)).unwrap();
    p.deposit(&frank, coin(2_000 * USD, OSMO)).unwrap();
    p.execute_market(
        &frank,
        &market::ExecuteMsg::SetCollateral {
            denom: OSMO.into(),
            enable: false,
        },
        &[],
    )
    .unwrap();
    let position = p.position(&frank);
    let osmo = position.supply.iter().find(|s| s.denom == OSMO).unwrap();
    assert!(!osmo.collateral);
    // what he is owed is unchanged by being credited, and the books still reconcile
    assert_eq!(p.supplied(&frank, ATOM), Uint128::new(90_909_090));
    assert_eq!(position.total_debt_value, Uint128::new(6_875 * USD));
    let everyone = [
        "alice", "bob", "carol", "dave", "erin", "frank", "keeper", "keeper2", "osmo_lp",
    ]
    .map(|u| p.user(u));
    common::check_books(&p, &everyone).unwrap();
}

#[test]
fn a_claim_in_a_denom_the_step_had_not_priced_is_credited_before_the_write_down() {
    // A fourth asset, ION ($1), backs the first bankruptcy, so that what frank is owed after it
    // is in a denom he holds nothing of: the second step must price it before crediting it.
    const ION: &str = "uion";
    let mut p = ProtocolBuilder::new()
        .asset(AssetSetup {
            denom: ION.into(),
            params: ballast_testing::default_asset_params(),
            price: PriceSetup::Fixed(Decimal256::one()),
        })
        .user("osmo_lp", vec![coin(10_000_000_000_000, OSMO)])
        .user(
            "frank",
            vec![coin(10_000 * USD, QUOTE), coin(100_000_000, ATOM)],
        )
        .user("dave", vec![coin(1_000 * USD, ION)])
        .build();
    let (bob, dave, frank, keeper, lp) = (
        p.user("bob"),
        p.user("dave"),
        p.user("frank"),
        p.user("keeper"),
        p.user("osmo_lp"),
    );
    p.deposit(&lp, coin(10_000_000_000_000, OSMO)).unwrap();
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    // frank, the only ATOM supplier: 10,000 USD and 100 ATOM ($1,000) against 7,000 USD of
    // OSMO (HF 1.257).
    p.deposit(&frank, coin(100_000_000, ATOM)).unwrap();
    lever(&mut p, &frank, 10_000, 7_000);

    // First loss, in ATOM: dave borrows 60 ATOM against 1,000 ION, ION collapses. OSMO +20%
    // puts frank at HF 1.048, below adl_min_hf: ADL cannot take it from him, so it is
    // socialised over the ATOM suppliers (frank alone), who are owed the ION in kind.
    p.deposit(&dave, coin(1_000 * USD, ION)).unwrap();
    p.borrow(&dave, ATOM, 60_000_000u128).unwrap();
    p.set_price(ION, d("0.00000001"));
    p.set_price(OSMO, d("0.6"));
    p.liquidate(&keeper, &dave).unwrap();
    let atom_step = adl_step_in(&mut p, ATOM, 10);
    assert!(socialised(&atom_step));
    assert_eq!(p.supplied(&frank, ATOM), Uint128::new(40_000_000));
    // shown at once, credited only when his account is next touched
    assert_eq!(p.supplied(&frank, ION), Uint128::new(1_000 * USD));

    // Second loss, in USD, with ATOM held in kind. OSMO back to $0.50: frank (HF 1.14 once
    // ATOM has collapsed) is the one levered USD supplier, so the step writes him down and
    // credits him ATOM in kind, which also settles his ION claim: ION must be priced first.
    p.set_price(OSMO, d("0.5"));
    bankrupt(&mut p, 1_000, 6_000);
    let response = adl_step(&mut p, 10);
    // His room: 0.8 × (10,000.036 − w + w × 0.00015) = 1.05 × 7,000 (his 40 ATOM are worth
    // $0.036, the ATOM credited is worth 0.00015 per USD written), so w = 812.66 USD; he is
    // credited 812.66/6,000 of the 1,000 ATOM. The step then finds no more room in him and
    // socialises the rest.
    assert_eq!(
        written(&response),
        vec![(frank.to_string(), 812_657_905), (frank.to_string(), 0)]
    );
    assert_eq!(
        attribute(&response, "credited").as_deref(),
        Some("135442984uatom")
    );
    assert_socialised(&p, &response);
    // The 5,187.34 USD left is socialised over the 109,187.34 USD supplied: bob keeps
    // 100,000 × 0.95249136.
    assert_eq!(p.supplied(&bob, QUOTE), Uint128::new(95_249_136_030));
    // The ION claim was credited (and kept whole) on the way.
    assert_eq!(p.supplied(&frank, ION), Uint128::new(1_000 * USD));
    assert!(p.supplied(&frank, ATOM) >= Uint128::new(40_000_000 + 135_442_984));
}

#[test]
fn each_step_touches_at_most_its_limit_of_two_thousand_suppliers() {
    let names: Vec<String> = (0..2_000).map(|i| format!("supplier{i}")).collect();
    let mut builder = ProtocolBuilder::new().user("osmo_lp", vec![coin(10_000_000_000_000, OSMO)]);
    for n in &names {
        builder = builder.user(n, vec![coin(1_000 * USD, QUOTE)]);
    }
    let mut p = builder.build();
    let (bob, lp) = (p.user("bob"), p.user("osmo_lp"));
    p.deposit(&lp, coin(10_000_000_000_000, OSMO)).unwrap();
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    for n in &names {
        let who = p.user(n);
        lever(&mut p, &who, 100, 50);
    }
    bankrupt(&mut p, 1_000, 6_000);
    let total_before = deficit(&p).amount;
    let first = adl_step(&mut p, 10);
    let first_written = written(&first);
    assert_eq!(
        first_written.len(),
        10,
        "a step touches exactly its limit while work remains"
    );
    let after_first = deficit(&p).amount;
    assert!(after_first < total_before);
    let second = adl_step(&mut p, 10);
    let second_written = written(&second);
    assert_eq!(second_written.len(), 10);
    // the second step continues after the first: no account is taken twice in a round
    for (who, _) in &second_written {
        assert!(!first_written.iter().any(|(w, _)| w == who));
    }
    // pro rata: 6,000 of the bucket's 200,000 is 3% of each 100 USD supply
    for (_, w) in first_written.iter().chain(second_written.iter()) {
        assert_eq!(*w, 3 * USD);
    }
}
