//! The gate (contracts/market/src/gate.rs): every account change is judged and stored on one
//! path, so no handler can skip a rule that another enforces. One test per way the code at
//! `ce35bf1` let an account escape such a rule (issue 14), each with its numbers:
//! 1. oracle circuits judged only for a borrow's collateral: a withdrawal, a collateral toggle
//!    and a borrow against a spiked or crashed price;
//! 2. one unpriceable denom blocking a liquidation (a coin deposited into the account by anyone,
//!    and collateral worth less than the oracle can express);
//! 3. one unpriceable ADL candidate jamming every step;
//! 4. supply gated by a pending deficit leaving at par through a liquidation;
//! 5. a halt that stopped liquidations but not the auction, its resets or ADL;
//! 6. an outsider freezing an account with 1 uatom deposited on its behalf.

use ballast_market::ContractError as MarketError;
use ballast_testing::{
    attribute, default_asset_params, AssetSetup, PriceSetup, Protocol, ProtocolBuilder, ATOM,
    ATOM_FEED, OSMO, QUOTE,
};
use ballast_tests::{
    alice_in_auction, assert_error, assert_error_starts, d, error_message, market_query, ATOM_UNIT,
    USD,
};
use ballast_types::auction::{self, Curve, LotStatus};
use ballast_types::backstop;
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{
    self, AdlQueueResponse, DeficitResponse, ExecuteMsg, LiquidatableResponse,
};
use ballast_types::oracle;
use ballast_types::pyth::PythPrice;
use cosmwasm_std::{coin, Addr, Decimal, Decimal256, Uint128};

const TOKEN: &str = "utok";
const PEPE: &str = "apepe";
const PEPE_FEED: &str = "1111111111111111111111111111111111111111111111111111111111111111";

fn deficit(p: &Protocol, denom: &str) -> Uint128 {
    market_query::<DeficitResponse>(
        p,
        &market::QueryMsg::Deficit {
            denom: denom.into(),
        },
    )
    .amount
}

fn liquidatable(p: &Protocol) -> LiquidatableResponse {
    market_query(
        p,
        &market::QueryMsg::Liquidatable {
            start_after: None,
            limit: Some(100),
        },
    )
}

fn adl_step(p: &mut Protocol, denom: &str) -> cosmwasm_std::StdResult<cw_multi_test::AppResponse> {
    let keeper = p.user("keeper");
    p.execute_backstop(
        &keeper,
        &backstop::ExecuteMsg::AdlStep {
            denom: denom.into(),
            limit: 10,
        },
        &[],
    )
}

fn set_level(p: &mut Protocol, sender: &Addr, level: CircuitLevel) {
    p.execute_market(sender, &ExecuteMsg::SetCircuitLevel { level }, &[])
        .unwrap();
}

fn remove_source(p: &mut Protocol, denom: &str) {
    let owner = p.owner.clone();
    p.execute_oracle(
        &owner,
        &oracle::ExecuteMsg::RemoveSource {
            denom: denom.into(),
        },
        &[],
    )
    .unwrap();
}

/// A Pyth price of ATOM (expo −8) with its EMA, published now.
fn atom_feed(p: &mut Protocol, price: i64, ema: i64) {
    let now = p.now() as i64;
    let at = |price| PythPrice {
        price,
        conf: 0,
        expo: -8,
        publish_time: now,
    };
    p.set_pyth_feed(ATOM_FEED, at(price), at(ema));
}

fn opens_atom_circuit(p: &mut Protocol) {
    let keeper = p.user("keeper");
    p.set_circuit(ATOM, Decimal::percent(20), 3_600, 3_600)
        .unwrap();
    p.observe(&keeper, &[ATOM]).unwrap();
}

// 1. Circuits ------------------------------------------------------------------------------

