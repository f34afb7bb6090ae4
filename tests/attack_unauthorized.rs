//! Attack: calling what only someone else may call. Every restricted message of the four
//! contracts, sent by everyone who must not send it: a user, the owner (for messages only a
//! sibling contract may send), the guardian, the pending owner before it accepts, the old owner
//! after a transfer, and the wrong sibling contract (the market calling what only the auction
//! may call, and so on). Each is refused with its exact `Unauthorized` error and moves no coin
//! and no book.
//!
//! Roles (docs/SECURITY.md): the owner configures; the guardian only raises circuit levels; the
//! market alone starts auctions and reports shortfalls; the auction alone reports bids, closes
//! lots, hands over failed lots and asks for keeper pay; the backstop alone applies cover, runs
//! ADL steps, trips the automatic breaker and starts sales.

use ballast_testing::{Protocol, ProtocolBuilder, ATOM, OSMO, QUOTE};
use ballast_tests::{alice_in_auction, d, holders, Watch, ATOM_UNIT, USD};
use ballast_types::auction::{self, AuctionParams};
use ballast_types::backstop::{self, BackstopParams};
use ballast_types::circuit::CircuitLevel;
use ballast_types::market::{self, AssetParams};
use ballast_types::oracle::{self, PriceSource};
use cosmwasm_std::{coin, Addr, Coin, Decimal, Decimal256, Uint128};
use cw_multi_test::Executor;
use serde::Serialize;

const USERS: [&str; 7] = ["alice", "bob", "carol", "dave", "keeper", "mallory", "erin"];

/// `alice_in_auction` (lot 1 in auction), with mallory and erin to try their luck.
fn world() -> Protocol {
    alice_in_auction(
        ProtocolBuilder::new()
            .user(
                "mallory",
                vec![coin(1_000_000 * USD, QUOTE), coin(1_000 * ATOM_UNIT, ATOM)],
            )
            .user("erin", vec![coin(1_000 * USD, QUOTE)]),
    )
}

fn watch(p: &Protocol) -> Watch {
    Watch::new(holders(p, &USERS), &[QUOTE, ATOM, OSMO])
}

/// The four contracts, each with its own error type (all four word `Unauthorized` alike, but
/// the expected messages are built from each contract's own type).
#[derive(Clone, Copy, Debug)]
enum Contract {
    Market,
    Oracle,
    Auction,
    Backstop,
}

impl Contract {
    fn addr(self, p: &Protocol) -> Addr {
        match self {
            Contract::Market => p.market.clone(),
            Contract::Oracle => p.oracle.clone(),
            Contract::Auction => p.auction.clone(),
            Contract::Backstop => p.backstop.clone(),
        }
    }

    fn unauthorized(self, sender: &Addr, action: &str) -> String {
        let (sender, action) = (sender.to_string(), action.to_string());
        match self {
            Contract::Market => {
                ballast_market::ContractError::Unauthorized { sender, action }.to_string()
            }
            Contract::Oracle => {
                ballast_oracle::ContractError::Unauthorized { sender, action }.to_string()
            }
            Contract::Auction => {
                ballast_auction::ContractError::Unauthorized { sender, action }.to_string()
            }
            Contract::Backstop => {
                ballast_backstop::ContractError::Unauthorized { sender, action }.to_string()
            }
        }
    }

    fn no_pending_owner(self) -> String {
        match self {
            Contract::Market => ballast_market::ContractError::NoPendingOwner {}.to_string(),
            Contract::Oracle => ballast_oracle::ContractError::NoPendingOwner {}.to_string(),
            Contract::Auction => ballast_auction::ContractError::NoPendingOwner {}.to_string(),
            Contract::Backstop => ballast_backstop::ContractError::NoPendingOwner {}.to_string(),
        }
    }
}

