//! Attack: paying with the wrong coins. Wrong denoms, extra coins, zero coins, amounts beyond
//! 128 bits, `u128::MAX` amounts and parameters, sent to the auction, the backstop and the
//! oracle (the market's own messages are covered by `bad_input.rs`). Each is refused with its
//! exact error and moves no coin and no book; where a huge amount is legitimate (a whale paying
//! for a lot, repaying a loan) it pays exactly what is owed and gets the rest back.
//!
//! Regressions: a stake of `u128::MAX` into a non-empty pool panicked on the pool's total (now an
//! overflow error); a `stake_cooldown` or `drawdown_window` near `u64::MAX` was accepted and then
//! panicked every `Unstake`, or every loss cover, on `now + period` (now refused as parameters).

use ballast_testing::{attribute, Protocol, ProtocolBuilder, ATOM, OSMO, QUOTE};
use ballast_tests::{alice_in_auction, assert_books_balance, holders, Watch, ATOM_UNIT, USD};
use ballast_types::auction;
use ballast_types::backstop::{self, BackstopParams, StakerResponse, MAX_PERIOD};
use ballast_types::market;
use ballast_types::oracle;
use cosmwasm_std::{coin, Addr, Coin, Decimal256, Uint128, Uint256};

const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "keeper", "mallory"];
/// Lot 1 of `alice_in_auction`: alice's partial liquidation at ATOM $8 (as in auction_flow.rs).
const LOT_TAB: u128 = 2_125_000_001;

type AuctionError = ballast_auction::ContractError;
type BackstopError = ballast_backstop::ContractError;
type MarketError = ballast_market::ContractError;

/// `alice_in_auction` (lot 1 in auction) with a whale that holds `u128::MAX` of every denom, or
/// more than 128 bits when `beyond` is set.
fn world(beyond: bool) -> Protocol {
    let whale: Vec<Coin> = [QUOTE, ATOM, OSMO]
        .iter()
        .map(|d| {
            if beyond {
                Coin::new(Uint256::from(u128::MAX) * Uint256::from(2u8), *d)
            } else {
                coin(u128::MAX, *d)
            }
        })
        .collect();
    alice_in_auction(
        ProtocolBuilder::new()
            .user("whale", whale)
            .user(
                "mallory",
                vec![coin(1_000_000 * USD, QUOTE), coin(1_000 * ATOM_UNIT, ATOM)],
            )
            .user("owner", vec![coin(1_000 * USD, QUOTE)]),
    )
}

/// Everyone but the whale (whose balance may not fit the snapshot's u128).
fn watch(p: &Protocol) -> Watch {
    Watch::new(holders(p, &USERS), &[QUOTE, ATOM, OSMO])
}

fn bank(p: &Protocol, who: &Addr, denom: &str) -> Uint256 {
    p.app.wrap().query_balance(who, denom).unwrap().amount
}

#[test]
fn a_stake_too_large_for_the_pool_is_an_overflow_error_not_a_panic() {
    // Attack (regression): a whale stakes u128::MAX into a pool that already holds 1,000 USD;
    // the pool's total overflowed with a panic. It is now an error, and nothing moves.
    let mut p = world(false);
    let whale = p.user("whale");
    let backstop_addr = p.backstop.clone();
    let whale_usd = bank(&p, &whale, QUOTE);
    watch(&p).refused(
        &mut p,
        &backstop_addr,
        &whale,
        &backstop::ExecuteMsg::Stake {},
        &[coin(u128::MAX, QUOTE)],
        "overflow in stake pool tokens",
    );
    assert_eq!(bank(&p, &whale, QUOTE), whale_usd);
    // a stake that fits is taken as before
    p.stake(&whale, coin(USD, QUOTE)).unwrap();
    let staker: StakerResponse = p
        .query(
            &p.backstop,
            &backstop::QueryMsg::Staker {
                address: whale.to_string(),
            },
        )
        .unwrap();
    assert_eq!(staker.shares, Uint128::new(USD));
}