#[test]
fn no_collateral_leaves_against_a_spiked_price_whose_circuit_is_open() {
    // alice: 10,000 USD and 1,000 ATOM ($10) as collateral, 13,500 USD owed (power 13,993).
    let mut p = ProtocolBuilder::new().build();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(10_000 * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 13_500 * USD).unwrap();
    opens_atom_circuit(&mut p);
    // ATOM doubles: its circuit opens. At $20 her power would be 20,986: enough, on
    // `ce35bf1`, to take all her USD out. ATOM now counts as zero for her borrowing power.
    p.set_price(ATOM, d("20"));
    let circuit_open = |err: &cosmwasm_std::StdError| {
        assert_error_starts(err, "oracle circuit of uatom is open until")
    };
    circuit_open(&p.borrow(&alice, QUOTE, USD).unwrap_err());
    circuit_open(&p.withdraw(&alice, QUOTE, Some(10_000 * USD)).unwrap_err());
    circuit_open(
        &p.execute_market(
            &alice,
            &ExecuteMsg::SetCollateral {
                denom: QUOTE.into(),
                enable: false,
            },
            &[],
        )
        .unwrap_err(),
    );
    assert_eq!(p.supplied(&alice, QUOTE).u128(), 10_000 * USD);
    // ATOM returns: she still holds what backs her debt (HF 20,000 × 0.8 / 13,500 = 1.185),
    // where `ce35bf1` left 10,000 × 0.8 / 13,500 = 0.593.
    p.set_price(ATOM, d("10"));
    let position = p.position(&alice);
    assert_eq!(position.total_collateral_value.u128(), 20_000 * USD);
    assert_eq!(
        position.health_factor,
        Some(Decimal::from_ratio(16_000u128, 13_500u128))
    );
    // With the circuit closed, what her power allows leaves again.
    p.advance(3_601);
    p.withdraw(&alice, QUOTE, Some(USD)).unwrap();
}

#[test]
fn no_borrow_against_a_debt_whose_price_crashed_with_its_circuit_open() {
    // carol: 20,000 USD collateral (power 14,000), 1,300 ATOM owed ($13,013 at price + conf).
    let mut p = ProtocolBuilder::new().build();
    let (carol, bob) = (p.user("carol"), p.user("bob"));
    p.deposit(&bob, coin(100_000 * ATOM_UNIT, ATOM)).unwrap();
    p.deposit(&bob, coin(100_000 * USD, OSMO)).unwrap();
    p.deposit(&carol, coin(20_000 * USD, QUOTE)).unwrap();
    p.borrow(&carol, ATOM, 1_300 * ATOM_UNIT).unwrap();
    opens_atom_circuit(&mut p);
    // ATOM falls to a tenth: her debt reads 1,301.3 USD, and `ce35bf1` let her borrow 12,600
    // USD of OSMO on it. A debt whose circuit is open refuses the judgement.
    p.set_price(ATOM, d("1"));
    let err = p.borrow(&carol, OSMO, 25_200 * USD).unwrap_err();
    assert_error_starts(&err, "oracle circuit of uatom is open until");
    assert_eq!(p.owed(&carol, OSMO), Uint128::zero());
    // ATOM returns: she owes 13,000 on 20,000 (HF 1.23), not 25,600 (HF 0.625).
    p.set_price(ATOM, d("10"));
    let position = p.position(&carol);
    assert_eq!(position.total_debt_value.u128(), 13_000 * USD);
    assert!(!position.liquidatable);
}

// 2. Prices only where they count -----------------------------------------------------------

fn with_token() -> ProtocolBuilder {
    ProtocolBuilder::new()
        .asset(AssetSetup {
            denom: TOKEN.into(),
            params: default_asset_params(),
            price: PriceSetup::Fixed(d("0.01")),
        })
        .user("mallory", vec![coin(1_000_000_000_000, TOKEN)])
}

