//! Liquidation auctions on the whole protocol: a crash, keepers liquidating and bidding, the
//! price curve to the unit, lots settling back into the market's books, the in-auction caps,
//! resets after tail and cusp, a lot failing to the backstop, the dust rule, and bad input.
//!
//! World: bob supplies 100,000 USD and funds the insurance fund; each borrower puts up 1,000
//! ATOM ($10) and borrows 6,500 USD (health 1.23). ATOM falls to $8: health 0.9846, between
//! `full_liquidation_hf` (0.95) and 1, so each liquidation is partial, back to `target_hf` 1.05:
//!
//! - debt to auction = (1.05 × 6,500 − 0.8 × 8,000) / (1.05 − 0.8 × 1.05) = 2,023.809524 USD
//!   (rounded up to the unit): 2_023_809_524 uusd;
//! - tab = ⌈debt × 1.05⌉ = 2_125_000_001; penalty = 101_190_477;
//! - collateral = ⌈tab value / 8⌉ = 265_625_001 uatom;
//! - start price = 8 × buf 1.2 = 9.6 uusd per uatom, × 0.99 every 60 s;
//! - keeper pay = tip 1 USD + 0.1% × debt = 1_000_000 + 2_023_809 = 3_023_809 uusd.

use ballast_auction::ContractError as AuctionError;
use ballast_market::ContractError as MarketError;
use ballast_testing::{attribute, Protocol, ProtocolBuilder, ATOM, OSMO, QUOTE, USER_BALANCE};
use ballast_tests::{assert_books_balance, assert_error, d, Snapshot, ATOM_UNIT, USD};
use ballast_types::auction::{
    self, AuctionParams, InAuctionResponse, LotKind, LotStatus, LotsResponse,
};
use ballast_types::backstop::{self, AbsorbedResponse};
use ballast_types::market::{self, DeficitResponse, LiquidatableResponse};
use ballast_types::math::{dec_mul, dec_pow, Rounding};
use cosmwasm_std::{coin, Addr, Decimal256, Uint128};

const LOT_DEBT: u128 = 2_023_809_524;
const LOT_TAB: u128 = 2_125_000_001;
const LOT_PENALTY: u128 = 101_190_477;
const LOT_COLLATERAL: u128 = 265_625_001;
const KEEPER_PAY: u128 = 3_023_809;
const TAIL: u64 = 3 * 3600;

fn u(n: u128) -> Uint128 {
    Uint128::new(n)
}

/// 9.6 × 0.99^⌊elapsed / 60⌋, rounded down as the curve does.
fn curve_price(start: &str, elapsed: u64) -> Decimal256 {
    dec_mul(
        d(start),
        dec_pow(d("0.99"), elapsed / 60).unwrap(),
        Rounding::Down,
    )
    .unwrap()
}