/// `msg` on `contract` from each of `senders` is refused as `action` they may not take.
fn refused_to_all<M: Serialize + std::fmt::Debug>(
    p: &mut Protocol,
    contract: Contract,
    msg: &M,
    funds: &[Coin],
    senders: &[Addr],
    action: &str,
) {
    let w = watch(p);
    let addr = contract.addr(p);
    for sender in senders {
        w.refused(
            p,
            &addr,
            sender,
            msg,
            funds,
            contract.unauthorized(sender, action),
        );
    }
}

#[test]
fn sibling_only_messages_refuse_users_the_owner_the_guardian_and_the_wrong_sibling() {
    // Attack: impersonate a sibling contract to report fake proceeds, close a lot, apply fake
    // cover, run ADL, trip the breaker, start an auction or a sale, report a shortfall, hand
    // over a lot or draw keeper pay.
    let mut p = world();
    let (alice, mallory) = (p.user("alice"), p.user("mallory"));
    let (owner, guardian) = (p.owner.clone(), p.guardian.clone());
    let (market, oracle, auction, backstop) = (
        p.market.clone(),
        p.oracle.clone(),
        p.auction.clone(),
        p.backstop.clone(),
    );
    let not = |allowed: &Addr| -> Vec<Addr> {
        [
            &mallory, &owner, &guardian, &market, &oracle, &auction, &backstop,
        ]
        .into_iter()
        .filter(|a| *a != allowed)
        .cloned()
        .collect()
    };

    // the market's auction-only and backstop-only messages
    let repay = market::ExecuteMsg::RepayFromAuction {
        borrower: alice.to_string(),
        lot_id: 1,
        close: true,
        penalty_collected: Uint128::zero(),
    };
    refused_to_all(
        &mut p,
        Contract::Market,
        &repay,
        &[],
        &not(&auction),
        "report auction proceeds",
    );
    let close = market::ExecuteMsg::ReturnCollateral {
        borrower: alice.to_string(),
        lot_id: 1,
        penalty_collected: Uint128::zero(),
    };
    refused_to_all(
        &mut p,
        Contract::Market,
        &close,
        &[],
        &not(&auction),
        "report auction proceeds",
    );
    let cover = market::ExecuteMsg::ApplyCover {
        denom: QUOTE.into(),
        borrower: alice.to_string(),
        lot_id: Some(1),
    };
    refused_to_all(
        &mut p,
        Contract::Market,
        &cover,
        &[],
        &not(&backstop),
        "apply cover",
    );
    let adl = market::ExecuteMsg::RunAdl {
        denom: QUOTE.into(),
        limit: 50,
    };
    refused_to_all(
        &mut p,
        Contract::Market,
        &adl,
        &[],
        &not(&backstop),
        "run an ADL step",
    );
    let trip = market::ExecuteMsg::TripBreaker {
        level: CircuitLevel::NoCollateralWithdrawals,
        until: u64::MAX,
    };
    refused_to_all(
        &mut p,
        Contract::Market,
        &trip,
        &[],
        &not(&backstop),
        "trip the automatic breaker",
    );

    // the auction's market-only and backstop-only messages
    let start = auction::ExecuteMsg::StartAuction {
        borrower: alice.to_string(),
        debt_denom: QUOTE.into(),
        debt: Uint128::new(USD),
        keeper: mallory.to_string(),
        lot_id: 2,
        penalty: Uint128::zero(),
        price: d("1000"),
        debt_price: Decimal256::one(),
        min_debt: Uint128::zero(),
    };
    refused_to_all(
        &mut p,
        Contract::Auction,
        &start,
        &[],
        &not(&market),
        "start auctions",
    );
    let sale = auction::ExecuteMsg::StartSale {
        proceeds_denom: QUOTE.into(),
    };
    refused_to_all(
        &mut p,
        Contract::Auction,
        &sale,
        &[],
        &not(&backstop),
        "start sales",
    );

    // the backstop's market-only and auction-only messages
    let shortfall = backstop::ExecuteMsg::CoverShortfall {
        denom: QUOTE.into(),
        amount: Uint128::new(1_000 * USD),
        borrower: alice.to_string(),
        collateral: vec![],
        penalty_collected: Uint128::new(1_000 * USD),
    };
    refused_to_all(
        &mut p,
        Contract::Backstop,
        &shortfall,
        &[],
        &not(&market),
        "report shortfalls",
    );
    let absorb = backstop::ExecuteMsg::AbsorbLot { lot_id: 1 };
    refused_to_all(
        &mut p,
        Contract::Backstop,
        &absorb,
        &[],
        &not(&auction),
        "hand over failed lots",
    );
    let pay = backstop::ExecuteMsg::PayKeeper {
        keeper: mallory.to_string(),
        amount: coin(10_000 * USD, QUOTE),
    };
    refused_to_all(
        &mut p,
        Contract::Backstop,
        &pay,
        &[],
        &not(&auction),
        "pay keepers",
    );
}