#[test]
fn a_coin_without_a_price_deposited_by_anyone_does_not_block_a_liquidation() {
    // alice borrowed 6,900 USD on 1,000 ATOM; ATOM at $8 puts her at HF 0.9275.
    let mut p = with_token().build();
    let [alice, bob, keeper, mallory] = ["alice", "bob", "keeper", "mallory"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_900 * USD).unwrap();
    // mallory slips 1,000,000 units of a token into alice's account; it enters as supply, not
    // as collateral (only the holder makes a new supply collateral).
    p.execute_market(
        &mallory,
        &ExecuteMsg::Deposit {
            on_behalf_of: Some(alice.to_string()),
        },
        &[coin(1_000_000, TOKEN)],
    )
    .unwrap();
    let token = |p: &Protocol| {
        p.position(&alice)
            .supply
            .into_iter()
            .find(|s| s.denom == TOKEN)
            .unwrap()
    };
    assert!(!token(&p).collateral);
    // The token loses its price; on `ce35bf1` every Liquidate of alice failed on it.
    remove_source(&mut p, TOKEN);
    p.set_price(ATOM, d("8"));
    assert_eq!(token(&p).value, None);
    let listed = liquidatable(&p);
    assert_eq!(listed.accounts.len(), 1);
    assert_eq!(listed.accounts[0].account, alice.to_string());
    assert_eq!(
        listed.accounts[0].health_factor,
        Decimal::from_ratio(6_400u128, 6_900u128)
    );
    let r = p.liquidate(&keeper, &alice).unwrap();
    assert_eq!(Protocol::lot_ids(&r), vec![1]);
    assert_eq!(token(&p).amount.u128(), 1_000_000);
}

#[test]
fn collateral_the_oracle_says_is_worthless_counts_as_zero_and_the_loss_is_recorded() {
    // carol: 10^26 wei of an 18-decimal token at $0.0001 (10,000 USD), 5,550 USD owed.
    let mut p = ProtocolBuilder::new()
        .asset(AssetSetup {
            denom: PEPE.into(),
            params: default_asset_params(),
            price: PriceSetup::Pyth {
                feed_id: PEPE_FEED.into(),
                price: d("0.0000000000000001"),
                expo: -8,
                denom_decimals: 18,
                conf_share: Decimal::permille(1),
                max_staleness: 60,
            },
        })
        .user("carol", vec![coin(10u128.pow(26), PEPE)])
        .build();
    let [bob, carol, keeper] = ["bob", "carol", "keeper"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&carol, coin(10u128.pow(26), PEPE)).unwrap();
    p.borrow(&carol, QUOTE, 5_550 * USD).unwrap();
    // It falls below what the oracle can express: $0.00000099 is 0.99e-18 quote units per wei.
    let now = p.now() as i64;
    let at = |price| PythPrice {
        price,
        conf: 0,
        expo: -8,
        publish_time: now,
    };
    p.set_pyth_feed(PEPE_FEED, at(99), at(99));
    // `ce35bf1` skipped her in the scan and failed her liquidation ("zero after conversion");
    // now the worthless collateral counts as zero: listed at HF 0, and the dust rule runs.
    let listed = liquidatable(&p);
    assert_eq!(listed.accounts.len(), 1);
    assert_eq!(listed.accounts[0].health_factor, Decimal::zero());
    assert_eq!(listed.accounts[0].debt_value.u128(), 5_550 * USD);
    let r = p.liquidate(&keeper, &carol).unwrap();
    assert_eq!(attribute(&r, "mode").as_deref(), Some("dust"));
    assert_eq!(attribute(&r, "zero_valued").as_deref(), Some(PEPE));
    // Nothing covered it (no fund, no stake): the whole loss is a deficit, and the supplier who
    // withdrew 94,000 USD ahead of it on `ce35bf1` is gated.
    assert_eq!(deficit(&p, QUOTE).u128(), 5_550 * USD);
    let err = p.withdraw(&bob, QUOTE, Some(94_000 * USD)).unwrap_err();
    assert_error(
        &err,
        MarketError::WithdrawGated {
            denom: QUOTE.into(),
            deficit: Uint128::new(5_550 * USD),
        },
    );
}

#[test]
fn a_stale_price_blocks_the_judgement_and_the_scan_says_so() {
    // A stale price is not a worthless one: a keeper that withheld a pull update must not be
    // able to liquidate a healthy account at zero. The scan reports the account instead of
    // skipping it, and a fresh update cures it.
    let mut p = ProtocolBuilder::new().build();
    let [alice, bob, keeper] = ["alice", "bob", "keeper"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_000 * USD).unwrap();
    p.refresh_pyth_on_advance = false;
    p.advance(120);
    let listed = liquidatable(&p);
    assert!(listed.accounts.is_empty());
    assert_eq!(listed.unpriced.len(), 1);
    assert_eq!(listed.unpriced[0].account, alice.to_string());
    assert!(
        listed.unpriced[0]
            .reason
            .starts_with("price of uatom is stale"),
        "{}",
        listed.unpriced[0].reason
    );
    let err = p.liquidate(&keeper, &alice).unwrap_err();
    assert_error_starts(&err, "price of uatom is stale");
    atom_feed(&mut p, 1_000_000_000, 1_000_000_000);
    let listed = liquidatable(&p);
    assert!(listed.unpriced.is_empty() && listed.accounts.is_empty());
}

