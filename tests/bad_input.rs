//! Every market execute message with bad input: the unauthorized caller, wrong funds (none,
//! extra denoms, zero), unknown denoms, and amounts at the edge of `Uint128`. Each gets a named
//! `ContractError`, and no balance moves.

use ballast_market::ContractError;
use ballast_testing::{Protocol, ProtocolBuilder, ATOM, OSMO, QUOTE};
use ballast_tests::{error_message, Snapshot};
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{self, AssetParams, ExecuteMsg};
use cosmwasm_std::{coin, Addr, Coin, Decimal, Uint128};
use cw_multi_test::Executor;

const UNLISTED: &str = "ufoo";

fn protocol() -> Protocol {
    let mut p = ProtocolBuilder::new()
        .user(
            "whale",
            vec![coin(u128::MAX, OSMO), coin(1_000_000, UNLISTED)],
        )
        .user(
            "mallory",
            vec![
                coin(1_000_000_000, QUOTE),
                coin(1_000_000_000, ATOM),
                coin(1_000_000, UNLISTED),
            ],
        )
        .user(
            "owner",
            vec![coin(1_000_000_000, QUOTE), coin(1_000_000_000, ATOM)],
        )
        .build();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    p.deposit(&bob, coin(10_000_000_000, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000_000_000, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 1_000_000_000u128).unwrap();
    p
}

/// Runs `msg` from `sender` with `funds`, expects it to fail with an error whose message starts
/// with `expected` (the whole message where the values are the point), and checks that no
/// balance of the sender, the market, alice or bob moved.
fn refused<M: serde::Serialize + std::fmt::Debug>(
    p: &mut Protocol,
    sender: &Addr,
    msg: M,
    funds: Vec<Coin>,
    expected: impl ToString,
) {
    let expected = expected.to_string();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    let market = p.market.clone();
    let watched = [sender, &market, &alice, &bob];
    let denoms = [QUOTE, ATOM, OSMO, UNLISTED];
    let before = Snapshot::take(p, &watched, &denoms);
    let positions = (p.position(&alice), p.position(&bob));
    let err = p
        .app
        .execute_contract(sender.clone(), market.clone(), &msg, &funds)
        .expect_err(&format!("{msg:?} should fail"));
    let message = error_message(&err);
    assert!(
        message.starts_with(&expected),
        "{msg:?}: expected {expected:?}, got {message:?}"
    );
    assert_eq!(
        Snapshot::take(p, &watched, &denoms),
        before,
        "{msg:?} moved balances"
    );
    assert_eq!(
        (p.position(&alice), p.position(&bob)),
        positions,
        "{msg:?} changed positions"
    );
}

const INVALID_FUNDS: &str = "invalid funds: expected";
const UNAUTHORIZED: &str = "unauthorized: ";

fn unknown(denom: &str) -> ContractError {
    ContractError::UnknownDenom {
        denom: denom.into(),
    }
}

#[test]
fn deposit_refuses_missing_extra_zero_unknown_and_overflowing_funds() {
    let mut p = protocol();
    let (carol, whale) = (p.user("carol"), p.user("whale"));
    let deposit = || ExecuteMsg::Deposit { on_behalf_of: None };
    refused(&mut p, &carol, deposit(), vec![], INVALID_FUNDS);
    refused(
        &mut p,
        &carol,
        deposit(),
        vec![coin(5, ATOM), coin(5, QUOTE)],
        INVALID_FUNDS,
    );
    refused(
        &mut p,
        &whale,
        deposit(),
        vec![coin(5, UNLISTED)],
        unknown(UNLISTED),
    );
    // with some OSMO supplied, a deposit near u128::MAX overflows the pool's totals
    p.deposit(&carol, coin(1_000_000, OSMO)).unwrap();
    refused(
        &mut p,
        &whale,
        deposit(),
        vec![coin(u128::MAX - 1_000, OSMO)],
        "overflow in add",
    );
    // alone it fits, and then the next unit cannot
    let carol_osmo = p.supplied(&carol, OSMO).u128();
    p.withdraw(&carol, OSMO, Some(carol_osmo)).unwrap();
    p.deposit(&whale, coin(u128::MAX - 1_000, OSMO)).unwrap();
    p.deposit(&carol, coin(1, OSMO)).unwrap();
    refused(
        &mut p,
        &whale,
        deposit(),
        vec![coin(1_000, OSMO)],
        "overflow in add",
    );
    // on behalf of an invalid address
    refused(
        &mut p,
        &carol,
        ExecuteMsg::Deposit {
            on_behalf_of: Some("not an address".into()),
        },
        vec![coin(5, ATOM)],
        "",
    );
}

#[test]
fn deposit_respects_the_supply_cap_and_disabled_assets() {
    let mut p = ProtocolBuilder::new()
        .asset_params(OSMO, |a| a.supply_cap = Uint128::new(1_000))
        .build();
    let carol = p.user("carol");
    p.deposit(&carol, coin(1_000, OSMO)).unwrap();
    refused(
        &mut p,
        &carol,
        ExecuteMsg::Deposit { on_behalf_of: None },
        vec![coin(1, OSMO)],
        ContractError::SupplyCapExceeded {
            denom: OSMO.into(),
            total: Uint128::new(1_001),
            cap: Uint128::new(1_000),
        },
    );
}

#[test]
fn withdraw_refuses_funds_zero_unknown_and_too_much() {
    let mut p = protocol();
    let (alice, bob, carol) = (p.user("alice"), p.user("bob"), p.user("carol"));
    let withdraw = |denom: &str, amount: Option<u128>| ExecuteMsg::Withdraw {
        denom: denom.into(),
        amount: amount.map(Uint128::new),
        recipient: None,
    };
    refused(
        &mut p,
        &bob,
        withdraw(QUOTE, Some(1)),
        vec![coin(1, QUOTE)],
        INVALID_FUNDS,
    );
    refused(
        &mut p,
        &bob,
        withdraw(QUOTE, Some(0)),
        vec![],
        ContractError::ZeroAmount {},
    );
    refused(
        &mut p,
        &bob,
        withdraw(UNLISTED, Some(1)),
        vec![],
        unknown(UNLISTED),
    );
    refused(
        &mut p,
        &carol,
        withdraw(QUOTE, None),
        vec![],
        ContractError::NoSupply {
            account: carol.to_string(),
            denom: QUOTE.into(),
        },
    );
    refused(
        &mut p,
        &bob,
        withdraw(QUOTE, Some(u128::MAX)),
        vec![],
        ContractError::WithdrawExceedsSupply {
            account: bob.to_string(),
            denom: QUOTE.into(),
            requested: Uint128::MAX,
            available: Uint128::new(10_000_000_000),
        },
    );
    refused(
        &mut p,
        &alice,
        withdraw(ATOM, Some(999_000_000)),
        vec![],
        "insufficient collateral",
    );
}

#[test]
fn borrow_refuses_funds_zero_unknown_too_much_disabled_and_dust() {
    let mut p = protocol();
    let alice = p.user("alice");
    let borrow = |denom: &str, amount: u128| ExecuteMsg::Borrow {
        denom: denom.into(),
        amount: Uint128::new(amount),
        recipient: None,
    };
    refused(
        &mut p,
        &alice,
        borrow(QUOTE, 1_000_000),
        vec![coin(1, QUOTE)],
        INVALID_FUNDS,
    );
    refused(
        &mut p,
        &alice,
        borrow(QUOTE, 0),
        vec![],
        ContractError::ZeroAmount {},
    );
    refused(
        &mut p,
        &alice,
        borrow(UNLISTED, 1_000_000),
        vec![],
        unknown(UNLISTED),
    );
    refused(
        &mut p,
        &alice,
        borrow(QUOTE, u128::MAX),
        vec![],
        "insufficient liquidity of uusd: requested 340282366920938463463374607431768211455",
    );
    // a fresh debt below min_debt (1,000,000 units)
    let carol = p.user("carol");
    p.deposit(&carol, coin(1_000_000_000, ATOM)).unwrap();
    refused(
        &mut p,
        &carol,
        borrow(QUOTE, 999_999),
        vec![],
        ContractError::BelowMinDebt {
            denom: QUOTE.into(),
            debt: Uint128::new(999_999),
            min_debt: Uint128::new(1_000_000),
        },
    );
}

#[test]
fn repay_refuses_missing_extra_zero_unknown_and_unowed_funds() {
    let mut p = protocol();
    let (alice, bob) = (p.user("alice"), p.user("bob"));
    let repay = || ExecuteMsg::Repay { on_behalf_of: None };
    refused(&mut p, &alice, repay(), vec![], INVALID_FUNDS);
    refused(
        &mut p,
        &alice,
        repay(),
        vec![coin(1, QUOTE), coin(1, ATOM)],
        INVALID_FUNDS,
    );
    let mallory = p.user("mallory");
    refused(
        &mut p,
        &mallory,
        repay(),
        vec![coin(1, UNLISTED)],
        unknown(UNLISTED),
    );
    refused(
        &mut p,
        &bob,
        repay(),
        vec![coin(5, QUOTE)],
        ContractError::NoDebt {
            account: bob.to_string(),
            denom: QUOTE.into(),
        },
    );
    refused(
        &mut p,
        &alice,
        repay(),
        vec![coin(5, ATOM)],
        ContractError::NoDebt {
            account: alice.to_string(),
            denom: ATOM.into(),
        },
    );
}

#[test]
fn set_collateral_refuses_funds_unknown_denoms_and_missing_supply() {
    let mut p = protocol();
    let (alice, carol) = (p.user("alice"), p.user("carol"));
    let set = |denom: &str, enable: bool| ExecuteMsg::SetCollateral {
        denom: denom.into(),
        enable,
    };
    refused(
        &mut p,
        &alice,
        set(ATOM, true),
        vec![coin(1, ATOM)],
        INVALID_FUNDS,
    );
    refused(
        &mut p,
        &alice,
        set(UNLISTED, true),
        vec![],
        unknown(UNLISTED),
    );
    refused(
        &mut p,
        &carol,
        set(ATOM, true),
        vec![],
        ContractError::NoSupply {
            account: carol.to_string(),
            denom: ATOM.into(),
        },
    );
}

#[test]
fn liquidate_refuses_funds_healthy_accounts_self_and_bad_addresses() {
    let mut p = protocol();
    let (alice, keeper) = (p.user("alice"), p.user("keeper"));
    let liquidate = |who: &Addr| ExecuteMsg::Liquidate {
        borrower: who.to_string(),
    };
    refused(
        &mut p,
        &keeper,
        liquidate(&alice),
        vec![coin(1, QUOTE)],
        INVALID_FUNDS,
    );
    refused(
        &mut p,
        &keeper,
        liquidate(&alice),
        vec![],
        ContractError::NotLiquidatable {
            account: alice.to_string(),
            health_factor: "8".into(),
        },
    );
    refused(
        &mut p,
        &alice,
        liquidate(&alice),
        vec![],
        ContractError::SelfLiquidation {},
    );
    let carol = p.user("carol");
    refused(
        &mut p,
        &keeper,
        liquidate(&carol),
        vec![],
        ContractError::NotLiquidatable {
            account: carol.to_string(),
            health_factor: "none (no debt)".into(),
        },
    );
    refused(
        &mut p,
        &keeper,
        ExecuteMsg::Liquidate {
            borrower: "nope".into(),
        },
        vec![],
        "",
    );
}

#[test]
fn liquidate_waits_for_the_auction_and_backstop_to_be_configured() {
    let mut p = ProtocolBuilder::new().without_liquidations().build();
    let (alice, bob, keeper) = (p.user("alice"), p.user("bob"), p.user("keeper"));
    p.deposit(&bob, coin(10_000_000_000, QUOTE)).unwrap();
    p.deposit(&alice, coin(1_000_000_000, ATOM)).unwrap();
    p.borrow(&alice, QUOTE, 5_000_000_000u128).unwrap();
    p.set_price(ATOM, "5".parse().unwrap());
    assert!(p.position(&alice).liquidatable);
    refused(
        &mut p,
        &keeper,
        ExecuteMsg::Liquidate {
            borrower: alice.to_string(),
        },
        vec![],
        ContractError::AuctionNotConfigured {},
    );
}

#[test]
fn messages_for_the_auction_and_backstop_refuse_everyone_else() {
    let mut p = protocol();
    let (alice, mallory) = (p.user("alice"), p.user("mallory"));
    let owner = p.owner.clone();
    for sender in [&mallory, &owner] {
        refused(
            &mut p,
            sender,
            ExecuteMsg::RepayFromAuction {
                borrower: alice.to_string(),
                lot_id: 1,
                close: false,
                penalty_collected: Uint128::zero(),
            },
            vec![coin(1, QUOTE)],
            UNAUTHORIZED,
        );
        refused(
            &mut p,
            sender,
            ExecuteMsg::ReturnCollateral {
                borrower: alice.to_string(),
                lot_id: 1,
                penalty_collected: Uint128::zero(),
            },
            vec![coin(1, ATOM)],
            UNAUTHORIZED,
        );
        refused(
            &mut p,
            sender,
            ExecuteMsg::ApplyCover {
                denom: QUOTE.into(),
                borrower: alice.to_string(),
                lot_id: None,
            },
            vec![coin(1, QUOTE)],
            UNAUTHORIZED,
        );
        refused(
            &mut p,
            sender,
            ExecuteMsg::RunAdl {
                denom: QUOTE.into(),
                limit: 5,
            },
            vec![],
            UNAUTHORIZED,
        );
        refused(
            &mut p,
            sender,
            ExecuteMsg::TripBreaker {
                level: CircuitLevel::NoBorrows,
                until: u64::MAX,
            },
            vec![],
            UNAUTHORIZED,
        );
    }
}

fn params() -> AssetParams {
    ballast_testing::default_asset_params()
}

#[test]
fn owner_messages_refuse_everyone_else_and_invalid_values() {
    let mut p = protocol();
    let (mallory, guardian, owner) = (p.user("mallory"), p.guardian.clone(), p.owner.clone());
    refused(
        &mut p,
        &mallory,
        ExecuteMsg::InitAsset {
            denom: "unew".into(),
            params: params(),
        },
        vec![],
        UNAUTHORIZED,
    );
    refused(
        &mut p,
        &owner,
        ExecuteMsg::InitAsset {
            denom: "unew".into(),
            params: params(),
        },
        vec![coin(1, QUOTE)],
        INVALID_FUNDS,
    );
    refused(
        &mut p,
        &owner,
        ExecuteMsg::InitAsset {
            denom: ATOM.into(),
            params: params(),
        },
        vec![],
        ContractError::AssetExists { denom: ATOM.into() },
    );
    let bad = AssetParams {
        max_ltv: Decimal::percent(90),
        ..params()
    };
    refused(
        &mut p,
        &owner,
        ExecuteMsg::InitAsset {
            denom: "unew".into(),
            params: bad.clone(),
        },
        vec![],
        "invalid parameters for unew: max_ltv 0.9 must not exceed liquidation_threshold 0.8",
    );
    refused(
        &mut p,
        &mallory,
        ExecuteMsg::UpdateAssetParams {
            denom: ATOM.into(),
            params: params(),
        },
        vec![],
        UNAUTHORIZED,
    );
    refused(
        &mut p,
        &owner,
        ExecuteMsg::UpdateAssetParams {
            denom: UNLISTED.into(),
            params: params(),
        },
        vec![],
        unknown(UNLISTED),
    );
    refused(
        &mut p,
        &owner,
        ExecuteMsg::UpdateAssetParams {
            denom: ATOM.into(),
            params: bad,
        },
        vec![],
        "invalid parameters for uatom: max_ltv 0.9",
    );
    refused(
        &mut p,
        &mallory,
        ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::NoBorrows,
        },
        vec![],
        UNAUTHORIZED,
    );
    // a level past the halt is not a level: the message does not parse
    refused(
        &mut p,
        &guardian,
        serde_json::json!({ "set_circuit_level": { "level": 4 } }),
        vec![],
        "expected value at line 1 column 31",
    );
    let config = |target_hf: Option<Decimal>, grace_period: Option<u64>| ExecuteMsg::UpdateConfig {
        guardian: None,
        oracle: None,
        auction: None,
        backstop: None,
        target_hf,
        full_liquidation_hf: None,
        ramp_duration: None,
        grace_period,
        dust_value: None,
    };
    refused(&mut p, &mallory, config(None, None), vec![], UNAUTHORIZED);
    refused(
        &mut p,
        &owner,
        config(Some(Decimal::one()), None),
        vec![],
        "invalid config: target_hf must be in (1, 2], got 1",
    );
    refused(
        &mut p,
        &owner,
        config(None, Some(4 * 3600 + 1)),
        vec![],
        "invalid config: grace_period must be at most 14400 s, got 14401",
    );
    refused(
        &mut p,
        &mallory,
        ExecuteMsg::ProposeOwner {
            owner: mallory.to_string(),
        },
        vec![],
        UNAUTHORIZED,
    );
    refused(
        &mut p,
        &mallory,
        ExecuteMsg::AcceptOwner {},
        vec![],
        ContractError::NoPendingOwner {},
    );
    p.execute_market(
        &owner,
        &ExecuteMsg::ProposeOwner {
            owner: guardian.to_string(),
        },
        &[],
    )
    .unwrap();
    refused(
        &mut p,
        &mallory,
        ExecuteMsg::AcceptOwner {},
        vec![],
        UNAUTHORIZED,
    );
    p.execute_market(&guardian, &ExecuteMsg::AcceptOwner {}, &[])
        .unwrap();
    let config: market::Config = p.query(&p.market, &market::QueryMsg::Config {}).unwrap();
    assert_eq!(config.owner, guardian);
    assert_eq!(config.pending_owner, None);
}

#[test]
fn poke_and_claim_reserves_refuse_funds_and_unknown_denoms() {
    let mut p = protocol();
    let (alice, keeper) = (p.user("alice"), p.user("keeper"));
    refused(
        &mut p,
        &keeper,
        ExecuteMsg::Poke {
            account: alice.to_string(),
        },
        vec![coin(1, QUOTE)],
        INVALID_FUNDS,
    );
    refused(
        &mut p,
        &keeper,
        ExecuteMsg::ClaimReserves { denoms: None },
        vec![coin(1, QUOTE)],
        INVALID_FUNDS,
    );
    refused(
        &mut p,
        &keeper,
        ExecuteMsg::ClaimReserves {
            denoms: Some(vec![UNLISTED.into()]),
        },
        vec![],
        unknown(UNLISTED),
    );
}