#[test]
fn sibling_only_messages_refuse_impostors_even_when_they_bring_the_coins() {
    // Attack: mallory sends the very coins a sibling would (debt for a lot, collateral for a
    // failed lot, a lot's collateral for an auction) hoping a funds check runs before the
    // caller check.
    let mut p = world();
    let (alice, mallory) = (p.user("alice"), p.user("mallory"));
    refused_to_all(
        &mut p,
        Contract::Market,
        &market::ExecuteMsg::RepayFromAuction {
            borrower: alice.to_string(),
            lot_id: 1,
            close: true,
            penalty_collected: Uint128::zero(),
        },
        &[coin(USD, QUOTE), coin(ATOM_UNIT, ATOM)],
        std::slice::from_ref(&mallory),
        "report auction proceeds",
    );
    refused_to_all(
        &mut p,
        Contract::Auction,
        &auction::ExecuteMsg::StartAuction {
            borrower: mallory.to_string(),
            debt_denom: QUOTE.into(),
            debt: Uint128::new(USD),
            keeper: mallory.to_string(),
            lot_id: 2,
            penalty: Uint128::zero(),
            price: d("0.000001"),
            debt_price: Decimal256::one(),
            min_debt: Uint128::zero(),
        },
        &[coin(ATOM_UNIT, ATOM)],
        std::slice::from_ref(&mallory),
        "start auctions",
    );
    refused_to_all(
        &mut p,
        Contract::Backstop,
        &backstop::ExecuteMsg::CoverShortfall {
            denom: QUOTE.into(),
            amount: Uint128::new(USD),
            borrower: mallory.to_string(),
            collateral: vec![coin(ATOM_UNIT, ATOM)],
            penalty_collected: Uint128::zero(),
        },
        &[coin(ATOM_UNIT, ATOM)],
        std::slice::from_ref(&mallory),
        "report shortfalls",
    );
    refused_to_all(
        &mut p,
        Contract::Backstop,
        &backstop::ExecuteMsg::AbsorbLot { lot_id: 1 },
        &[coin(ATOM_UNIT, ATOM)],
        std::slice::from_ref(&mallory),
        "hand over failed lots",
    );
    refused_to_all(
        &mut p,
        Contract::Market,
        &market::ExecuteMsg::ApplyCover {
            denom: QUOTE.into(),
            borrower: alice.to_string(),
            lot_id: None,
        },
        &[coin(USD, QUOTE)],
        &[mallory],
        "apply cover",
    );
}