// 3. ADL is never jammed by one candidate ---------------------------------------------------

/// carol borrowed 6,000 USD on 20,000 OSMO; OSMO collapsed and a keeper recognised the whole
/// debt as a deficit (no fund, no stake to cover it).
fn osmo_bankruptcy(p: &mut Protocol) {
    let (carol, keeper) = (p.user("carol"), p.user("keeper"));
    p.deposit(&carol, coin(20_000 * USD, OSMO)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.set_price(OSMO, d("0.000001"));
    p.liquidate(&keeper, &carol).unwrap();
    assert_eq!(deficit(p, QUOTE).u128(), 6_000 * USD);
}

#[test]
fn an_adl_candidate_that_cannot_be_priced_is_passed_over_and_the_step_goes_on() {
    // dave, the only filed supplier of USD, owes ATOM; ATOM loses its price source. On
    // `ce35bf1` every AdlStep reverted on her and the deficit stayed (and gated USD) for good.
    let mut p = ProtocolBuilder::new().build();
    let [bob, dave] = ["bob", "dave"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&bob, coin(10_000 * ATOM_UNIT, ATOM)).unwrap();
    p.deposit(&dave, coin(50_000 * USD, QUOTE)).unwrap();
    p.borrow(&dave, ATOM, 2_000 * ATOM_UNIT).unwrap();
    osmo_bankruptcy(&mut p);
    let queue: AdlQueueResponse = market_query(
        &p,
        &market::QueryMsg::AdlQueue {
            denom: QUOTE.into(),
            limit: None,
        },
    );
    assert_eq!(queue.entries.len(), 1);
    assert_eq!(queue.entries[0].account, dave.to_string());
    remove_source(&mut p, ATOM);
    let r = adl_step(&mut p, QUOTE).unwrap();
    assert_eq!(
        attribute(&r, "passed_over").as_deref(),
        Some("no price source for denom uatom")
    );
    // Passed over, she left the index; no filed supplier was left, so the loss was socialised
    // over all 150,000 USD of supply (4% each).
    assert_eq!(deficit(&p, QUOTE), Uint128::zero());
    let queue: AdlQueueResponse = market_query(
        &p,
        &market::QueryMsg::AdlQueue {
            denom: QUOTE.into(),
            limit: None,
        },
    );
    assert!(queue.entries.is_empty());
    assert_eq!(
        attribute(&r, "socialized").as_deref(),
        Some(&*(6_000 * USD).to_string())
    );
    let bob_left = p.supplied(&bob, QUOTE).u128();
    assert!(
        (95_999 * USD..=96_000 * USD).contains(&bob_left),
        "{bob_left}"
    );
}

// 4. Supply gated by a deficit leaves by no path -------------------------------------------

#[test]
fn gated_collateral_does_not_leave_at_par_through_a_liquidation() {
    // erin holds 34,700 USD of supply as collateral and owes 2,400 ATOM. A USD deficit of
    // 6,000 is pending, so USD withdrawals are gated. ATOM rises to $11.96: erin is at HF 0.967.
    let mut p = ProtocolBuilder::new()
        .user("erin", vec![coin(1_000_000 * USD, QUOTE)])
        .user("mallory", vec![coin(1_000_000 * USD, QUOTE)])
        .build();
    let [bob, erin, mallory] = ["bob", "erin", "mallory"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&bob, coin(10_000 * ATOM_UNIT, ATOM)).unwrap();
    p.deposit(&erin, coin(34_700 * USD, QUOTE)).unwrap();
    p.borrow(&erin, ATOM, 2_400 * ATOM_UNIT).unwrap();
    osmo_bankruptcy(&mut p);
    p.set_price(ATOM, d("11.96"));
    let position = p.position(&erin);
    assert!(position.liquidatable);
    assert_eq!(
        position.health_factor,
        Some(Decimal::from_ratio(27_760u128, 28_704u128))
    );
    // Her second address liquidates her to buy her USD at par (on `ce35bf1` it did, and she
    // escaped a 1,538 USD share of the loss). The lot would take gated supply: refused.
    let err = p.liquidate(&mallory, &erin).unwrap_err();
    assert_error(
        &err,
        MarketError::CollateralGated {
            account: erin.to_string(),
            reason: "its collateral is gated until the deficit is settled (AdlStep): uusd \
                     (deficit 6000000000)"
                .into(),
        },
    );
    assert_eq!(p.supplied(&erin, QUOTE).u128(), 34_700 * USD);
    // ADL settles the deficit (she is below adl_min_hf, so it is socialised over all USD
    // supply: 6,000 / 134,700 = 4.454%); then she is liquidated on her share of the loss.
    adl_step(&mut p, QUOTE).unwrap();
    assert_eq!(deficit(&p, QUOTE), Uint128::zero());
    let erin_left = p.supplied(&erin, QUOTE).u128();
    let expected = 34_700 * USD - 34_700 * USD * 6_000 / 134_700;
    assert!(
        erin_left.abs_diff(expected) <= 2,
        "{erin_left} vs {expected}"
    );
    let r = p.liquidate(&mallory, &erin).unwrap();
    assert_eq!(Protocol::lot_ids(&r), vec![1]);
}

// 5. A halt stops everything that moves value -----------------------------------------------

#[test]
fn a_halt_stops_resets_bids_adl_and_sales_and_pauses_the_auction_clocks() {
    // alice's lot 1 is running; carol's bankruptcy (12,000 USD on 40,000 OSMO that collapsed)
    // left the fund holding absorbed OSMO and a 6,000 USD deficit (fund 5,000, stake 1,000).
    let mut p = alice_in_auction(ProtocolBuilder::new());
    let [keeper, carol, guardian, owner] = [
        p.user("keeper"),
        p.user("carol"),
        p.guardian.clone(),
        p.owner.clone(),
    ];
    p.deposit(&carol, coin(40_000 * USD, OSMO)).unwrap();
    p.borrow(&carol, QUOTE, 12_000 * USD).unwrap();
    p.set_price(OSMO, d("0.000001"));
    p.liquidate(&keeper, &carol).unwrap();
    assert!(!deficit(&p, QUOTE).is_zero());
    let lot = p.lot(1);
    p.advance(600);
    let before_halt = p.lot(1).current_price;
    assert!(before_halt < lot.start_price);
    set_level(&mut p, &guardian, CircuitLevel::Halt);
    // Everything that moves value waits, in every contract (on `ce35bf1` each of these went
    // through: the lot was bought, ADL socialised the deficit, keeper pay was paid).
    let stopped = |action: &str| ballast_auction::ContractError::CircuitOpen {
        level: CircuitLevel::Halt,
        action: action.into(),
    };
    let bid = p.bid(
        &keeper,
        1,
        100 * ATOM_UNIT,
        Decimal256::MAX,
        coin(10_000 * USD, QUOTE),
    );
    assert_error(&bid.unwrap_err(), stopped("bid on or reset a lot"));
    assert_error(
        &p.execute_auction(
            &keeper,
            &auction::ExecuteMsg::ClaimKeeperPay { denoms: None },
            &[],
        )
        .unwrap_err(),
        stopped("pay out reserves, keeper pay or stake"),
    );
    assert_error(
        &adl_step(&mut p, QUOTE).unwrap_err(),
        ballast_backstop::ContractError::CircuitOpen {
            level: CircuitLevel::Halt,
            action: "ADL step".into(),
        },
    );
    assert_error(
        &p.execute_backstop(
            &owner,
            &backstop::ExecuteMsg::SellAbsorbed {
                denom: OSMO.into(),
                amount: Uint128::one(),
                proceeds_denom: None,
            },
            &[],
        )
        .unwrap_err(),
        ballast_backstop::ContractError::CircuitOpen {
            level: CircuitLevel::Halt,
            action: "sell absorbed collateral (owner)".into(),
        },
    );
    // The exploit: ATOM reads $2. Well past the lot's tail (3 h) it still runs at the price the
    // halt found, and it is not reset at the exploited price (on `ce35bf1` it was, to 2.4).
    p.set_price(ATOM, d("2"));
    p.advance(20_000);
    let halted = p.lot(1);
    assert_eq!(halted.status, LotStatus::Active);
    assert_eq!(halted.current_price, before_halt);
    assert_error(
        &p.reset(&keeper, 1).unwrap_err(),
        stopped("bid on or reset a lot"),
    );
    // Lifted: the clocks stay paused through the grace period (1 h), then run on from where
    // the halt stopped them.
    p.set_price(ATOM, d("8"));
    set_level(&mut p, &owner, CircuitLevel::Normal);
    p.advance(1_800);
    assert_eq!(p.lot(1).current_price, before_halt);
    p.advance(1_800 + 60);
    let curve = Curve::Exponential {
        cut: Decimal::percent(99),
        step: 60,
    };
    let expected = ballast_auction::curve::price_at(lot.start_price, &curve, 660).unwrap();
    assert_eq!(p.lot(1).current_price, expected);
    p.bid(
        &keeper,
        1,
        1_000 * ATOM_UNIT,
        expected,
        coin(10_000 * USD, QUOTE),
    )
    .unwrap();
    adl_step(&mut p, QUOTE).unwrap();
    assert!(deficit(&p, QUOTE).is_zero());
}

/// A guard more than a fix: `ce35bf1` already held liquidations through a halt and its grace.
#[test]
fn liquidations_wait_out_the_grace_period_after_a_halt() {
    let mut p = ProtocolBuilder::new().build();
    let [alice, bob, keeper, guardian, owner] = [
        p.user("alice"),
        p.user("bob"),
        p.user("keeper"),
        p.guardian.clone(),
        p.owner.clone(),
    ];
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 6_500 * USD).unwrap();
    set_level(&mut p, &guardian, CircuitLevel::Halt);
    p.set_price(ATOM, d("8"));
    let err = p.liquidate(&keeper, &alice).unwrap_err();
    assert_error(
        &err,
        MarketError::CircuitOpen {
            level: CircuitLevel::Halt,
            action: "liquidate".into(),
        },
    );
    set_level(&mut p, &owner, CircuitLevel::Normal);
    let resume_at = p.now() + 3_600;
    let err = p.liquidate(&keeper, &alice).unwrap_err();
    assert_error(&err, MarketError::GracePeriod { resume_at });
    p.advance(3_600);
    p.liquidate(&keeper, &alice).unwrap();
}