#[test]
fn periods_that_would_overflow_the_block_time_are_refused_as_parameters() {
    // Attack (regression): an owner mistake (or a compromised owner) sets the stake cooldown or
    // the drawdown window to u64::MAX; every Unstake, or every cover of a loss, then panicked
    // on `now + period`, locking stakers in and blocking shortfall recognition.
    let mut p = world(false);
    let (owner, dave) = (p.owner.clone(), p.user("dave"));
    let backstop_addr = p.backstop.clone();
    let w = watch(&p);
    let with = |f: &dyn Fn(&mut BackstopParams)| {
        let mut params = ballast_testing::default_backstop_params();
        f(&mut params);
        backstop::ExecuteMsg::UpdateParams { params }
    };
    w.refused(
        &mut p,
        &backstop_addr,
        &owner,
        &with(&|b| b.stake_cooldown = u64::MAX),
        &[],
        BackstopError::InvalidParams {
            reason: format!(
                "stake_cooldown must be at most 31536000 s, got {}",
                u64::MAX
            ),
        },
    );
    w.refused(
        &mut p,
        &backstop_addr,
        &owner,
        &with(&|b| b.drawdown_window = u64::MAX),
        &[],
        BackstopError::InvalidParams {
            reason: format!(
                "drawdown_window must be in 1..=31536000 s, got {}",
                u64::MAX
            ),
        },
    );
    // a year is the longest: an Unstake then becomes claimable a year later
    p.execute_backstop(
        &owner,
        &with(&|b| {
            b.stake_cooldown = MAX_PERIOD;
            b.drawdown_window = MAX_PERIOD;
        }),
        &[],
    )
    .unwrap();
    let r = p
        .execute_backstop(
            &dave,
            &backstop::ExecuteMsg::Unstake {
                amount: Uint128::new(USD),
            },
            &[],
        )
        .unwrap();
    assert_eq!(
        attribute(&r, "claimable_at"),
        Some((p.now() + MAX_PERIOD).to_string())
    );
}

#[test]
fn coins_beyond_128_bits_are_refused_by_every_message_that_takes_coins() {
    // Attack: a chain's bank is 256-bit; send 2^128 units (one more than any book can hold) to
    // every message that takes coins, hoping for a truncation.
    let mut p = world(true);
    let whale = p.user("whale");
    let huge = Uint256::from(u128::MAX) + Uint256::one();
    let w = watch(&p);
    let (market_addr, auction_addr, backstop_addr) =
        (p.market.clone(), p.auction.clone(), p.backstop.clone());
    let before = (bank(&p, &whale, QUOTE), bank(&p, &whale, ATOM));
    let got = |denom: &str| format!("{huge}{denom}");
    let alice = p.user("alice");
    w.refused(
        &mut p,
        &market_addr,
        &whale,
        &market::ExecuteMsg::Deposit { on_behalf_of: None },
        &[Coin::new(huge, ATOM)],
        MarketError::InvalidFunds {
            expected: "one coin whose amount fits in 128 bits".into(),
            got: got(ATOM),
        },
    );
    w.refused(
        &mut p,
        &market_addr,
        &whale,
        &market::ExecuteMsg::Repay {
            on_behalf_of: Some(alice.to_string()),
        },
        &[Coin::new(huge, QUOTE)],
        MarketError::InvalidFunds {
            expected: "one coin whose amount fits in 128 bits".into(),
            got: got(QUOTE),
        },
    );
    w.refused(
        &mut p,
        &auction_addr,
        &whale,
        &auction::ExecuteMsg::Bid {
            lot_id: 1,
            max_collateral: Uint128::MAX,
            max_price: Decimal256::MAX,
            recipient: None,
        },
        &[Coin::new(huge, QUOTE)],
        AuctionError::InvalidFunds {
            expected: format!("a positive amount of {QUOTE} that fits in 128 bits"),
            got: got(QUOTE),
        },
    );
    w.refused(
        &mut p,
        &backstop_addr,
        &whale,
        &backstop::ExecuteMsg::Stake {},
        &[Coin::new(huge, QUOTE)],
        BackstopError::InvalidFunds {
            expected: format!("a positive amount of {QUOTE} that fits in 128 bits"),
            got: got(QUOTE),
        },
    );
    assert_eq!((bank(&p, &whale, QUOTE), bank(&p, &whale, ATOM)), before);
}