/// Every owner-only message of the four contracts, with the action its refusal names.
fn owner_messages(to: &Addr) -> Vec<(Contract, Raw, &'static str)> {
    let params: AssetParams = ballast_testing::default_asset_params();
    let auction_params: AuctionParams = ballast_testing::default_auction_params();
    let backstop_params: BackstopParams = ballast_testing::default_backstop_params();
    vec![
        (
            Contract::Market,
            raw(&market::ExecuteMsg::InitAsset {
                denom: "unew".into(),
                params: params.clone(),
            }),
            "list assets",
        ),
        (
            Contract::Market,
            raw(&market::ExecuteMsg::UpdateAssetParams {
                denom: ATOM.into(),
                params: AssetParams {
                    liquidation_threshold: Decimal::percent(10),
                    max_ltv: Decimal::percent(5),
                    ..params
                },
            }),
            "update asset parameters",
        ),
        (
            Contract::Market,
            raw(&market::ExecuteMsg::UpdateConfig {
                guardian: Some(to.to_string()),
                oracle: Some(to.to_string()),
                auction: Some(to.to_string()),
                backstop: Some(to.to_string()),
                target_hf: None,
                full_liquidation_hf: None,
                ramp_duration: None,
                grace_period: None,
                dust_value: None,
            }),
            "update the config",
        ),
        (
            Contract::Market,
            raw(&market::ExecuteMsg::ProposeOwner {
                owner: to.to_string(),
            }),
            "propose an owner",
        ),
        (
            Contract::Oracle,
            raw(&oracle::ExecuteMsg::SetSource {
                denom: ATOM.into(),
                source: PriceSource::Fixed {
                    price: Decimal256::MAX,
                },
            }),
            "set price sources",
        ),
        (
            Contract::Oracle,
            raw(&oracle::ExecuteMsg::RemoveSource { denom: ATOM.into() }),
            "remove price sources",
        ),
        (
            Contract::Oracle,
            raw(&oracle::ExecuteMsg::UpdateCircuitParams {
                denom: ATOM.into(),
                max_move: Decimal::permille(1),
                move_window: 3600,
                cooldown: 604_800,
            }),
            "configure circuits",
        ),
        (
            Contract::Oracle,
            raw(&oracle::ExecuteMsg::ProposeOwner {
                owner: to.to_string(),
            }),
            "propose an owner",
        ),
        (
            Contract::Auction,
            raw(&auction::ExecuteMsg::UpdateParams {
                params: AuctionParams {
                    max_in_auction: Uint128::zero(),
                    ..auction_params
                },
            }),
            "update parameters",
        ),
        (
            Contract::Auction,
            raw(&auction::ExecuteMsg::ProposeOwner {
                owner: to.to_string(),
            }),
            "propose an owner",
        ),
        (
            Contract::Backstop,
            raw(&backstop::ExecuteMsg::UpdateParams {
                params: BackstopParams {
                    max_cover_per_event: Decimal::one(),
                    ..backstop_params
                },
            }),
            "update parameters",
        ),
        (
            Contract::Backstop,
            raw(&backstop::ExecuteMsg::ProposeOwner {
                owner: to.to_string(),
            }),
            "propose an owner",
        ),
    ]
}

/// A raw JSON message, so that the owner messages of all four contracts go through one helper.
#[derive(Debug)]
struct Raw(Vec<u8>);

fn raw(msg: &impl Serialize) -> Raw {
    Raw(serde_json::to_vec(msg).expect("message serialises"))
}

impl Serialize for Raw {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value = serde_json::from_slice(&self.0).expect("json");
        value.serialize(s)
    }
}

#[test]
fn owner_messages_refuse_users_the_guardian_and_the_contracts_in_all_four_contracts() {
    // Attack: reconfigure the protocol (list an asset, crash a threshold, rewire the registry to
    // oneself, replace a price source, close the caps, drain the cover limit, take ownership)
    // from anyone but the owner.
    let mut p = world();
    let mallory = p.user("mallory");
    let senders = vec![
        mallory.clone(),
        p.guardian.clone(),
        p.market.clone(),
        p.oracle.clone(),
        p.auction.clone(),
        p.backstop.clone(),
    ];
    for (contract, msg, action) in owner_messages(&mallory) {
        refused_to_all(&mut p, contract, &msg, &[], &senders, action);
    }
}