// 6. No one narrows what another account may do ---------------------------------------------

#[test]
fn a_coin_deposited_on_someones_behalf_does_not_freeze_the_account() {
    // dave: 10,000 USD supplied, 2,000 owed. mallory deposits 1 uatom on his behalf; then
    // ATOM's Default price is refused (15% from its EMA). On `ce35bf1` dave could then not
    // withdraw 1,000 USD, take ATOM out of collateral, withdraw the 1 uatom, or borrow.
    let mut p = ProtocolBuilder::new()
        .user("mallory", vec![coin(1_000_000, ATOM)])
        .build();
    let [bob, dave, mallory] = ["bob", "dave", "mallory"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&dave, coin(10_000 * USD, QUOTE)).unwrap();
    p.borrow(&dave, QUOTE, 2_000 * USD).unwrap();
    p.execute_market(
        &mallory,
        &ExecuteMsg::Deposit {
            on_behalf_of: Some(dave.to_string()),
        },
        &[coin(1, ATOM)],
    )
    .unwrap();
    atom_feed(&mut p, 1_150_000_000, 1_000_000_000);
    p.withdraw(&dave, QUOTE, Some(1_000 * USD)).unwrap();
    p.execute_market(
        &dave,
        &ExecuteMsg::SetCollateral {
            denom: ATOM.into(),
            enable: false,
        },
        &[],
    )
    .unwrap();
    p.withdraw(&dave, ATOM, None).unwrap();
    p.borrow(&dave, QUOTE, 100 * USD).unwrap();
    assert_eq!(p.balance(&dave, ATOM).u128(), 1_000_000_000_000_000 + 1);
    assert_eq!(p.owed(&dave, QUOTE).u128(), 2_100 * USD);
    assert_eq!(p.supplied(&dave, QUOTE).u128(), 9_000 * USD);
}

