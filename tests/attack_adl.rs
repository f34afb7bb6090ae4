//! Attack: dodging auto-deleveraging. ADL writes a deficit down from the most levered suppliers
//! of the denom first, by the scores filed in its index. Scores are refreshed when an account
//! borrows, withdraws or toggles collateral, and by anyone's `Poke`; deposits and repays keep
//! the (then over-estimated) filing.
//!
//! - A supplier levered up by a price move, without acting, sits in a stale low bucket: anyone
//!   (a keeper, or the suppliers who would be written down instead) may poke it into its true
//!   bucket, and ADL then takes it first.
//! - An account cannot poke or nudge itself (a tiny deposit or repay) into a lower bucket; only
//!   real delevering lowers its score.
//! - With the deficit pending it cannot withdraw out of the index; it can repay its debt (which
//!   is real delevering), and then bears the socialised loss pro rata like every other supplier.

mod common;

use ballast_market::ContractError as MarketError;
use ballast_testing::{AssetSetup, PriceSetup, Protocol, ProtocolBuilder, ATOM, OSMO, QUOTE};
use ballast_tests::{d, holders, market_query, Watch, USD};
use ballast_types::backstop;
use ballast_types::market::{self, AdlQueueResponse, DeficitResponse, ExecuteMsg};
use cosmwasm_std::{coin, Addr, Decimal256, Uint128};

/// A fourth asset ($1, fixed), the collateral of the account that goes bankrupt, so that its
/// crash moves no one else's score.
const ION: &str = "uion";
const USERS: [&str; 7] = ["bob", "carol", "dave", "frank", "keeper", "mallory", "lp"];

/// bob supplies 100,000 USD without debt; dave supplies 10,000 USD and borrows 2,000 USD of
/// OSMO (leverage 0.25, bucket 0); frank supplies 20,000 USD and borrows 10,000 USD of ATOM
/// (leverage 1, bucket 2). The lp supplies the OSMO and ATOM they borrow.
fn world() -> Protocol {
    let big = 1_000_000_000 * USD;
    let mut p = ProtocolBuilder::new()
        .asset(AssetSetup {
            denom: ION.into(),
            params: ballast_testing::default_asset_params(),
            price: PriceSetup::Fixed(Decimal256::one()),
        })
        .user(
            "lp",
            vec![
                coin(big, QUOTE),
                coin(big, ATOM),
                coin(big, OSMO),
                coin(big, ION),
            ],
        )
        .user("carol", vec![coin(10_000 * USD, ION)])
        .user("frank", vec![coin(100_000 * USD, QUOTE)])
        .user("mallory", vec![coin(USD, QUOTE)])
        .build();
    let [bob, _, dave, frank, _, _, lp] = USERS.map(|u| p.user(u));
    p.deposit(&lp, coin(1_000_000 * USD, OSMO)).unwrap();
    p.deposit(&lp, coin(100_000 * USD, ATOM)).unwrap();
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.deposit(&dave, coin(10_000 * USD, QUOTE)).unwrap();
    p.borrow(&dave, OSMO, 4_000 * USD).unwrap();
    p.deposit(&frank, coin(20_000 * USD, QUOTE)).unwrap();
    p.borrow(&frank, ATOM, 1_000 * USD).unwrap();
    p
}