#[test]
fn the_guardian_raises_circuit_levels_and_nothing_else() {
    // Attack: a compromised guardian lowers a halt, or raises it past the halt; a user raises it.
    let mut p = world();
    let (mallory, guardian, owner) = (p.user("mallory"), p.guardian.clone(), p.owner.clone());
    let w = watch(&p);
    let market = p.market.clone();
    w.refused(
        &mut p,
        &market,
        &mallory,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::Halt,
        },
        &[],
        Contract::Market.unauthorized(&mallory, "raise the circuit level"),
    );
    p.execute_market(
        &guardian,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::Halt,
        },
        &[],
    )
    .unwrap();
    let w = watch(&p);
    w.refused(
        &mut p,
        &market,
        &guardian,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::Normal,
        },
        &[],
        Contract::Market.unauthorized(&guardian, "lower the circuit level"),
    );
    // a level past the halt is not a level: the message does not parse
    w.refused(
        &mut p,
        &market,
        &guardian,
        &serde_json::json!({ "set_circuit_level": { "level": 4 } }),
        &[],
        "expected value at line 1 column 31",
    );
    // the level stays at the halt until the owner lowers it
    let level: market::CircuitLevelResponse = p
        .query(&p.market, &market::QueryMsg::CircuitLevel {})
        .unwrap();
    assert_eq!(level.level, CircuitLevel::Halt);
    p.execute_market(
        &owner,
        &market::ExecuteMsg::SetCircuitLevel {
            level: CircuitLevel::Normal,
        },
        &[],
    )
    .unwrap();
}