/// The crash world with `borrowers` (each 1,000 ATOM, 6,500 USD), after ATOM fell to $8.
fn crash(builder: ProtocolBuilder, borrowers: &[&str]) -> (Protocol, Vec<Addr>) {
    let mut p = builder
        .user(
            "erin",
            vec![
                coin(USER_BALANCE, QUOTE),
                coin(USER_BALANCE, ATOM),
                coin(USER_BALANCE, OSMO),
            ],
        )
        .build();
    let bob = p.user("bob");
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.fund(&bob, coin(10_000 * USD, QUOTE)).unwrap();
    let borrowers: Vec<Addr> = borrowers.iter().map(|b| p.user(b)).collect();
    for b in &borrowers {
        p.deposit(b, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
        p.borrow(b, QUOTE, 6_500 * USD).unwrap();
        assert!(!p.position(b).liquidatable);
    }
    p.set_price(ATOM, d("8"));
    (p, borrowers)
}

fn in_auction(p: &Protocol) -> InAuctionResponse {
    p.query(&p.auction, &auction::QueryMsg::InAuction {})
        .unwrap()
}

fn active_lots(p: &Protocol) -> Vec<u64> {
    let r: LotsResponse = p
        .query(
            &p.auction,
            &auction::QueryMsg::ActiveLots {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    r.lots.iter().map(|l| l.lot_id).collect()
}

/// Every address that can hold coins in these tests.
fn holders(p: &Protocol) -> Vec<Addr> {
    let mut all = vec![
        p.market.clone(),
        p.auction.clone(),
        p.backstop.clone(),
        p.oracle.clone(),
        p.owner.clone(),
    ];
    for name in ["alice", "bob", "carol", "dave", "erin", "keeper", "keeper2"] {
        all.push(p.user(name));
    }
    all
}

fn bank_total(p: &Protocol, denom: &str) -> Uint128 {
    holders(p).iter().map(|a| p.balance(a, denom)).sum()
}

fn set_auction_params(p: &mut Protocol, f: impl FnOnce(&mut AuctionParams)) {
    let config: auction::ConfigResponse =
        p.query(&p.auction, &auction::QueryMsg::Config {}).unwrap();
    let mut params = config.params;
    f(&mut params);
    let owner = p.owner.clone();
    p.execute_auction(&owner, &auction::ExecuteMsg::UpdateParams { params }, &[])
        .unwrap();
}

/// The keeper claims the pay its liquidations and resets earned; returns what it received.
fn claimed(p: &mut Protocol, keeper: &cosmwasm_std::Addr) -> Uint128 {
    let before = p.balance(keeper, QUOTE);
    p.execute_auction(
        keeper,
        &ballast_types::auction::ExecuteMsg::ClaimKeeperPay { denoms: None },
        &[],
    )
    .unwrap();
    p.balance(keeper, QUOTE) - before
}

#[test]
fn a_crash_three_liquidations_and_two_keepers_clear_a_lot_to_the_unit() {
    let (mut p, borrowers) = crash(ProtocolBuilder::new(), &["alice", "carol", "dave"]);
    let (keeper, keeper2) = (p.user("keeper"), p.user("keeper2"));
    let atom_total = bank_total(&p, ATOM);
    let usd_total = bank_total(&p, QUOTE);

    // the crash made all three liquidatable, and the market lists them
    let listed: LiquidatableResponse = p
        .query(
            &p.market,
            &market::QueryMsg::Liquidatable {
                start_after: None,
                limit: Some(50),
            },
        )
        .unwrap();
    assert_eq!(listed.accounts.len(), 3);
    for b in &borrowers {
        assert!(p.position(b).liquidatable);
    }

    // the keeper liquidates each: one lot per account, ids 1..3, paid for each
    let keeper_usd = p.balance(&keeper, QUOTE);
    for (i, b) in borrowers.iter().enumerate() {
        let response = p.liquidate(&keeper, b).unwrap();
        assert_eq!(Protocol::lot_ids(&response), vec![i as u64 + 1]);
        assert_eq!(
            attribute(&response, "keeper_pay"),
            Some(format!("{KEEPER_PAY}{QUOTE}"))
        );
    }
    // earned, not paid yet: the liquidations called no backstop; one claim collects it all
    assert_eq!(p.balance(&keeper, QUOTE), keeper_usd);
    assert_eq!(claimed(&mut p, &keeper), u(3 * KEEPER_PAY));
    let started = p.now();
    for id in 1..=3 {
        let lot = p.lot(id);
        assert_eq!(lot.kind, LotKind::Liquidation);
        assert_eq!(lot.borrower, borrowers[id as usize - 1].to_string());
        assert_eq!(lot.collateral, coin(LOT_COLLATERAL, ATOM));
        assert_eq!(lot.debt, coin(LOT_DEBT, QUOTE));
        assert_eq!(lot.penalty, coin(LOT_PENALTY, QUOTE));
        assert_eq!(lot.tab, coin(LOT_TAB, QUOTE));
        assert_eq!(lot.start_price, d("9.6"));
        assert_eq!(lot.min_debt, u(USD));
        assert_eq!(lot.status, LotStatus::Active);
    }
    // each tab holds its quote value of the caps (debt at $1)
    assert_eq!(
        in_auction(&p),
        InAuctionResponse {
            total_value: u(3 * LOT_TAB),
            per_denom: vec![(ATOM.into(), u(3 * LOT_TAB))],
        }
    );
    // the borrower's position lost the lot's collateral and debt, and shows the open lot
    let alice = &borrowers[0];
    let position = p.position(alice);
    assert_eq!(
        p.supplied(alice, ATOM),
        u(1_000 * ATOM_UNIT - LOT_COLLATERAL)
    );
    assert_eq!(p.owed(alice, QUOTE), u(6_500 * USD - LOT_DEBT));
    assert_eq!(position.open_lots, 1);
    assert!(!position.liquidatable);
    assert_eq!(p.balance(&p.auction, ATOM), u(3 * LOT_COLLATERAL));

    // the price at given times, to the unit: 9.6 × 0.99^⌊t/60⌋
    for (t, literal) in [(0, "9.6"), (59, "9.6"), (60, "9.504"), (120, "9.40896")] {
        let now = p.now();
        p.advance(started + t - now);
        assert_eq!(p.lot(1).current_price, d(literal), "at {t} s");
        assert_eq!(p.lot(1).current_price, curve_price("9.6", t));
    }

    // two keepers clear lot 1 with partial bids at 9.40896
    let market_usd = p.balance(&p.market, QUOTE);
    let usd_asset = p.asset(QUOTE);
    let fund_usd = p.balance(&p.backstop, QUOTE);
    let (k_atom, k_usd) = (p.balance(&keeper, ATOM), p.balance(&keeper, QUOTE));
    let (k2_atom, k2_usd) = (p.balance(&keeper2, ATOM), p.balance(&keeper2, QUOTE));
    // keeper: 100 ATOM for ⌈100,000,000 × 9.40896⌉ = 940,896,000
    let r = p
        .bid(
            &keeper,
            1,
            100 * ATOM_UNIT,
            d("9.40896"),
            coin(1_000 * USD, QUOTE),
        )
        .unwrap();
    assert_eq!(attribute(&r, "paid"), Some(format!("940896000{QUOTE}")));
    assert_eq!(attribute(&r, "refund"), Some(format!("59104000{QUOTE}")));
    let lot = p.lot(1);
    assert_eq!(lot.tab, coin(LOT_TAB - 940_896_000, QUOTE));
    assert_eq!(lot.debt, coin(LOT_DEBT - 940_896_000, QUOTE));
    // keeper2 offers for the rest: the tab left (1,184,104,001) buys ⌊tab / 9.40896⌋ =
    // 125,848,552 uatom; the debt is repaid first, then the whole penalty
    let r = p
        .bid(
            &keeper2,
            1,
            LOT_COLLATERAL,
            d("9.5"),
            coin(2_000 * USD, QUOTE),
        )
        .unwrap();
    assert_eq!(
        attribute(&r, "collateral_bought"),
        Some(format!("125848552{ATOM}"))
    );
    assert_eq!(attribute(&r, "paid"), Some(format!("1184104001{QUOTE}")));
    assert_eq!(
        attribute(&r, "debt_repaid"),
        Some(format!("1082913524{QUOTE}"))
    );
    assert_eq!(
        attribute(&r, "penalty_paid"),
        Some(format!("{LOT_PENALTY}{QUOTE}"))
    );
    let leftover = LOT_COLLATERAL - 100 * ATOM_UNIT - 125_848_552;
    assert_eq!(leftover, 39_776_449);
    assert_eq!(
        attribute(&r, "collateral_returned"),
        Some(format!("{leftover}{ATOM}"))
    );
    assert_eq!(p.lot(1).status, LotStatus::Settled);
    assert_eq!(active_lots(&p), vec![2, 3]);

    // the keepers got exactly the collateral they paid for, at ⌈c × p⌉
    assert_eq!(p.balance(&keeper, ATOM) - k_atom, u(100 * ATOM_UNIT));
    assert_eq!(k_usd - p.balance(&keeper, QUOTE), u(940_896_000));
    assert_eq!(p.balance(&keeper2, ATOM) - k2_atom, u(125_848_552));
    assert_eq!(k2_usd - p.balance(&keeper2, QUOTE), u(1_184_104_001));
    // the leftover is back in alice's collateral, the lot closed, her debt untouched by it
    let position = p.position(alice);
    assert_eq!(
        p.supplied(alice, ATOM),
        u(1_000 * ATOM_UNIT - LOT_COLLATERAL + leftover)
    );
    assert!(position
        .supply
        .iter()
        .all(|s| s.denom != ATOM || s.collateral));
    assert_eq!(position.open_lots, 0);
    // the market got the debt in cash, the fund the penalty, to the unit
    assert_eq!(p.balance(&p.market, QUOTE) - market_usd, u(LOT_DEBT));
    let after = p.asset(QUOTE);
    assert_eq!(after.cash - usd_asset.cash, u(LOT_DEBT));
    assert_eq!(
        usd_asset.debt_in_auction - after.debt_in_auction,
        u(LOT_DEBT)
    );
    assert_eq!(after.debt_in_auction, u(2 * LOT_DEBT));
    assert_eq!(p.balance(&p.backstop, QUOTE) - fund_usd, u(LOT_PENALTY));
    // the auction holds exactly the two open lots' collateral and no debt coin
    assert_eq!(p.balance(&p.auction, ATOM), u(2 * LOT_COLLATERAL));
    assert_eq!(p.balance(&p.auction, QUOTE), Uint128::zero());
    assert_eq!(in_auction(&p).total_value, u(2 * LOT_TAB));
    // the market's ATOM books: cash is what it holds; supply matches the accounts
    let atom = p.asset(ATOM);
    assert_eq!(p.balance(&p.market, ATOM), atom.cash);
    let supply: Uint128 = borrowers.iter().map(|b| p.supplied(b, ATOM)).sum();
    assert_eq!(supply, atom.total_supply);
    assert_eq!(supply, u(3_000 * ATOM_UNIT - 3 * LOT_COLLATERAL + leftover));
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
    assert_books_balance(&p, ATOM, Uint128::zero(), 0);
    // nothing was minted or lost anywhere
    assert_eq!(bank_total(&p, ATOM), atom_total);
    assert_eq!(bank_total(&p, QUOTE), usd_total);
}

#[test]
fn the_cap_stops_the_fourth_liquidation_until_a_bid_frees_room() {
    let (mut p, borrowers) = crash(ProtocolBuilder::new(), &["alice", "carol", "dave", "erin"]);
    let keeper = p.user("keeper");
    // room for exactly three lots
    set_auction_params(&mut p, |a| a.max_in_auction = u(3 * LOT_TAB));
    for b in &borrowers[..3] {
        p.liquidate(&keeper, b).unwrap();
    }
    let before = Snapshot::take(&p, &[&p.market, &p.auction, &keeper], &[ATOM, QUOTE]);
    let err = p.liquidate(&keeper, &borrowers[3]).unwrap_err();
    assert_error(
        &err,
        MarketError::LiquidationLimitHit {
            global_room: Uint128::zero(),
            denom: ATOM.into(),
            denom_room: Uint128::zero(),
        },
    );
    // a per-denom cap stops it the same way, and names the denom's room
    set_auction_params(&mut p, |a| {
        a.max_in_auction = u(1_000_000 * USD);
        a.max_in_auction_per_denom = vec![(ATOM.into(), u(3 * LOT_TAB))];
    });
    let err = p.liquidate(&keeper, &borrowers[3]).unwrap_err();
    assert_error(
        &err,
        MarketError::LiquidationLimitHit {
            global_room: u(1_000_000 * USD - 3 * LOT_TAB),
            denom: ATOM.into(),
            denom_room: Uint128::zero(),
        },
    );
    assert_eq!(
        Snapshot::take(&p, &[&p.market, &p.auction, &keeper], &[ATOM, QUOTE]),
        before
    );
    assert!(p.position(&borrowers[3]).liquidatable);

    // a bid pays 960,000,000 of lot 1's tab and frees ⌊tab value × paid / tab⌋ of the caps
    let keeper2 = p.user("keeper2");
    p.bid(
        &keeper2,
        1,
        100 * ATOM_UNIT,
        d("9.6"),
        coin(960 * USD, QUOTE),
    )
    .unwrap();
    assert_eq!(in_auction(&p).total_value, u(3 * LOT_TAB - 960 * USD));
    // the fourth liquidation now fits what was freed: a smaller lot, limited by the caps
    let response = p.liquidate(&keeper, &borrowers[3]).unwrap();
    assert_eq!(Protocol::lot_ids(&response), vec![4]);
    assert_eq!(
        attribute(&response, "limited_by_caps").as_deref(),
        Some("true")
    );
    let lot = p.lot(4);
    let tab = Uint128::try_from(lot.tab.amount).unwrap();
    assert!(tab <= u(960 * USD), "lot 4's tab {tab} fits the room");
    assert!(in_auction(&p).total_value <= u(3 * LOT_TAB));
    // the per-denom books agree with the total
    let caps = in_auction(&p);
    assert_eq!(caps.per_denom, vec![(ATOM.into(), caps.total_value)]);
}

#[test]
fn reset_after_tail_and_after_cusp_restarts_from_the_oracle_and_pays_the_keeper() {
    // lot 1 starts with a one-hour tail (0.99^60 = 0.547: the tail comes before the cusp);
    // lot 2 after the owner raised the tail to three hours (the cusp, at 0.99^92, comes first)
    let (mut p, borrowers) = crash(
        ProtocolBuilder::new().auction_params(|a| a.tail = 3_600),
        &["alice", "carol"],
    );
    let (keeper, keeper2) = (p.user("keeper"), p.user("keeper2"));
    p.liquidate(&keeper, &borrowers[0]).unwrap();
    set_auction_params(&mut p, |a| a.tail = TAIL);
    p.liquidate(&keeper, &borrowers[1]).unwrap();
    let started = p.now();

    // lot 1 at its tail exactly still sells; one second later it needs a reset
    p.advance(3_600);
    let lot = p.lot(1);
    assert_eq!(lot.status, LotStatus::Active);
    assert_eq!(lot.current_price, curve_price("9.6", 3_600));
    let refused = p.reset(&keeper2, 1).unwrap_err();
    assert_error(&refused, AuctionError::CannotReset { lot_id: 1 });
    p.advance(1);
    assert_eq!(p.lot(1).status, LotStatus::NeedsReset);
    // lot 2 kept the tail it started with (Exact rule 10)
    assert_eq!(p.lot(2).status, LotStatus::Active);
    let err = p
        .bid(&keeper, 1, ATOM_UNIT, d("100"), coin(100 * USD, QUOTE))
        .unwrap_err();
    assert_error(&err, AuctionError::NeedsReset { lot_id: 1 });

    // ATOM recovered to $9: the reset restarts at 9 × 1.2 = 10.8 and pays keeper2
    p.set_price(ATOM, d("9"));
    let r = p.reset(&keeper2, 1).unwrap();
    assert_eq!(attribute(&r, "start_price").as_deref(), Some("10.8"));
    assert_eq!(claimed(&mut p, &keeper2), u(KEEPER_PAY));
    let lot = p.lot(1);
    assert_eq!(lot.start_price, d("10.8"));
    assert_eq!(lot.current_price, d("10.8"));
    assert_eq!(lot.started_at, started + 3_601);
    assert_eq!(lot.resets, 1);
    assert_eq!(lot.status, LotStatus::Active);

    // lot 2 and the cusp (0.4): 0.99^91 = 0.4007 is not below it, 0.99^92 = 0.3967 is
    p.advance(91 * 60 + 59 - 3_601);
    let lot = p.lot(2);
    assert_eq!(p.now() - started, 91 * 60 + 59);
    assert_eq!(lot.current_price, curve_price("9.6", 91 * 60));
    assert_eq!(lot.status, LotStatus::Active);
    p.advance(1);
    let lot = p.lot(2);
    assert_eq!(lot.current_price, curve_price("9.6", 92 * 60));
    assert_eq!(lot.status, LotStatus::NeedsReset);
    p.reset(&keeper2, 2).unwrap();
    assert_eq!(claimed(&mut p, &keeper2), u(KEEPER_PAY));
    let lot = p.lot(2);
    assert_eq!((lot.resets, lot.start_price), (1, d("10.8")));

    // reset lots sell again, at their new prices
    p.bid(&keeper, 2, ATOM_UNIT, d("10.8"), coin(11 * USD, QUOTE))
        .unwrap();
    assert_eq!(p.lot(2).collateral, coin(LOT_COLLATERAL - ATOM_UNIT, ATOM));
    let price = p.lot(1).current_price;
    assert_eq!(price, curve_price("10.8", 92 * 60 - 3_601));
    p.bid(&keeper, 1, ATOM_UNIT, price, coin(11 * USD, QUOTE))
        .unwrap();
}

#[test]
fn a_lot_fails_after_max_resets_and_the_backstop_absorbs_then_sells_it() {
    let (mut p, borrowers) = crash(ProtocolBuilder::new(), &["alice"]);
    let (keeper, keeper2) = (p.user("keeper"), p.user("keeper2"));
    let alice = borrowers[0].clone();
    p.liquidate(&keeper, &alice).unwrap();
    // nobody bids: three resets, then the fourth fails the lot (max_resets 3)
    for resets in 1..=3 {
        p.advance(TAIL + 1);
        p.reset(&keeper2, 1).unwrap();
        assert_eq!(p.lot(1).resets, resets);
    }
    p.advance(TAIL + 1);
    let market_usd = p.balance(&p.market, QUOTE);
    claimed(&mut p, &keeper2);
    let response = p.reset(&keeper2, 1).unwrap();
    assert_eq!(attribute(&response, "failed").as_deref(), Some("true"));
    assert_eq!(
        attribute(&response, "collateral_to").as_deref(),
        Some("backstop")
    );
    // the failing reset still pays the keeper
    assert_eq!(claimed(&mut p, &keeper2), u(KEEPER_PAY));
    let lot = p.lot(1);
    assert_eq!(lot.status, LotStatus::Failed);
    assert!(active_lots(&p).is_empty());
    assert_eq!(in_auction(&p).total_value, Uint128::zero());
    assert_eq!(p.balance(&p.auction, ATOM), Uint128::zero());
    // the fund (10,000 USD, 50% per event) paid the lot's debt in cash and keeps its collateral
    assert_eq!(p.balance(&p.market, QUOTE) - market_usd, u(LOT_DEBT));
    let absorbed: AbsorbedResponse = p
        .query(&p.backstop, &backstop::QueryMsg::Absorbed {})
        .unwrap();
    assert_eq!(absorbed.collateral, vec![coin(LOT_COLLATERAL, ATOM)]);
    let deficit: DeficitResponse = p
        .query(
            &p.market,
            &market::QueryMsg::Deficit {
                denom: QUOTE.into(),
            },
        )
        .unwrap();
    assert_eq!(deficit.amount, Uint128::zero());
    assert_eq!(p.asset(QUOTE).debt_in_auction, Uint128::zero());
    assert_eq!(p.position(&alice).open_lots, 0);
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);

    // the fund sells it later by auction: a sale lot whose proceeds all go to the fund
    let owner = p.owner.clone();
    p.execute_backstop(
        &owner,
        &backstop::ExecuteMsg::SellAbsorbed {
            denom: ATOM.into(),
            amount: u(LOT_COLLATERAL),
            proceeds_denom: None,
        },
        &[],
    )
    .unwrap();
    let sale = p.lot(2);
    assert_eq!(sale.kind, LotKind::Sale);
    assert_eq!(sale.borrower, p.backstop.to_string());
    assert_eq!(sale.start_price, d("9.6"));
    assert_eq!(
        auction::OPEN_SALES
            .query(&p.app.wrap(), p.auction.clone())
            .unwrap(),
        1
    );
    let fund = p.balance(&p.backstop, QUOTE);
    p.bid(
        &keeper,
        2,
        LOT_COLLATERAL,
        d("9.6"),
        coin(3_000 * USD, QUOTE),
    )
    .unwrap();
    // ⌈265,625,001 × 9.6⌉ = 2,550,000,010
    assert_eq!(p.balance(&p.backstop, QUOTE) - fund, u(2_550_000_010));
    assert_eq!(p.lot(2).status, LotStatus::Settled);
    assert_eq!(
        auction::OPEN_SALES
            .query(&p.app.wrap(), p.auction.clone())
            .unwrap(),
        0
    );
}

#[test]
fn under_water_the_collateral_runs_out_and_the_shortfall_is_measured_at_the_close() {
    let (mut p, borrowers) = crash(ProtocolBuilder::new(), &["alice"]);
    let keeper = p.user("keeper");
    let alice = borrowers[0].clone();
    // ATOM at $6: 6,000 of collateral cannot cover 6,500 × 1.05 (Exact rule 3): all the debt
    // and all the collateral go into one lot
    p.set_price(ATOM, d("6"));
    let response = p.liquidate(&keeper, &alice).unwrap();
    assert_eq!(attribute(&response, "mode").as_deref(), Some("underwater"));
    let lot = p.lot(1);
    assert_eq!(lot.collateral, coin(1_000 * ATOM_UNIT, ATOM));
    assert_eq!(lot.debt, coin(6_500 * USD, QUOTE));
    assert_eq!(lot.penalty, coin(325 * USD, QUOTE));
    assert_eq!(lot.start_price, d("7.2"));
    assert_eq!(p.supplied(&alice, ATOM), Uint128::zero());

    // eleven steps later the price (7.2 × 0.99^11) is below debt / collateral: the whole lot
    // sells for less than the debt
    p.advance(11 * 60);
    let price = p.lot(1).current_price;
    assert_eq!(price, curve_price("7.2", 660));
    let paid = ballast_types::math::mul_dec(u(1_000 * ATOM_UNIT), price, Rounding::Up).unwrap();
    assert!(paid < u(6_500 * USD));
    let unpaid = u(6_500 * USD) - paid;
    let market_usd = p.balance(&p.market, QUOTE);
    let fund_usd = p.balance(&p.backstop, QUOTE);
    let r = p
        .bid(
            &keeper,
            1,
            1_000 * ATOM_UNIT,
            price,
            coin(7_000 * USD, QUOTE),
        )
        .unwrap();
    assert_eq!(attribute(&r, "paid"), Some(format!("{paid}{QUOTE}")));
    assert_eq!(
        attribute(&r, "debt_unpaid"),
        Some(format!("{unpaid}{QUOTE}"))
    );
    assert_eq!(p.lot(1).status, LotStatus::Settled);
    // the close left alice with the unpaid debt and no collateral: the market recognised the
    // shortfall then, and the fund covered it in the same transaction
    assert_eq!(attribute(&r, "shortfall"), Some(format!("{unpaid}{QUOTE}")));
    assert_eq!(p.owed(&alice, QUOTE), Uint128::zero());
    assert_eq!(p.position(&alice).open_lots, 0);
    assert_eq!(p.balance(&p.market, QUOTE) - market_usd, u(6_500 * USD));
    assert_eq!(fund_usd - p.balance(&p.backstop, QUOTE), unpaid);
    let deficit: DeficitResponse = p
        .query(
            &p.market,
            &market::QueryMsg::Deficit {
                denom: QUOTE.into(),
            },
        )
        .unwrap();
    assert_eq!(deficit.amount, Uint128::zero());
    let usd = p.asset(QUOTE);
    assert_eq!(usd.debt_in_auction, Uint128::zero());
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
    assert_eq!(p.balance(&p.auction, ATOM), Uint128::zero());
    assert_eq!(in_auction(&p).total_value, Uint128::zero());
}

#[test]
fn the_dust_rule_both_ways() {
    let (mut p, borrowers) = crash(ProtocolBuilder::new(), &["alice"]);
    let (keeper, keeper2) = (p.user("keeper"), p.user("keeper2"));
    let alice = borrowers[0].clone();
    p.liquidate(&keeper, &alice).unwrap();
    // a partial bid that leaves at least min_debt (1 USD) is taken as asked
    let r = p
        .bid(&keeper, 1, 10 * ATOM_UNIT, d("9.6"), coin(96 * USD, QUOTE))
        .unwrap();
    assert_eq!(attribute(&r, "paid"), Some(format!("96000000{QUOTE}")));
    let tab = LOT_TAB - 96 * USD;
    // one that would leave 0.5 USD is trimmed to leave exactly 1 USD: it pays tab − 1 USD
    // for ⌊(tab − 1 USD) / 9.6⌋ and the rest of its funds comes back
    let r = p
        .bid(
            &keeper,
            1,
            LOT_COLLATERAL,
            d("9.6"),
            coin(tab - USD / 2, QUOTE),
        )
        .unwrap();
    let paid = tab - USD;
    assert_eq!(attribute(&r, "paid"), Some(format!("{paid}{QUOTE}")));
    assert_eq!(attribute(&r, "refund"), Some(format!("{}{QUOTE}", USD / 2)));
    let bought = paid * 10 / 96; // ⌊paid / 9.6⌋
    assert_eq!(
        attribute(&r, "collateral_bought"),
        Some(format!("{bought}{ATOM}"))
    );
    let lot = p.lot(1);
    assert_eq!(lot.tab, coin(USD, QUOTE));
    assert_eq!(lot.debt, coin(0, QUOTE));
    // with the tab at min_debt only the whole of it sells
    let err = p
        .bid(
            &keeper2,
            1,
            ATOM_UNIT / 100,
            d("9.6"),
            coin(USD / 10, QUOTE),
        )
        .unwrap_err();
    assert_error(
        &err,
        AuctionError::DustLeft {
            tab: u(USD),
            min_debt: u(USD),
        },
    );
    let r = p
        .bid(&keeper2, 1, LOT_COLLATERAL, d("9.6"), coin(2 * USD, QUOTE))
        .unwrap();
    assert_eq!(attribute(&r, "paid"), Some(format!("{USD}{QUOTE}")));
    // the debt was repaid by the earlier bids, so the close returns the collateral only
    let leftover = LOT_COLLATERAL - 10 * ATOM_UNIT - bought - USD * 10 / 96;
    assert_eq!(
        attribute(&r, "collateral_returned"),
        Some(format!("{leftover}{ATOM}"))
    );
    assert_eq!(attribute(&r, "action").as_deref(), Some("bid"));
    assert!(r.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "action" && a.value == "return_collateral")));
    assert_eq!(p.lot(1).status, LotStatus::Settled);
    assert_eq!(
        p.supplied(&alice, ATOM),
        u(1_000 * ATOM_UNIT - LOT_COLLATERAL + leftover)
    );
    assert_eq!(p.position(&alice).open_lots, 0);
}