/// carol borrows 6,000 USD against ION, ION collapses, and with an empty fund her whole debt is
/// a deficit in USD.
fn bankrupt_carol(p: &mut Protocol) {
    let (carol, keeper) = (p.user("carol"), p.user("keeper"));
    p.deposit(&carol, coin(10_000 * USD, ION)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.set_price(ION, d("0.00000001"));
    p.liquidate(&keeper, &carol).unwrap();
    assert_eq!(deficit(p).amount, Uint128::new(6_000 * USD));
}

fn deficit(p: &Protocol) -> DeficitResponse {
    market_query(
        p,
        &market::QueryMsg::Deficit {
            denom: QUOTE.into(),
        },
    )
}

fn queue(p: &Protocol) -> Vec<String> {
    let q: AdlQueueResponse = market_query(
        p,
        &market::QueryMsg::AdlQueue {
            denom: QUOTE.into(),
            limit: None,
        },
    );
    q.entries.into_iter().map(|e| e.account).collect()
}

/// The ADL bucket an account's USD supply is filed in.
fn bucket(p: &Protocol, who: &Addr) -> Option<u8> {
    common::raw_account(p, who)
        .supplies
        .iter()
        .find(|s| s.denom == QUOTE)
        .and_then(|s| s.adl_bucket)
}

fn poke(p: &mut Protocol, by: &Addr, account: &Addr) {
    p.execute_market(
        by,
        &ExecuteMsg::Poke {
            account: account.to_string(),
        },
        &[],
    )
    .unwrap();
}

fn adl_step(p: &mut Protocol) {
    let keeper = p.user("keeper");
    p.execute_backstop(
        &keeper,
        &backstop::ExecuteMsg::AdlStep {
            denom: QUOTE.into(),
            limit: 50,
        },
        &[],
    )
    .unwrap();
}

/// OSMO ×3.5: dave's leverage rises from 0.25 to 2.33 (bucket 3) while he does nothing.
fn osmo_rallies(p: &mut Protocol) {
    p.set_price(OSMO, d("1.75"));
}

#[test]
fn a_supplier_levered_up_by_prices_hides_in_a_stale_bucket_until_anyone_pokes_it() {
    // Attack: dave's leverage rose with OSMO; he stays still, filed in bucket 0, and the
    // deficit is written down from frank (bucket 2) instead of him.
    let run = |poked: bool| {
        let mut p = world();
        let (dave, frank, mallory) = (p.user("dave"), p.user("frank"), p.user("mallory"));
        assert_eq!((bucket(&p, &dave), bucket(&p, &frank)), (Some(0), Some(2)));
        osmo_rallies(&mut p);
        assert_eq!(bucket(&p, &dave), Some(0), "no action, no refresh");
        bankrupt_carol(&mut p);
        if poked {
            // mallory (any address) refreshes dave's filing: bucket 3, first in the queue
            poke(&mut p, &mallory, &dave);
            assert_eq!(bucket(&p, &dave), Some(3));
            assert_eq!(queue(&p)[0], dave.to_string());
        }
        adl_step(&mut p);
        assert_eq!(deficit(&p).amount, Uint128::zero());
        (
            10_000 * USD - p.supplied(&dave, QUOTE).u128(),
            20_000 * USD - p.supplied(&frank, QUOTE).u128(),
        )
    };
    let (dave_hidden, frank_hidden) = run(false);
    assert_eq!(dave_hidden, 0, "stale and unpoked, dave dodges");
    assert!(frank_hidden >= 6_000 * USD);
    let (dave_poked, frank_poked) = run(true);
    // poked, dave is written down first, as far as adl_min_hf allows; frank takes the rest
    assert!(dave_poked > 0, "{dave_poked}");
    assert!(frank_poked < frank_hidden);
    assert!(
        (6_000 * USD..=6_000 * USD + 2).contains(&(dave_poked + frank_poked)),
        "{dave_poked} + {frank_poked}"
    );
}

#[test]
fn an_account_cannot_poke_or_nudge_itself_into_a_lower_bucket() {
    // Attack: dave, filed in bucket 3, pokes himself, deposits a unit and repays a unit, hoping
    // one of them re-files him lower without delevering.
    let mut p = world();
    let (dave, mallory) = (p.user("dave"), p.user("mallory"));
    osmo_rallies(&mut p);
    poke(&mut p, &mallory, &dave);
    assert_eq!(bucket(&p, &dave), Some(3));
    poke(&mut p, &dave, &dave);
    assert_eq!(bucket(&p, &dave), Some(3));
    p.deposit(&dave, coin(1, QUOTE)).unwrap();
    assert_eq!(bucket(&p, &dave), Some(3));
    p.repay(&dave, coin(1, OSMO)).unwrap();
    assert_eq!(bucket(&p, &dave), Some(3));
    // real delevering (repaying three quarters of his OSMO: leverage 0.21) lowers it, once
    // refreshed
    p.repay(&dave, coin(3_000 * USD, OSMO)).unwrap();
    assert_eq!(
        bucket(&p, &dave),
        Some(3),
        "a repay keeps the over-estimate"
    );
    poke(&mut p, &dave, &dave);
    assert_eq!(bucket(&p, &dave), Some(0));
}

#[test]
fn withdrawing_out_of_the_index_is_gated_and_repaying_out_of_it_still_bears_the_loss() {
    // Attack: dave, first in line, sees the deficit and tries to leave the index: withdrawing is
    // gated; repaying his debt is allowed (it is real delevering) but only trades ADL's priority
    // for the socialised loss that every supplier bears pro rata.
    let mut p = world();
    let (dave, frank, bob, mallory) = (
        p.user("dave"),
        p.user("frank"),
        p.user("bob"),
        p.user("mallory"),
    );
    // frank leaves the index first (he repays his ATOM), so that socialisation follows
    let owed = p.owed(&frank, ATOM).u128();
    p.repay(&frank, coin(owed, ATOM)).unwrap();
    osmo_rallies(&mut p);
    poke(&mut p, &mallory, &dave);
    bankrupt_carol(&mut p);
    let market_addr = p.market.clone();
    Watch::new(holders(&p, &USERS), &[QUOTE, OSMO]).refused(
        &mut p,
        &market_addr,
        &dave,
        &ExecuteMsg::Withdraw {
            denom: QUOTE.into(),
            amount: Some(Uint128::new(USD)),
            recipient: None,
        },
        &[],
        MarketError::WithdrawGated {
            denom: QUOTE.into(),
            deficit: Uint128::new(6_000 * USD),
        },
    );
    let owed = p.owed(&dave, OSMO).u128();
    p.repay(&dave, coin(owed, OSMO)).unwrap();
    assert_eq!(bucket(&p, &dave), None);
    assert!(queue(&p).is_empty());
    let supplied = |p: &Protocol, who: &Addr| p.supplied(who, QUOTE).u128();
    let (dave_before, bob_before, frank_before) = (
        supplied(&p, &dave),
        supplied(&p, &bob),
        supplied(&p, &frank),
    );
    adl_step(&mut p);
    assert_eq!(deficit(&p).amount, Uint128::zero());
    // every supplier lost the same share (to rounding), dave included
    let share = |before: u128, after: u128| (before - after) as f64 / before as f64;
    let dave_share = share(dave_before, supplied(&p, &dave));
    let bob_share = share(bob_before, supplied(&p, &bob));
    let frank_share = share(frank_before, supplied(&p, &frank));
    assert!(dave_share > 0.04, "{dave_share}");
    assert!(
        (dave_share - bob_share).abs() < 1e-9,
        "{dave_share} {bob_share}"
    );
    assert!(
        (frank_share - bob_share).abs() < 1e-9,
        "{frank_share} {bob_share}"
    );
}