#[test]
fn zero_coins_never_reach_a_contract() {
    // Attack: a zero-amount coin (to slip past "one coin" checks, or to be counted as a
    // payment). The chain refuses to move it before any contract runs.
    let mut p = world(false);
    let mallory = p.user("mallory");
    let w = watch(&p);
    let targets = [
        (p.market.clone(), br#"{"deposit":{}}"#.to_vec()),
        (
            p.auction.clone(),
            br#"{"bid":{"lot_id":1,"max_collateral":"1","max_price":"100"}}"#.to_vec(),
        ),
        (p.backstop.clone(), br#"{"stake":{}}"#.to_vec()),
        (p.backstop.clone(), br#"{"fund":{}}"#.to_vec()),
        (
            p.oracle.clone(),
            br#"{"observe":{"denoms":["uatom"]}}"#.to_vec(),
        ),
    ];
    for (contract, msg) in targets {
        let raw: serde_json::Value = serde_json::from_slice(&msg).unwrap();
        w.refused(
            &mut p,
            &contract,
            &mallory,
            &raw,
            &[coin(0, QUOTE)],
            "Cannot transfer empty coins amount",
        );
    }
}

#[test]
fn auction_backstop_and_oracle_messages_that_take_no_coins_refuse_any() {
    // Attack: attach coins to a message that takes none, hoping they are credited somewhere (or
    // silently kept by the contract, off its books).
    let mut p = world(false);
    let (mallory, dave, owner) = (p.user("mallory"), p.user("dave"), p.owner.clone());
    let w = watch(&p);
    let (auction_addr, backstop_addr, oracle_addr) =
        (p.auction.clone(), p.backstop.clone(), p.oracle.clone());
    let five = [coin(5, QUOTE)];
    let auction_refusal = AuctionError::InvalidFunds {
        expected: "no funds".into(),
        got: "5uusd".into(),
    };
    let backstop_refusal = BackstopError::InvalidFunds {
        expected: "no funds".into(),
        got: "5uusd".into(),
    };
    let oracle_refusal = ballast_oracle::ContractError::InvalidFunds {
        expected: "no funds".into(),
        got: "5uusd".into(),
    };
    for (sender, msg) in [
        (&mallory, auction::ExecuteMsg::Reset { lot_id: 1 }),
        (
            &mallory,
            auction::ExecuteMsg::ClaimKeeperPay { denoms: None },
        ),
        (&mallory, auction::ExecuteMsg::AcceptOwner {}),
        (
            &owner,
            auction::ExecuteMsg::UpdateParams {
                params: ballast_testing::default_auction_params(),
            },
        ),
        (
            &owner,
            auction::ExecuteMsg::ProposeOwner {
                owner: owner.to_string(),
            },
        ),
    ] {
        w.refused(&mut p, &auction_addr, sender, &msg, &five, &auction_refusal);
    }
    for (sender, msg) in [
        (
            &dave,
            backstop::ExecuteMsg::Unstake {
                amount: Uint128::new(USD),
            },
        ),
        (&dave, backstop::ExecuteMsg::Claim {}),
        (
            &mallory,
            backstop::ExecuteMsg::AdlStep {
                denom: QUOTE.into(),
                limit: 5,
            },
        ),
        (
            &mallory,
            backstop::ExecuteMsg::SellAbsorbed {
                denom: ATOM.into(),
                amount: Uint128::new(1),
                proceeds_denom: None,
            },
        ),
        (&mallory, backstop::ExecuteMsg::AcceptOwner {}),
        (
            &owner,
            backstop::ExecuteMsg::UpdateParams {
                params: ballast_testing::default_backstop_params(),
            },
        ),
    ] {
        w.refused(
            &mut p,
            &backstop_addr,
            sender,
            &msg,
            &five,
            &backstop_refusal,
        );
    }
    for (sender, msg) in [
        (
            &mallory,
            oracle::ExecuteMsg::Observe {
                denoms: vec![ATOM.into()],
            },
        ),
        (
            &owner,
            oracle::ExecuteMsg::RemoveSource { denom: ATOM.into() },
        ),
    ] {
        w.refused(&mut p, &oracle_addr, sender, &msg, &five, &oracle_refusal);
    }
}

#[test]
fn a_stake_with_an_extra_coin_is_refused_whole() {
    // Attack: stake the right coin plus another, hoping the other is kept off the books (or
    // counted as stake).
    let mut p = world(false);
    let mallory = p.user("mallory");
    let backstop_addr = p.backstop.clone();
    watch(&p).refused(
        &mut p,
        &backstop_addr,
        &mallory,
        &backstop::ExecuteMsg::Stake {},
        &[coin(5, ATOM), coin(USD, QUOTE)],
        BackstopError::InvalidFunds {
            expected: format!("a positive amount of {QUOTE} only"),
            got: "5uatom, 1000000uusd".into(),
        },
    );
}

#[test]
fn u128_max_and_u64_max_arguments_are_refused_with_the_values_that_failed() {
    // Attack: the largest amount, limit or id a message can carry, hoping for a wrap.
    let mut p = world(false);
    let (dave, mallory) = (p.user("dave"), p.user("mallory"));
    let w = watch(&p);
    let (auction_addr, backstop_addr, oracle_addr) =
        (p.auction.clone(), p.backstop.clone(), p.oracle.clone());
    w.refused(
        &mut p,
        &backstop_addr,
        &dave,
        &backstop::ExecuteMsg::Unstake {
            amount: Uint128::MAX,
        },
        &[],
        BackstopError::InsufficientShares {
            address: dave.to_string(),
            requested: Uint128::MAX,
            available: Uint128::new(1_000 * USD),
        },
    );
    w.refused(
        &mut p,
        &backstop_addr,
        &mallory,
        &backstop::ExecuteMsg::SellAbsorbed {
            denom: ATOM.into(),
            amount: Uint128::MAX,
            proceeds_denom: None,
        },
        &[],
        BackstopError::InsufficientAbsorbed {
            denom: ATOM.into(),
            requested: Uint128::MAX,
            available: Uint128::zero(),
        },
    );
    w.refused(
        &mut p,
        &backstop_addr,
        &mallory,
        &backstop::ExecuteMsg::AdlStep {
            denom: QUOTE.into(),
            limit: u32::MAX,
        },
        &[],
        BackstopError::InvalidLimit {
            limit: u32::MAX,
            max: 50,
        },
    );
    for msg in [
        auction::ExecuteMsg::Reset { lot_id: u64::MAX },
        auction::ExecuteMsg::Bid {
            lot_id: u64::MAX,
            max_collateral: Uint128::MAX,
            max_price: Decimal256::MAX,
            recipient: None,
        },
    ] {
        let funds = if matches!(msg, auction::ExecuteMsg::Bid { .. }) {
            vec![coin(USD, QUOTE)]
        } else {
            vec![]
        };
        w.refused(
            &mut p,
            &auction_addr,
            &mallory,
            &msg,
            &funds,
            AuctionError::UnknownLot { lot_id: u64::MAX },
        );
    }
    let many: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
    w.refused(
        &mut p,
        &oracle_addr,
        &mallory,
        &oracle::ExecuteMsg::Observe { denoms: many },
        &[],
        ballast_oracle::ContractError::InvalidDenomCount { count: 21, max: 20 },
    );
}

#[test]
fn a_whale_paying_u128_max_pays_exactly_what_is_owed_and_gets_the_rest_back() {
    // Attack: overpay by everything there is (a bid and a repay of u128::MAX), hoping to be
    // credited more than was owed, or to overflow the pool's cash.
    let mut p = world(false);
    let (whale, alice) = (p.user("whale"), p.user("alice"));
    let lot = p.lot(1);
    assert_eq!(lot.tab.amount, Uint256::from(LOT_TAB));
    let r = p
        .bid(
            &whale,
            1,
            u128::MAX,
            Decimal256::MAX,
            coin(u128::MAX, QUOTE),
        )
        .unwrap();
    assert_eq!(attribute(&r, "paid"), Some(format!("{LOT_TAB}{QUOTE}")));
    // ⌊tab / 9.6⌋ collateral for the whole tab
    let bought: u128 = LOT_TAB * 10 / 96;
    assert_eq!(
        attribute(&r, "collateral_bought"),
        Some(format!("{bought}{ATOM}"))
    );
    assert_eq!(bank(&p, &whale, QUOTE), Uint256::from(u128::MAX - LOT_TAB));
    assert_eq!(
        bank(&p, &whale, ATOM),
        Uint256::from(u128::MAX) + Uint256::from(bought)
    );
    // repaying alice's whole debt with u128::MAX: the debt goes, the rest comes back
    let owed = p.owed(&alice, QUOTE).u128();
    let whale_usd = bank(&p, &whale, QUOTE);
    let r = p
        .execute_market(
            &whale,
            &market::ExecuteMsg::Repay {
                on_behalf_of: Some(alice.to_string()),
            },
            &[Coin::new(whale_usd, QUOTE)],
        )
        .unwrap();
    assert_eq!(attribute(&r, "amount"), Some(owed.to_string()));
    assert_eq!(bank(&p, &whale, QUOTE), whale_usd - Uint256::from(owed));
    assert_eq!(p.owed(&alice, QUOTE), Uint128::zero());
    assert_books_balance(&p, QUOTE, Uint128::zero(), 10);
}