#[test]
fn collateral_whose_default_price_is_refused_counts_as_zero_and_blocks_nothing_else() {
    // dave's own 100 ATOM is collateral beside 10,000 USD; ATOM's Default price is refused.
    // His USD still backs his 2,000 USD debt: he may withdraw what USD alone allows, and no
    // more (the refusal is the error when ATOM would be needed).
    let mut p = ProtocolBuilder::new().build();
    let [bob, dave] = ["bob", "dave"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&dave, coin(10_000 * USD, QUOTE)).unwrap();
    p.deposit(&dave, coin(100 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&dave, QUOTE, 2_000 * USD).unwrap();
    atom_feed(&mut p, 1_150_000_000, 1_000_000_000);
    // USD alone: 7,000 × 0.7 = 4,900 ≥ 2,000 after taking 3,000 out.
    p.withdraw(&dave, QUOTE, Some(3_000 * USD)).unwrap();
    // 7,000 − 4,200 = 2,800 × 0.7 = 1,960 < 2,000: only ATOM could carry it, and its price is
    // refused.
    let err = p.withdraw(&dave, QUOTE, Some(4_200 * USD)).unwrap_err();
    assert_error_starts(&err, "price of uatom deviates from its EMA");
    assert_eq!(
        p.position(&dave).max_borrow_value,
        Some(Uint128::new(2_900 * USD))
    );
    assert!(error_message(&err).contains("price 11.5"), "{err}");
}

// Found by the gate's property test (tests/gate_property.rs) -----------------------------------

#[test]
fn a_deposit_on_someones_behalf_never_turns_collateral_they_are_owed_into_plain_supply() {
    // alice is owed ATOM in kind after carol's loss was socialised (the fund paid its share of
    // 6,000 USD in ATOM). A coin deposited on her behalf before she acted created her ATOM
    // position as plain supply, and the claim then joined it: her owed ATOM stopped counting.
    let mut p = ProtocolBuilder::new().build();
    let [alice, bob, carol, dave, keeper] =
        ["alice", "bob", "carol", "dave", "keeper"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.fund(&dave, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.deposit(&carol, coin(40_000 * USD, OSMO)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.deposit(&alice, coin(10_000 * USD, QUOTE)).unwrap();
    p.set_price(OSMO, d("0.000001"));
    p.liquidate(&keeper, &carol).unwrap();
    adl_step(&mut p, QUOTE).unwrap();
    let atom = |p: &Protocol| {
        p.position(&alice)
            .supply
            .into_iter()
            .find(|s| s.denom == ATOM)
            .unwrap()
    };
    let owed = atom(&p);
    assert!(owed.collateral);
    assert!(owed.amount.u128() > 45 * ATOM_UNIT, "{}", owed.amount);
    let power = p.position(&alice).max_borrow_value.unwrap();
    p.execute_market(
        &keeper,
        &ExecuteMsg::Deposit {
            on_behalf_of: Some(alice.to_string()),
        },
        &[coin(1, ATOM)],
    )
    .unwrap();
    let after = atom(&p);
    assert!(after.collateral);
    assert_eq!(after.amount, owed.amount + Uint128::one());
    assert!(p.position(&alice).max_borrow_value.unwrap() >= power);
}

#[test]
fn two_debts_liquidated_against_one_collateral_take_what_is_left_of_it() {
    // bob owes ATOM and USD against USD and OSMO; OSMO collapses. The full liquidation plans two
    // lots on his USD; each removal rounds its burn up, and the second lot asked for one unit
    // more than was left ("cannot withdraw 12549835291 uusd: … supplies 12549835290"), so no
    // keeper could ever liquidate him.
    let mut p = ProtocolBuilder::new().build();
    let [bob, carol, keeper] = ["bob", "carol", "keeper"].map(|u| p.user(u));
    p.deposit(&carol, coin(2_000_000 * USD, QUOTE)).unwrap();
    p.deposit(&carol, coin(200_000 * ATOM_UNIT, ATOM)).unwrap();
    p.deposit(&bob, coin(64_000 * USD + 7, QUOTE)).unwrap();
    p.deposit(&bob, coin(100_000 * USD, OSMO)).unwrap();
    p.borrow(&bob, ATOM, 3_000 * ATOM_UNIT).unwrap();
    p.borrow(&bob, QUOTE, 49_000 * USD).unwrap();
    p.advance(87_377);
    p.set_price(OSMO, d("0.0005"));
    let r = p.liquidate(&keeper, &bob).unwrap();
    assert_eq!(Protocol::lot_ids(&r), vec![1, 2, 3]);
    assert_eq!(p.supplied(&bob, QUOTE), Uint128::zero());
}

#[test]
fn a_new_supply_of_an_account_with_debt_is_filed_for_adl_at_once() {
    // dave is filed in USD (he owes ATOM); his new OSMO supply joins his lowest filing instead of
    // staying out of the OSMO queue until someone pokes him.
    let mut p = ProtocolBuilder::new().build();
    let [bob, dave] = ["bob", "dave"].map(|u| p.user(u));
    p.deposit(&bob, coin(10_000 * ATOM_UNIT, ATOM)).unwrap();
    p.deposit(&dave, coin(50_000 * USD, QUOTE)).unwrap();
    p.borrow(&dave, ATOM, 2_000 * ATOM_UNIT).unwrap();
    p.deposit(&dave, coin(1_000 * USD, OSMO)).unwrap();
    let queue = |p: &Protocol, denom: &str| -> AdlQueueResponse {
        market_query(
            p,
            &market::QueryMsg::AdlQueue {
                denom: denom.into(),
                limit: None,
            },
        )
    };
    let usd = queue(&p, QUOTE);
    let osmo = queue(&p, OSMO);
    assert_eq!(osmo.entries.len(), 1);
    assert_eq!(osmo.entries[0].account, dave.to_string());
    assert_eq!(osmo.entries[0].score, usd.entries[0].score);
    assert_eq!(osmo.entries[0].supply.u128(), 1_000 * USD);
}

#[test]
fn an_adl_credit_in_a_denom_without_a_price_does_not_stop_the_step() {
    // Found by the 10,000-case invariant run: a candidate judged on its own (priced) denoms was
    // written down and credited ATOM held in kind while ATOM's price was stale; rescoring it on
    // the credit failed the whole step ("price of uatom is stale"), so the deficit stayed.
    let mut p = ProtocolBuilder::new()
        .user("erin", vec![coin(1_000_000 * USD, QUOTE)])
        .build();
    let [bob, carol, dave, erin, keeper] =
        ["bob", "carol", "dave", "erin", "keeper"].map(|u| p.user(u));
    p.deposit(&bob, coin(100_000 * USD, OSMO)).unwrap();
    p.fund(&dave, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.deposit(&erin, coin(50_000 * USD, QUOTE)).unwrap();
    p.borrow(&erin, OSMO, 20_000 * USD).unwrap();
    p.deposit(&carol, coin(40_000 * USD, OSMO)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.set_price(OSMO, d("0.000001"));
    p.liquidate(&keeper, &carol).unwrap();
    let held: DeficitResponse = market_query(
        &p,
        &market::QueryMsg::Deficit {
            denom: QUOTE.into(),
        },
    );
    assert_eq!(held.amount.u128(), 6_000 * USD);
    assert_eq!(held.collateral_in_kind[0].denom, ATOM);
    // ATOM goes stale; erin's health needs only USD and OSMO.
    p.refresh_pyth_on_advance = false;
    p.advance(120);
    let r = adl_step(&mut p, QUOTE).unwrap();
    let credited = attribute(&r, "credited").unwrap();
    assert!(credited.starts_with("500000000uatom"), "{credited}");
    assert!(deficit(&p, QUOTE) < held.amount);
    let erin_atom = market_query::<AdlQueueResponse>(
        &p,
        &market::QueryMsg::AdlQueue {
            denom: ATOM.into(),
            limit: None,
        },
    );
    assert_eq!(erin_atom.entries[0].account, erin.to_string());
}