#[test]
fn ownership_moves_only_by_proposal_and_acceptance_in_every_contract() {
    // Attack: take ownership without a proposal, accept someone else's proposal, act as owner
    // before accepting, and act as the old owner after the transfer.
    let mut p = world();
    let (mallory, erin, owner) = (p.user("mallory"), p.user("erin"), p.owner.clone());
    for contract in [
        Contract::Market,
        Contract::Oracle,
        Contract::Auction,
        Contract::Backstop,
    ] {
        let addr = contract.addr(&p);
        let accept = Raw(br#"{"accept_owner":{}}"#.to_vec());
        let propose =
            |to: &Addr| Raw(format!(r#"{{"propose_owner":{{"owner":"{to}"}}}}"#).into_bytes());
        let w = watch(&p);
        // nothing pending: no one can accept
        w.refused(
            &mut p,
            &addr,
            &mallory,
            &accept,
            &[],
            contract.no_pending_owner(),
        );
        p.app
            .execute_contract(owner.clone(), addr.clone(), &propose(&erin), &[])
            .unwrap();
        let w = watch(&p);
        // only the proposed address accepts
        w.refused(
            &mut p,
            &addr,
            &mallory,
            &accept,
            &[],
            contract.unauthorized(&mallory, "accept ownership"),
        );
        w.refused(
            &mut p,
            &addr,
            &owner,
            &accept,
            &[],
            contract.unauthorized(&owner, "accept ownership"),
        );
        // and before it accepts, it is nobody
        w.refused(
            &mut p,
            &addr,
            &erin,
            &propose(&mallory),
            &[],
            contract.unauthorized(&erin, "propose an owner"),
        );
        p.app
            .execute_contract(erin.clone(), addr.clone(), &accept, &[])
            .unwrap();
        // the old owner is nobody now
        let w = watch(&p);
        w.refused(
            &mut p,
            &addr,
            &owner,
            &propose(&owner),
            &[],
            contract.unauthorized(&owner, "propose an owner"),
        );
        // the new owner hands it back, in two steps
        p.app
            .execute_contract(erin.clone(), addr.clone(), &propose(&owner), &[])
            .unwrap();
        p.app
            .execute_contract(owner.clone(), addr.clone(), &accept, &[])
            .unwrap();
    }
}

#[test]
fn only_the_owner_sells_absorbed_collateral_while_its_oracle_circuit_is_open() {
    // Attack: dump the fund's absorbed ATOM into a crash (anyone may sell it, but not while
    // ATOM's oracle circuit is open).
    let mut p = ProtocolBuilder::new()
        .user("mallory", vec![coin(1_000 * USD, QUOTE)])
        .build();
    let (bob, carol, keeper, mallory) = (
        p.user("bob"),
        p.user("carol"),
        p.user("keeper"),
        p.user("mallory"),
    );
    let owner = p.owner.clone();
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.fund(&bob, coin(20_000 * USD, QUOTE)).unwrap();
    p.deposit(&carol, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.set_circuit(ATOM, Decimal::percent(20), 3600, 3600)
        .unwrap();
    p.observe(&keeper, &[ATOM]).unwrap();
    // ATOM collapses: carol's collateral is dust, the fund pays her 6,000 and keeps her ATOM
    p.set_price(ATOM, d("0.0009"));
    p.liquidate(&keeper, &carol).unwrap();
    let sell = backstop::ExecuteMsg::SellAbsorbed {
        denom: ATOM.into(),
        amount: Uint128::new(1_000 * ATOM_UNIT),
        proceeds_denom: None,
    };
    let w = Watch::new(holders(&p, &["bob", "carol", "mallory"]), &[QUOTE, ATOM]);
    let backstop_addr = p.backstop.clone();
    w.refused(
        &mut p,
        &backstop_addr,
        &mallory,
        &sell,
        &[],
        ballast_backstop::ContractError::SaleBlocked { denom: ATOM.into() },
    );
    p.execute_backstop(&owner, &sell, &[]).unwrap();
    assert_eq!(p.balance(&p.auction, ATOM), Uint128::new(1_000 * ATOM_UNIT));
}

#[test]
fn only_the_owner_sells_absorbed_collateral_while_the_market_is_stressed() {
    // Attack: a loss drew the fund down by half, which raised circuit level 1 (no new borrows:
    // the market is stressed); mallory forces the fund's freshly absorbed ATOM onto the market
    // anyway. Anyone may sell it only once the level is back to 0; the owner may at any time.
    let mut p = ProtocolBuilder::new()
        .user("mallory", vec![coin(1_000 * USD, QUOTE)])
        .build();
    let (bob, carol, keeper, mallory) = (
        p.user("bob"),
        p.user("carol"),
        p.user("keeper"),
        p.user("mallory"),
    );
    p.deposit(&bob, coin(100_000 * USD, QUOTE)).unwrap();
    p.fund(&bob, coin(10_000 * USD, QUOTE)).unwrap();
    p.deposit(&carol, coin(1_000 * ATOM_UNIT, ATOM)).unwrap();
    p.borrow(&carol, QUOTE, 6_000 * USD).unwrap();
    p.set_price(ATOM, d("0.0009"));
    let r = p.liquidate(&keeper, &carol).unwrap();
    assert_eq!(
        ballast_testing::attribute(&r, "drawdown_breaker").as_deref(),
        Some("true")
    );
    let absorbed: backstop::AbsorbedResponse = p
        .query(&p.backstop, &backstop::QueryMsg::Absorbed {})
        .unwrap();
    let atom = Uint128::try_from(absorbed.collateral[0].amount).unwrap();
    let sell = |amount: Uint128| backstop::ExecuteMsg::SellAbsorbed {
        denom: ATOM.into(),
        amount,
        proceeds_denom: None,
    };
    let w = Watch::new(holders(&p, &["bob", "carol", "mallory"]), &[QUOTE, ATOM]);
    let backstop_addr = p.backstop.clone();
    w.refused(
        &mut p,
        &backstop_addr,
        &mallory,
        &sell(atom),
        &[],
        ballast_backstop::ContractError::MarketStressed {
            level: CircuitLevel::NoBorrows,
        },
    );
    // the owner may, stressed or not
    let owner = p.owner.clone();
    p.execute_backstop(&owner, &sell(Uint128::new(ATOM_UNIT)), &[])
        .unwrap();
    // once the automatic level lapses, anyone may sell the rest
    p.advance(86_401);
    p.execute_backstop(&mallory, &sell(atom - Uint128::new(ATOM_UNIT)), &[])
        .unwrap();
}