#[test]
fn bad_input_is_refused_and_moves_nothing() {
    let (mut p, borrowers) = crash(ProtocolBuilder::new(), &["alice", "carol"]);
    let (keeper, bob) = (p.user("keeper"), p.user("bob"));
    let alice = borrowers[0].clone();

    // a healthy account and oneself cannot be liquidated
    let err = p.liquidate(&keeper, &bob).unwrap_err();
    assert_error(
        &err,
        MarketError::NotLiquidatable {
            account: bob.to_string(),
            health_factor: "none (no debt)".into(),
        },
    );
    let err = p.liquidate(&alice, &alice).unwrap_err();
    assert_error(&err, MarketError::SelfLiquidation {});

    p.liquidate(&keeper, &alice).unwrap();
    let snapshot = |p: &Protocol| {
        Snapshot::take(
            p,
            &[&p.market, &p.auction, &p.backstop, &keeper],
            &[ATOM, QUOTE],
        )
    };
    let before = snapshot(&p);

    // only the market starts auctions
    let err = p
        .execute_auction(
            &keeper,
            &auction::ExecuteMsg::StartAuction {
                borrower: alice.to_string(),
                debt_denom: QUOTE.into(),
                debt: u(USD),
                keeper: keeper.to_string(),
                lot_id: 2,
                penalty: Uint128::zero(),
                price: d("0.01"),
                debt_price: d("1"),
                min_debt: Uint128::zero(),
            },
            &[coin(ATOM_UNIT, ATOM)],
        )
        .unwrap_err();
    assert_error(
        &err,
        AuctionError::Unauthorized {
            sender: keeper.to_string(),
            action: "start auctions".into(),
        },
    );
    // only the auction reports bids and closes to the market
    let err = p
        .execute_market(
            &keeper,
            &market::ExecuteMsg::RepayFromAuction {
                borrower: alice.to_string(),
                lot_id: 1,
                close: true,
                penalty_collected: Uint128::zero(),
            },
            &[coin(USD, QUOTE)],
        )
        .unwrap_err();
    assert_error(
        &err,
        MarketError::Unauthorized {
            sender: keeper.to_string(),
            action: "report auction proceeds".into(),
        },
    );
    let err = p
        .execute_market(
            &keeper,
            &market::ExecuteMsg::ReturnCollateral {
                borrower: alice.to_string(),
                lot_id: 1,
                penalty_collected: Uint128::zero(),
            },
            &[],
        )
        .unwrap_err();
    assert_error(
        &err,
        MarketError::Unauthorized {
            sender: keeper.to_string(),
            action: "report auction proceeds".into(),
        },
    );
    // a bid below the price, in the wrong denom, or with two coins
    let err = p
        .bid(&keeper, 1, ATOM_UNIT, d("9.59"), coin(100 * USD, QUOTE))
        .unwrap_err();
    assert_error(
        &err,
        AuctionError::PriceTooHigh {
            price: d("9.6"),
            max_price: d("9.59"),
        },
    );
    let err = p
        .bid(&keeper, 1, ATOM_UNIT, d("9.6"), coin(100 * ATOM_UNIT, ATOM))
        .unwrap_err();
    assert_error(
        &err,
        AuctionError::InvalidFunds {
            expected: format!("a positive amount of {QUOTE} only"),
            got: format!("100000000{ATOM}"),
        },
    );
    let err = p
        .execute_auction(
            &keeper,
            &auction::ExecuteMsg::Bid {
                lot_id: 1,
                max_collateral: u(ATOM_UNIT),
                max_price: d("9.6"),
                recipient: None,
            },
            &[coin(10 * USD, QUOTE), coin(1, OSMO)],
        )
        .unwrap_err();
    assert_error(
        &err,
        AuctionError::InvalidFunds {
            expected: format!("a positive amount of {QUOTE} only"),
            got: format!("10000000{QUOTE}, 1{OSMO}"),
        },
    );
    // a reset before it is due, and with coins
    let err = p.reset(&keeper, 1).unwrap_err();
    assert_error(&err, AuctionError::CannotReset { lot_id: 1 });
    assert_eq!(snapshot(&p), before);

    // a settled lot takes no bids and no resets
    p.bid(
        &keeper,
        1,
        LOT_COLLATERAL,
        d("9.6"),
        coin(3_000 * USD, QUOTE),
    )
    .unwrap();
    let err = p
        .bid(&keeper, 1, ATOM_UNIT, d("9.6"), coin(10 * USD, QUOTE))
        .unwrap_err();
    assert_error(
        &err,
        AuctionError::LotNotActive {
            lot_id: 1,
            status: "settled".into(),
        },
    );
    let err = p.reset(&keeper, 1).unwrap_err();
    assert_error(
        &err,
        AuctionError::LotNotActive {
            lot_id: 1,
            status: "settled".into(),
        },
    );
    let err = p
        .bid(&keeper, 9, ATOM_UNIT, d("9.6"), coin(10 * USD, QUOTE))
        .unwrap_err();
    assert_error(&err, AuctionError::UnknownLot { lot_id: 9 });
}
