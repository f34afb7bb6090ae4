//! The auction alone on a cw-multi-test chain. Its siblings are stubs: one contract that holds
//! whatever raw storage a test gives it (the market's config, the oracle's sources) and records
//! every message it receives with its funds, so each test sees exactly what the auction sent
//! where. The whole-protocol flows are in `tests/auction_flow.rs`.

use std::str::FromStr;

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    coin, to_json_binary, Addr, Binary, Coin, Decimal, Decimal256, Deps, DepsMut, Env, MessageInfo,
    Response, StdError, StdResult, Uint128,
};
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use cw_storage_plus::Item;

use ballast_auction::error::ContractError;
use ballast_types::auction::{
    self, AuctionParams, ConfigResponse, Curve, ExecuteMsg, InAuctionResponse, LotKind,
    LotResponse, LotStatus, LotsResponse, QueryMsg,
};
use ballast_types::market;
use ballast_types::oracle::{self, PriceSource};

const ATOM: &str = "uatom";
const USD: &str = "uusd";
const OSMO: &str = "uosmo";

// ---------------------------------------------------------------------------------------------
// The stub sibling
// ---------------------------------------------------------------------------------------------

mod stub {
    use super::*;

    #[cw_serde]
    pub struct InitMsg {
        pub entries: Vec<(Binary, Binary)>,
    }

    #[cw_serde]
    pub enum ExecMsg {
        SetRaw {
            key: Binary,
            value: Binary,
        },
        SetFail {
            fail: bool,
        },
        PayKeeper {
            keeper: String,
            amount: Coin,
        },
        AbsorbLot {
            lot_id: u64,
        },
        RepayFromAuction {
            borrower: String,
            lot_id: u64,
            close: bool,
            penalty_collected: Uint128,
        },
        ReturnCollateral {
            borrower: String,
            lot_id: u64,
            penalty_collected: Uint128,
        },
    }

    #[cw_serde]
    pub enum QueryMsg {
        Calls {},
    }

    #[cw_serde]
    pub struct Call {
        pub sender: String,
        pub msg: ExecMsg,
        pub funds: Vec<Coin>,
    }

    const CALLS: Item<Vec<Call>> = Item::new("stub_calls");
    const FAIL: Item<bool> = Item::new("stub_fail");

    pub fn instantiate(
        deps: DepsMut,
        _env: Env,
        _info: MessageInfo,
        msg: InitMsg,
    ) -> StdResult<Response> {
        for (key, value) in msg.entries {
            deps.storage.set(&key, &value);
        }
        Ok(Response::new())
    }

    pub fn execute(
        deps: DepsMut,
        _env: Env,
        info: MessageInfo,
        msg: ExecMsg,
    ) -> StdResult<Response> {
        match &msg {
            ExecMsg::SetRaw { key, value } => {
                deps.storage.set(key, value);
                return Ok(Response::new());
            }
            ExecMsg::SetFail { fail } => {
                FAIL.save(deps.storage, fail)?;
                return Ok(Response::new());
            }
            ExecMsg::PayKeeper { .. } if FAIL.may_load(deps.storage)?.unwrap_or(false) => {
                return Err(StdError::msg("the fund is broke"));
            }
            _ => {}
        }
        let mut calls = CALLS.may_load(deps.storage)?.unwrap_or_default();
        calls.push(Call {
            sender: info.sender.to_string(),
            msg,
            funds: info.funds,
        });
        CALLS.save(deps.storage, &calls)?;
        Ok(Response::new())
    }

    pub fn query(deps: Deps, _env: Env, _msg: QueryMsg) -> StdResult<Binary> {
        to_json_binary(&CALLS.may_load(deps.storage)?.unwrap_or_default())
    }
}

// ---------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------

fn d(s: &str) -> Decimal256 {
    Decimal256::from_str(s).unwrap()
}

fn u(n: u128) -> Uint128 {
    Uint128::new(n)
}

fn params() -> AuctionParams {
    AuctionParams {
        buf: Decimal::percent(120),
        curve: Curve::Exponential {
            cut: Decimal::percent(99),
            step: 60,
        },
        tail: 3_600,
        cusp: Decimal::percent(40),
        max_resets: 2,
        tip: u(1_000_000),
        chip: Decimal::permille(1),
        max_in_auction: u(100_000_000),
        max_in_auction_per_denom: vec![],
    }
}

struct Suite {
    app: App,
    owner: Addr,
    market: Addr,
    oracle: Addr,
    backstop: Addr,
    auction: Addr,
    borrower: Addr,
    keeper: Addr,
    bidder: Addr,
    bidder2: Addr,
}

fn item_entry<T: serde::Serialize + serde::de::DeserializeOwned>(
    item: &Item<T>,
    value: &T,
) -> (Binary, Binary) {
    (
        Binary::from(item.as_slice().to_vec()),
        to_json_binary(value).unwrap(),
    )
}

fn source_entry(denom: &str, price: &str) -> (Binary, Binary) {
    (
        Binary::from(oracle::SOURCES.key(denom).to_vec()),
        to_json_binary(&PriceSource::Fixed { price: d(price) }).unwrap(),
    )
}

fn market_config(s: &Suite, backstop: Option<Addr>) -> market::Config {
    market::Config {
        owner: s.owner.clone(),
        pending_owner: None,
        guardian: None,
        oracle: s.oracle.clone(),
        auction: Some(s.auction.clone()),
        backstop,
        quote_denom: USD.into(),
        target_hf: Decimal::percent(105),
        full_liquidation_hf: Decimal::percent(95),
        ramp_duration: 0,
        grace_period: 0,
        dust_value: Uint128::zero(),
    }
}

fn setup_with(params: AuctionParams) -> Suite {
    let mut app = App::default();
    let api = *app.api();
    let owner = api.addr_make("owner");
    let borrower = api.addr_make("borrower");
    let keeper = api.addr_make("keeper");
    let bidder = api.addr_make("bidder");
    let bidder2 = api.addr_make("bidder2");
    let stub_code = app.store_code(Box::new(ContractWrapper::new(
        stub::execute,
        stub::instantiate,
        stub::query,
    )));
    let auction_code = app.store_code(Box::new(
        ContractWrapper::new(
            ballast_auction::contract::execute,
            ballast_auction::contract::instantiate,
            ballast_auction::contract::query,
        )
        .with_migrate(ballast_auction::contract::migrate),
    ));
    let oracle = app
        .instantiate_contract(
            stub_code,
            owner.clone(),
            &stub::InitMsg {
                entries: vec![
                    item_entry(
                        &oracle::CONFIG,
                        &oracle::Config {
                            owner: owner.clone(),
                            pending_owner: None,
                            quote_denom: USD.into(),
                            quote_decimals: 6,
                        },
                    ),
                    source_entry(ATOM, "10"),
                    source_entry(USD, "1"),
                    source_entry(OSMO, "0.5"),
                ],
            },
            &[],
            "oracle",
            None,
        )
        .unwrap();
    let backstop = app
        .instantiate_contract(
            stub_code,
            owner.clone(),
            &stub::InitMsg { entries: vec![] },
            &[],
            "backstop",
            None,
        )
        .unwrap();
    let market = app
        .instantiate_contract(
            stub_code,
            owner.clone(),
            &stub::InitMsg { entries: vec![] },
            &[],
            "market",
            None,
        )
        .unwrap();
    let auction = app
        .instantiate_contract(
            auction_code,
            owner.clone(),
            &auction::InstantiateMsg {
                owner: owner.to_string(),
                market: market.to_string(),
                params,
            },
            &[],
            "auction",
            Some(owner.to_string()),
        )
        .unwrap();
    let balances = vec![
        coin(1_000_000_000_000, ATOM),
        coin(1_000_000_000_000, USD),
        coin(1_000_000_000_000, OSMO),
    ];
    app.init_modules(|router, _, storage| {
        for who in [&market, &backstop, &bidder, &bidder2, &keeper] {
            router
                .bank
                .init_balance(storage, who, balances.clone())
                .unwrap();
        }
    });
    let mut s = Suite {
        app,
        owner,
        market,
        oracle,
        backstop,
        auction,
        borrower,
        keeper,
        bidder,
        bidder2,
    };
    let config = market_config(&s, Some(s.backstop.clone()));
    s.set_market_config(&config);
    s
}

fn setup() -> Suite {
    setup_with(params())
}

/// The lot most tests open: 1_000_000 uatom against 8_000_000 uusd of debt and 400_000 of
/// penalty, at the oracle's 10 uusd per uatom (start price 12).
fn standard_lot(s: &Suite, lot_id: u64) -> ExecuteMsg {
    ExecuteMsg::StartAuction {
        borrower: s.borrower.to_string(),
        debt_denom: USD.into(),
        debt: u(8_000_000),
        keeper: s.keeper.to_string(),
        lot_id,
        penalty: u(400_000),
        price: d("10"),
        debt_price: d("1"),
        min_debt: u(1_000_000),
    }
}

impl Suite {
    fn set_market_config(&mut self, config: &market::Config) {
        let (key, value) = item_entry(&market::CONFIG, config);
        let market = self.market.clone();
        self.app
            .execute_contract(
                self.owner.clone(),
                market,
                &stub::ExecMsg::SetRaw { key, value },
                &[],
            )
            .unwrap();
    }

    fn set_price(&mut self, denom: &str, price: &str) {
        let (key, value) = source_entry(denom, price);
        let oracle = self.oracle.clone();
        self.app
            .execute_contract(
                self.owner.clone(),
                oracle,
                &stub::ExecMsg::SetRaw { key, value },
                &[],
            )
            .unwrap();
    }

    fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> StdResult<AppResponse> {
        let auction = self.auction.clone();
        self.app
            .execute_contract(sender.clone(), auction, msg, funds)
    }

    fn start(&mut self, msg: &ExecuteMsg, collateral: Coin) -> StdResult<AppResponse> {
        let market = self.market.clone();
        self.exec(&market, msg, &[collateral])
    }

    fn start_standard(&mut self) -> u64 {
        let id = self.config().next_lot_id;
        let msg = standard_lot(self, id);
        self.start(&msg, coin(1_000_000, ATOM)).unwrap();
        id
    }

    fn bid(
        &mut self,
        bidder: &Addr,
        lot_id: u64,
        max_collateral: u128,
        max_price: &str,
        funds: Coin,
    ) -> StdResult<AppResponse> {
        self.exec(
            bidder,
            &ExecuteMsg::Bid {
                lot_id,
                max_collateral: u(max_collateral),
                max_price: d(max_price),
                recipient: None,
            },
            &[funds],
        )
    }

    fn reset(&mut self, lot_id: u64) -> StdResult<AppResponse> {
        let keeper = self.keeper.clone();
        self.exec(&keeper, &ExecuteMsg::Reset { lot_id }, &[])
    }

    fn advance(&mut self, seconds: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += 1;
        });
    }

    fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    fn lot(&self, lot_id: u64) -> LotResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.auction, &QueryMsg::Lot { lot_id })
            .unwrap()
    }

    fn raw_lot(&self, lot_id: u64) -> auction::Lot {
        auction::LOTS
            .query(&self.app.wrap(), self.auction.clone(), lot_id)
            .unwrap()
            .unwrap()
    }

    fn config(&self) -> ConfigResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.auction, &QueryMsg::Config {})
            .unwrap()
    }

    fn in_auction(&self) -> InAuctionResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.auction, &QueryMsg::InAuction {})
            .unwrap()
    }

    fn open_sales(&self) -> u32 {
        auction::OPEN_SALES
            .query(&self.app.wrap(), self.auction.clone())
            .unwrap()
    }

    /// What `keeper` has earned and not claimed.
    fn owed(&self, keeper: &Addr) -> Vec<Coin> {
        let r: auction::KeeperPayResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.auction,
                &QueryMsg::KeeperPay {
                    keeper: keeper.to_string(),
                },
            )
            .unwrap();
        r.owed
    }

    fn claim(&mut self, keeper: &Addr) -> StdResult<AppResponse> {
        let keeper = keeper.clone();
        self.exec(&keeper, &ExecuteMsg::ClaimKeeperPay { denoms: None }, &[])
    }

    fn calls(&self, stub: &Addr) -> Vec<stub::Call> {
        self.app
            .wrap()
            .query_wasm_smart(stub, &stub::QueryMsg::Calls {})
            .unwrap()
    }

    fn balance(&self, who: &Addr, denom: &str) -> Uint128 {
        Uint128::try_from(self.app.wrap().query_balance(who, denom).unwrap().amount).unwrap()
    }
}

#[track_caller]
fn assert_err(result: StdResult<AppResponse>, expected: ContractError) {
    let err = result.expect_err("the call should fail");
    let text = format!("{err:?} / {err}");
    let want = expected.to_string();
    assert!(text.contains(&want), "expected {want:?}, got {text}");
}

fn attr(response: &AppResponse, key: &str) -> Option<String> {
    response
        .events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

fn pay_keeper_call(keeper: &Addr, amount: Coin) -> stub::ExecMsg {
    stub::ExecMsg::PayKeeper {
        keeper: keeper.to_string(),
        amount,
    }
}

// ---------------------------------------------------------------------------------------------
// Instantiate, config, owner
// ---------------------------------------------------------------------------------------------

#[test]
fn instantiate_validates_params_and_starts_the_books_empty() {
    let s = setup();
    let config = s.config();
    assert_eq!(config.market, s.market);
    assert_eq!(config.owner, s.owner);
    assert_eq!(config.next_lot_id, 1);
    assert_eq!(config.params, params());
    assert_eq!(
        s.in_auction(),
        InAuctionResponse {
            total_value: Uint128::zero(),
            per_denom: vec![]
        }
    );
    assert_eq!(s.open_sales(), 0);
    // the market reads these raw
    assert_eq!(
        auction::NEXT_LOT_ID
            .query(&s.app.wrap(), s.auction.clone())
            .unwrap(),
        1
    );
    assert_eq!(
        auction::IN_AUCTION_TOTAL
            .query(&s.app.wrap(), s.auction.clone())
            .unwrap(),
        Uint128::zero()
    );

    let mut s = setup();
    let code = s.app.store_code(Box::new(ContractWrapper::new(
        ballast_auction::contract::execute,
        ballast_auction::contract::instantiate,
        ballast_auction::contract::query,
    )));
    let bad = AuctionParams {
        cusp: Decimal::one(),
        ..params()
    };
    let err = s
        .app
        .instantiate_contract(
            code,
            s.owner.clone(),
            &auction::InstantiateMsg {
                owner: s.owner.to_string(),
                market: s.market.to_string(),
                params: bad,
            },
            &[],
            "bad",
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("cusp must be in (0, 1)"), "{err}");
    let err = s
        .app
        .instantiate_contract(
            code,
            s.bidder.clone(),
            &auction::InstantiateMsg {
                owner: s.owner.to_string(),
                market: s.market.to_string(),
                params: params(),
            },
            &[coin(1, USD)],
            "funded",
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("invalid funds"), "{err}");
}

#[test]
fn params_change_for_new_lots_while_running_lots_keep_their_own() {
    let mut s = setup();
    let first = s.start_standard();
    let new = AuctionParams {
        buf: Decimal::percent(150),
        curve: Curve::Linear { tau: 1_000 },
        tail: 100,
        cusp: Decimal::percent(10),
        max_resets: 7,
        ..params()
    };
    let stranger = s.bidder.clone();
    assert_err(
        s.exec(
            &stranger,
            &ExecuteMsg::UpdateParams {
                params: new.clone(),
            },
            &[],
        ),
        ContractError::Unauthorized {
            sender: stranger.to_string(),
            action: "update parameters".into(),
        },
    );
    let owner = s.owner.clone();
    assert_err(
        s.exec(
            &owner,
            &ExecuteMsg::UpdateParams {
                params: AuctionParams {
                    buf: Decimal::percent(90),
                    ..params()
                },
            },
            &[],
        ),
        ContractError::InvalidParams {
            reason: "buf must be at least 1, got 0.9".into(),
        },
    );
    s.exec(
        &owner,
        &ExecuteMsg::UpdateParams {
            params: new.clone(),
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.config().params, new);

    // the running lot kept buf 1.2, the exponential curve, tail 3600, cusp 0.4, 2 resets
    let lot = s.raw_lot(first);
    assert_eq!(lot.buf, Decimal::percent(120));
    assert_eq!(lot.curve, params().curve);
    assert_eq!(
        (lot.tail, lot.cusp, lot.max_resets),
        (3_600, Decimal::percent(40), 2)
    );
    s.advance(101);
    assert_eq!(s.lot(first).status, LotStatus::Active);
    // a new lot takes the new ones: start 10 × 1.5 = 15, linear
    let second = s.start_standard();
    let lot = s.lot(second);
    assert_eq!(lot.start_price, d("15"));
    s.advance(500);
    assert_eq!(s.lot(second).current_price, d("7.5"));
}

#[test]
fn ownership_moves_in_two_steps() {
    let mut s = setup();
    let owner = s.owner.clone();
    let next = s.bidder.clone();
    let other = s.bidder2.clone();
    assert_err(
        s.exec(&next, &ExecuteMsg::AcceptOwner {}, &[]),
        ContractError::NoPendingOwner {},
    );
    s.exec(
        &owner,
        &ExecuteMsg::ProposeOwner {
            owner: next.to_string(),
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.config().pending_owner, Some(next.clone()));
    assert_err(
        s.exec(&other, &ExecuteMsg::AcceptOwner {}, &[]),
        ContractError::Unauthorized {
            sender: other.to_string(),
            action: "accept ownership".into(),
        },
    );
    s.exec(&next, &ExecuteMsg::AcceptOwner {}, &[]).unwrap();
    let config = s.config();
    assert_eq!(config.owner, next);
    assert_eq!(config.pending_owner, None);
    assert_err(
        s.exec(
            &owner,
            &ExecuteMsg::ProposeOwner {
                owner: owner.to_string(),
            },
            &[],
        ),
        ContractError::Unauthorized {
            sender: owner.to_string(),
            action: "propose an owner".into(),
        },
    );
}

// ---------------------------------------------------------------------------------------------
// StartAuction
// ---------------------------------------------------------------------------------------------

#[test]
fn start_auction_opens_the_lot_holds_the_caps_and_asks_the_backstop_to_pay_the_keeper() {
    let mut s = setup();
    let response = s
        .start(&standard_lot(&s, 1), coin(1_000_000, ATOM))
        .unwrap();
    assert_eq!(attr(&response, "action").as_deref(), Some("start_auction"));
    assert_eq!(attr(&response, "tab").as_deref(), Some("8400000uusd"));
    assert_eq!(attr(&response, "cap_value").as_deref(), Some("8400000"));
    let lot = s.lot(1);
    assert_eq!(
        lot,
        LotResponse {
            lot_id: 1,
            kind: LotKind::Liquidation,
            borrower: s.borrower.to_string(),
            collateral: coin(1_000_000, ATOM),
            debt: coin(8_000_000, USD),
            penalty: coin(400_000, USD),
            tab: coin(8_400_000, USD),
            start_price: d("12"),
            current_price: d("12"),
            started_at: s.now(),
            resets: 0,
            status: LotStatus::Active,
            min_debt: u(1_000_000),
        }
    );
    assert_eq!(s.config().next_lot_id, 2);
    assert_eq!(
        s.in_auction(),
        InAuctionResponse {
            total_value: u(8_400_000),
            per_denom: vec![(ATOM.into(), u(8_400_000))]
        }
    );
    // keeper pay: tip 1_000_000 quote units at $1 + 0.1% of 8_000_000, accrued: the liquidation
    // calls no backstop
    assert!(s.calls(&s.backstop).is_empty());
    assert_eq!(s.owed(&s.keeper), vec![coin(1_008_000, USD)]);
    assert_eq!(s.balance(&s.auction, ATOM), u(1_000_000));
    // claimed in one call, which the backstop's fund pays
    let keeper = s.keeper.clone();
    let r = s.claim(&keeper).unwrap();
    assert_eq!(attr(&r, "claimed").as_deref(), Some("1008000uusd"));
    assert_eq!(
        s.calls(&s.backstop),
        vec![stub::Call {
            sender: s.auction.to_string(),
            msg: pay_keeper_call(&s.keeper, coin(1_008_000, USD)),
            funds: vec![],
        }]
    );
    assert!(s.owed(&s.keeper).is_empty());
    assert_err(
        s.claim(&keeper),
        ContractError::NothingOwed {
            keeper: keeper.to_string(),
        },
    );
}

#[test]
fn the_tip_is_converted_at_the_debt_price_and_rounds_down() {
    let mut s = setup();
    // debt in OSMO at $0.3: the $1 tip is ⌊1_000_000 / 0.3⌋ = 3_333_333 uosmo; chip ⌊0.001 × 5_555⌋ = 5
    let msg = ExecuteMsg::StartAuction {
        borrower: s.borrower.to_string(),
        debt_denom: OSMO.into(),
        debt: u(5_555),
        keeper: s.keeper.to_string(),
        lot_id: 1,
        penalty: u(278),
        price: d("33.333333333333333333"),
        debt_price: d("0.3"),
        min_debt: u(0),
    };
    s.start(&msg, coin(1_000, ATOM)).unwrap();
    assert_eq!(s.owed(&s.keeper), vec![coin(3_333_338, OSMO)]);
    // cap: ⌈5_833 × 0.3⌉ = ⌈1_749.9⌉ = 1_750
    assert_eq!(s.in_auction().total_value, u(1_750));
    // start price rounds up at the 18th decimal: 33.333…333 × 1.2 = 39.9999999999999999996
    assert_eq!(s.lot(1).start_price, d("40"));
}

#[test]
fn only_the_market_starts_auctions_with_the_next_id_and_one_collateral_coin() {
    let mut s = setup();
    let stranger = s.bidder.clone();
    assert_err(
        s.exec(&stranger, &standard_lot(&s, 1), &[coin(1_000_000, ATOM)]),
        ContractError::Unauthorized {
            sender: stranger.to_string(),
            action: "start auctions".into(),
        },
    );
    assert_err(
        s.start(&standard_lot(&s, 2), coin(1_000_000, ATOM)),
        ContractError::LotIdMismatch {
            expected: 1,
            got: 2,
        },
    );
    let market = s.market.clone();
    assert_err(
        s.exec(&market, &standard_lot(&s, 1), &[]),
        ContractError::InvalidFunds {
            expected: "exactly one coin with a positive amount".into(),
            got: "nothing".into(),
        },
    );
    assert_err(
        s.exec(
            &market,
            &standard_lot(&s, 1),
            &[coin(1, ATOM), coin(1, OSMO)],
        ),
        ContractError::InvalidFunds {
            expected: "exactly one coin with a positive amount".into(),
            got: "1uatom, 1uosmo".into(),
        },
    );
    let mut zero_debt = standard_lot(&s, 1);
    if let ExecuteMsg::StartAuction { debt, .. } = &mut zero_debt {
        *debt = Uint128::zero();
    }
    assert_err(
        s.start(&zero_debt, coin(1, ATOM)),
        ContractError::InvalidLot {
            lot_id: 1,
            reason: "debt must be positive".into(),
        },
    );
    let mut zero_price = standard_lot(&s, 1);
    if let ExecuteMsg::StartAuction { price, .. } = &mut zero_price {
        *price = Decimal256::zero();
    }
    assert_err(
        s.start(&zero_price, coin(1, ATOM)),
        ContractError::ZeroPrice { lot_id: 1 },
    );
    assert_eq!(s.config().next_lot_id, 1);
    assert!(s.calls(&s.backstop).is_empty());
}

#[test]
fn the_caps_refuse_a_lot_that_does_not_fit() {
    let mut s = setup_with(AuctionParams {
        max_in_auction: u(20_000_000),
        max_in_auction_per_denom: vec![(ATOM.into(), u(10_000_000))],
        ..params()
    });
    s.start_standard();
    // a second 8_400_000 lot of ATOM would hold 16_800_000 > 10_000_000 of the ATOM cap
    assert_err(
        s.start(&standard_lot(&s, 2), coin(1_000_000, ATOM)),
        ContractError::CapExceeded {
            scope: ATOM.into(),
            cap: u(10_000_000),
            in_auction: u(8_400_000),
            requested: u(8_400_000),
        },
    );
    // OSMO has no cap of its own; the global cap stops the third
    let osmo_lot = |s: &Suite, id| ExecuteMsg::StartAuction {
        borrower: s.borrower.to_string(),
        debt_denom: USD.into(),
        debt: u(8_000_000),
        keeper: s.keeper.to_string(),
        lot_id: id,
        penalty: u(400_000),
        price: d("0.5"),
        debt_price: d("1"),
        min_debt: u(1_000_000),
    };
    s.start(&osmo_lot(&s, 2), coin(20_000_000, OSMO)).unwrap();
    assert_err(
        s.start(&osmo_lot(&s, 3), coin(20_000_000, OSMO)),
        ContractError::CapExceeded {
            scope: "all denoms".into(),
            cap: u(20_000_000),
            in_auction: u(16_800_000),
            requested: u(8_400_000),
        },
    );
    // lowering the caps applies at once: nothing more fits, what runs keeps running
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &ExecuteMsg::UpdateParams {
            params: AuctionParams {
                max_in_auction: u(1),
                ..params()
            },
        },
        &[],
    )
    .unwrap();
    assert_err(
        s.start(&osmo_lot(&s, 3), coin(1, OSMO)),
        ContractError::CapExceeded {
            scope: "all denoms".into(),
            cap: u(1),
            in_auction: u(16_800_000),
            requested: u(8_400_000),
        },
    );
    assert_eq!(s.lot(1).status, LotStatus::Active);
}

#[test]
fn a_broke_fund_cannot_fail_a_liquidation_and_a_failed_claim_keeps_the_pay_owed() {
    let mut s = setup();
    let backstop = s.backstop.clone();
    let owner = s.owner.clone();
    s.app
        .execute_contract(owner, backstop, &stub::ExecMsg::SetFail { fail: true }, &[])
        .unwrap();
    s.start(&standard_lot(&s, 1), coin(1_000_000, ATOM))
        .unwrap();
    assert_eq!(s.lot(1).status, LotStatus::Active);
    assert_eq!(s.config().next_lot_id, 2);
    // the claim fails with the fund's error and the pay stays owed
    let keeper = s.keeper.clone();
    let err = s.claim(&keeper).unwrap_err();
    assert!(err.to_string().contains("the fund is broke"), "{err}");
    assert_eq!(s.owed(&keeper), vec![coin(1_008_000, USD)]);
}

#[test]
fn nothing_owed_accrues_nothing_and_a_claim_needs_a_backstop() {
    let mut s = setup_with(AuctionParams {
        tip: Uint128::zero(),
        chip: Decimal::zero(),
        ..params()
    });
    let response = s
        .start(&standard_lot(&s, 1), coin(1_000_000, ATOM))
        .unwrap();
    assert_eq!(attr(&response, "keeper_pay").as_deref(), Some("0uusd"));
    assert!(s.owed(&s.keeper).is_empty());
    let mut s = setup();
    s.start(&standard_lot(&s, 1), coin(1_000_000, ATOM))
        .unwrap();
    let config = market_config(&s, None);
    s.set_market_config(&config);
    let keeper = s.keeper.clone();
    assert_err(s.claim(&keeper), ContractError::NoBackstop {});
    assert_err(
        s.exec(
            &keeper,
            &ExecuteMsg::ClaimKeeperPay { denoms: None },
            &[coin(1, USD)],
        ),
        ContractError::InvalidFunds {
            expected: "no funds".into(),
            got: "1uusd".into(),
        },
    );
    assert_eq!(s.owed(&keeper), vec![coin(1_008_000, USD)]);
    assert!(s.calls(&s.backstop).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Bids
// ---------------------------------------------------------------------------------------------

#[test]
fn two_partial_bids_clear_a_lot_debt_first_then_penalty_and_leftover_goes_back() {
    let mut s = setup();
    s.start_standard();
    let bidder = s.bidder.clone();
    let bidder2 = s.bidder2.clone();
    let atom0 = s.balance(&bidder, ATOM);
    let usd0 = s.balance(&bidder, USD);

    // at 12: 300_000 uatom for 3_600_000 uusd; 1_400_000 of the 5_000_000 sent comes back
    let r = s
        .bid(&bidder, 1, 300_000, "12", coin(5_000_000, USD))
        .unwrap();
    assert_eq!(attr(&r, "paid").as_deref(), Some("3600000uusd"));
    assert_eq!(attr(&r, "refund").as_deref(), Some("1400000uusd"));
    assert_eq!(attr(&r, "debt_repaid").as_deref(), Some("3600000uusd"));
    assert_eq!(attr(&r, "penalty_paid").as_deref(), Some("0uusd"));
    assert_eq!(attr(&r, "cap_freed").as_deref(), Some("3600000"));
    assert_eq!(s.balance(&bidder, ATOM) - atom0, u(300_000));
    assert_eq!(usd0 - s.balance(&bidder, USD), u(3_600_000));
    let lot = s.lot(1);
    assert_eq!(lot.collateral, coin(700_000, ATOM));
    assert_eq!(lot.debt, coin(4_400_000, USD));
    assert_eq!(lot.penalty, coin(400_000, USD));
    assert_eq!(s.in_auction().total_value, u(4_800_000));

    // one step later the price is 11.88; the second bidder offers all it may: the tab of
    // 4_800_000 is paid for ⌊4_800_000 / 11.88⌋ = 404_040 uatom
    s.advance(60);
    assert_eq!(s.lot(1).current_price, d("11.88"));
    let b2_atom = s.balance(&bidder2, ATOM);
    let r = s
        .bid(&bidder2, 1, 1_000_000, "11.88", coin(10_000_000, USD))
        .unwrap();
    assert_eq!(
        attr(&r, "collateral_bought").as_deref(),
        Some("404040uatom")
    );
    assert_eq!(attr(&r, "paid").as_deref(), Some("4800000uusd"));
    assert_eq!(attr(&r, "debt_repaid").as_deref(), Some("4400000uusd"));
    assert_eq!(attr(&r, "penalty_paid").as_deref(), Some("400000uusd"));
    assert_eq!(
        attr(&r, "collateral_returned").as_deref(),
        Some("295960uatom")
    );
    assert_eq!(attr(&r, "closed").as_deref(), Some("true"));
    assert_eq!(s.balance(&bidder2, ATOM) - b2_atom, u(404_040));

    // the market heard of both bids, with the leftover collateral on the close
    let calls = s.calls(&s.market);
    assert_eq!(
        calls,
        vec![
            stub::Call {
                sender: s.auction.to_string(),
                msg: stub::ExecMsg::RepayFromAuction {
                    borrower: s.borrower.to_string(),
                    lot_id: 1,
                    close: false,
                    penalty_collected: Uint128::zero(),
                },
                funds: vec![coin(3_600_000, USD)],
            },
            stub::Call {
                sender: s.auction.to_string(),
                msg: stub::ExecMsg::RepayFromAuction {
                    borrower: s.borrower.to_string(),
                    lot_id: 1,
                    close: true,
                    penalty_collected: u(400_000),
                },
                funds: vec![coin(295_960, ATOM), coin(4_400_000, USD)],
            },
        ]
    );
    // the penalty went to the fund by bank send (no contract call)
    assert_eq!(s.balance(&s.backstop, USD), u(1_000_000_000_000 + 400_000));
    assert!(s.calls(&s.backstop).is_empty());
    // the auction holds nothing, the caps are free, the lot is settled
    assert_eq!(s.balance(&s.auction, ATOM), Uint128::zero());
    assert_eq!(s.balance(&s.auction, USD), Uint128::zero());
    assert_eq!(
        s.in_auction(),
        InAuctionResponse {
            total_value: Uint128::zero(),
            per_denom: vec![]
        }
    );
    let lot = s.lot(1);
    assert_eq!(lot.status, LotStatus::Settled);
    assert_eq!(lot.collateral, coin(0, ATOM));
    let active: LotsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.auction,
            &QueryMsg::ActiveLots {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert!(active.lots.is_empty());

    // a settled lot takes no more bids
    assert_err(
        s.bid(&bidder, 1, 1, "100", coin(100, USD)),
        ContractError::LotNotActive {
            lot_id: 1,
            status: "settled".into(),
        },
    );
}

#[test]
fn with_equal_denoms_one_coin_carries_the_debt_and_the_leftover() {
    let mut s = setup();
    // ATOM borrowed against ATOM: price 1
    let msg = ExecuteMsg::StartAuction {
        borrower: s.borrower.to_string(),
        debt_denom: ATOM.into(),
        debt: u(1_000),
        keeper: s.keeper.to_string(),
        lot_id: 1,
        penalty: u(50),
        price: d("1"),
        debt_price: d("10"),
        min_debt: u(0),
    };
    s.start(&msg, coin(1_300, ATOM)).unwrap();
    let bidder = s.bidder.clone();
    // at 1.2: the tab of 1_050 buys ⌊1_050 / 1.2⌋ = 875
    s.bid(&bidder, 1, 1_300, "1.2", coin(2_000, ATOM)).unwrap();
    let calls = s.calls(&s.market);
    assert_eq!(
        calls[0].msg,
        stub::ExecMsg::RepayFromAuction {
            borrower: s.borrower.to_string(),
            lot_id: 1,
            close: true,
            penalty_collected: u(50),
        }
    );
    // debt 1_000 + leftover 1_300 − 875 = 425, as one coin
    assert_eq!(calls[0].funds, vec![coin(1_425, ATOM)]);
}

#[test]
fn a_lot_whose_debt_is_paid_closes_with_return_collateral() {
    let mut s = setup();
    let mut msg = standard_lot(&s, 1);
    if let ExecuteMsg::StartAuction { min_debt, .. } = &mut msg {
        *min_debt = Uint128::zero();
    }
    s.start(&msg, coin(1_000_000, ATOM)).unwrap();
    let bidder = s.bidder.clone();
    // at 12: 8_100_000 pays the debt and 100_000 of the penalty
    s.bid(&bidder, 1, 675_000, "12", coin(8_100_000, USD))
        .unwrap();
    let lot = s.lot(1);
    assert_eq!(lot.debt, coin(0, USD));
    assert_eq!(lot.penalty, coin(300_000, USD));
    // the rest of the penalty: 300_000 for 25_000 uatom; no debt part, so ReturnCollateral
    let r = s
        .bid(&bidder, 1, 1_000_000, "12", coin(300_000, USD))
        .unwrap();
    assert_eq!(attr(&r, "debt_repaid").as_deref(), Some("0uusd"));
    let calls = s.calls(&s.market);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].funds, vec![coin(8_000_000, USD)]);
    assert_eq!(
        calls[1],
        stub::Call {
            sender: s.auction.to_string(),
            msg: stub::ExecMsg::ReturnCollateral {
                borrower: s.borrower.to_string(),
                lot_id: 1,
                penalty_collected: u(400_000),
            },
            funds: vec![coin(1_000_000 - 675_000 - 25_000, ATOM)],
        }
    );
    assert_eq!(s.balance(&s.backstop, USD), u(1_000_000_000_000 + 400_000));
}

#[test]
fn a_lot_whose_collateral_runs_out_closes_with_its_debt_unpaid() {
    let mut s = setup();
    s.start_standard();
    let bidder = s.bidder.clone();
    // all 1_000_000 uatom at 5 (after the price fell) = 5_000_000 < tab
    let msg = ExecuteMsg::StartAuction {
        borrower: s.borrower.to_string(),
        debt_denom: USD.into(),
        debt: u(8_000_000),
        keeper: s.keeper.to_string(),
        lot_id: 2,
        penalty: u(400_000),
        price: d("5"),
        debt_price: d("1"),
        min_debt: u(1_000_000),
    };
    s.start(&msg, coin(1_000_000, ATOM)).unwrap();
    let r = s
        .bid(&bidder, 2, 1_000_000, "6", coin(6_000_000, USD))
        .unwrap();
    assert_eq!(attr(&r, "closed").as_deref(), Some("true"));
    assert_eq!(attr(&r, "debt_unpaid").as_deref(), Some("2000000uusd"));
    assert_eq!(attr(&r, "penalty_unpaid").as_deref(), Some("400000uusd"));
    assert_eq!(
        s.calls(&s.market)[0],
        stub::Call {
            sender: s.auction.to_string(),
            msg: stub::ExecMsg::RepayFromAuction {
                borrower: s.borrower.to_string(),
                lot_id: 2,
                close: true,
                penalty_collected: Uint128::zero(),
            },
            funds: vec![coin(6_000_000, USD)],
        }
    );
    // lot 2's caps are all free; lot 1's are untouched
    assert_eq!(s.in_auction().total_value, u(8_400_000));
}

#[test]
fn the_dust_rule_trims_a_partial_bid_or_refuses_it() {
    let mut s = setup();
    s.start_standard();
    let bidder = s.bidder.clone();
    // 7_800_000 at 12 would leave 600_000 < min_debt: trimmed to leave exactly 1_000_000,
    // 7_400_000 paid for ⌊7_400_000 / 12⌋ = 616_666
    let r = s
        .bid(&bidder, 1, 650_000, "12", coin(7_800_000, USD))
        .unwrap();
    assert_eq!(attr(&r, "paid").as_deref(), Some("7400000uusd"));
    assert_eq!(
        attr(&r, "collateral_bought").as_deref(),
        Some("616666uatom")
    );
    assert_eq!(attr(&r, "refund").as_deref(), Some("400000uusd"));
    assert_eq!(s.lot(1).tab, coin(1_000_000, USD));
    // now the tab is min_debt: any partial bid leaves dust, the whole lot is fine
    assert_err(
        s.bid(&bidder, 1, 10_000, "12", coin(120_000, USD)),
        ContractError::DustLeft {
            tab: u(1_000_000),
            min_debt: u(1_000_000),
        },
    );
    // funds for the whole tab take it, though ⌊1_000_000 / 12⌋ = 83_333 would cost only
    // 999_996 (a bid that only looked at the collateral would leave 4 and be refused): it
    // pays 1_000_000 for 83_333
    let r = s
        .bid(&bidder, 1, 1_000_000, "12", coin(1_000_000, USD))
        .unwrap();
    assert_eq!(attr(&r, "paid").as_deref(), Some("1000000uusd"));
    assert_eq!(attr(&r, "collateral_bought").as_deref(), Some("83333uatom"));
    assert_eq!(
        attr(&r, "collateral_returned").as_deref(),
        Some("300001uatom")
    );
    assert_eq!(s.lot(1).status, LotStatus::Settled);
}

#[test]
fn bids_are_refused_above_max_price_in_the_wrong_denom_or_too_small() {
    let mut s = setup();
    s.start_standard();
    let bidder = s.bidder.clone();
    assert_err(
        s.bid(&bidder, 1, 1_000, "11.99", coin(100_000, USD)),
        ContractError::PriceTooHigh {
            price: d("12"),
            max_price: d("11.99"),
        },
    );
    assert_err(
        s.bid(&bidder, 1, 1_000, "12", coin(100_000, ATOM)),
        ContractError::InvalidFunds {
            expected: "a positive amount of uusd only".into(),
            got: "100000uatom".into(),
        },
    );
    assert_err(
        s.exec(
            &bidder,
            &ExecuteMsg::Bid {
                lot_id: 1,
                max_collateral: u(1),
                max_price: d("12"),
                recipient: None,
            },
            &[coin(12, USD), coin(1, OSMO)],
        ),
        ContractError::InvalidFunds {
            expected: "a positive amount of uusd only".into(),
            got: "12uusd, 1uosmo".into(),
        },
    );
    assert_err(
        s.bid(&bidder, 1, 1_000, "12", coin(11, USD)),
        ContractError::BidTooSmall {
            price: d("12"),
            funds: u(11),
            max_collateral: u(1_000),
        },
    );
    assert_err(
        s.bid(&bidder, 7, 1_000, "12", coin(11, USD)),
        ContractError::UnknownLot { lot_id: 7 },
    );
    // nothing moved
    assert_eq!(s.lot(1).collateral, coin(1_000_000, ATOM));
    assert!(s.calls(&s.market).is_empty());
}

#[test]
fn a_bid_may_send_the_collateral_to_a_recipient() {
    let mut s = setup();
    s.start_standard();
    let bidder = s.bidder.clone();
    let to = s.app.api().addr_make("recipient");
    s.exec(
        &bidder,
        &ExecuteMsg::Bid {
            lot_id: 1,
            max_collateral: u(1_000),
            max_price: d("12"),
            recipient: Some(to.to_string()),
        },
        &[coin(12_000, USD)],
    )
    .unwrap();
    assert_eq!(s.balance(&to, ATOM), u(1_000));
}

// ---------------------------------------------------------------------------------------------
// Resets and failure
// ---------------------------------------------------------------------------------------------

#[test]
fn tail_is_strict_and_a_reset_restarts_from_the_oracle() {
    let mut s = setup();
    s.start_standard();
    s.advance(3_600);
    // at the tail exactly: no reset; 60 steps of 0.99
    let lot = s.lot(1);
    assert_eq!(lot.status, LotStatus::Active);
    assert_err(s.reset(1), ContractError::CannotReset { lot_id: 1 });
    s.advance(1);
    let lot = s.lot(1);
    assert_eq!(lot.status, LotStatus::NeedsReset);
    let bidder = s.bidder.clone();
    assert_err(
        s.bid(&bidder, 1, 1_000, "100", coin(100_000, USD)),
        ContractError::NeedsReset { lot_id: 1 },
    );
    let keeper = s.keeper.clone();
    assert_err(
        s.exec(&keeper, &ExecuteMsg::Reset { lot_id: 1 }, &[coin(1, USD)]),
        ContractError::InvalidFunds {
            expected: "no funds".into(),
            got: "1uusd".into(),
        },
    );
    s.set_price(ATOM, "8");
    let r = s.reset(1).unwrap();
    assert_eq!(attr(&r, "resets").as_deref(), Some("1"));
    let lot = s.lot(1);
    assert_eq!(lot.start_price, d("9.6"));
    assert_eq!(lot.current_price, d("9.6"));
    assert_eq!(lot.started_at, s.now());
    assert_eq!(lot.resets, 1);
    assert_eq!(lot.status, LotStatus::Active);
    // keeper earns again (tip + chip), on top of the kick's pay
    assert_eq!(s.owed(&s.keeper), vec![coin(2 * 1_008_000, USD)]);
}

#[test]
fn cusp_is_strict_on_the_linear_curve() {
    let mut s = setup_with(AuctionParams {
        curve: Curve::Linear { tau: 1_000 },
        ..params()
    });
    s.start_standard();
    // 12 × (1000 − 600) / 1000 = 4.8 = 0.4 × 12: not below
    s.advance(600);
    let lot = s.lot(1);
    assert_eq!(lot.current_price, d("4.8"));
    assert_eq!(lot.status, LotStatus::Active);
    assert_err(s.reset(1), ContractError::CannotReset { lot_id: 1 });
    s.advance(1);
    let lot = s.lot(1);
    assert_eq!(lot.current_price, d("4.788"));
    assert_eq!(lot.status, LotStatus::NeedsReset);
    s.reset(1).unwrap();
    assert_eq!(s.lot(1).start_price, d("12"));
}

#[test]
fn a_small_lot_resets_without_paying_the_keeper() {
    let mut s = setup();
    let mut msg = standard_lot(&s, 1);
    if let ExecuteMsg::StartAuction {
        debt,
        penalty,
        min_debt,
        ..
    } = &mut msg
    {
        *debt = u(900_000);
        *penalty = u(45_000);
        *min_debt = u(1_000_000);
    }
    s.start(&msg, coin(120_000, ATOM)).unwrap();
    s.advance(3_601);
    let r = s.reset(1).unwrap();
    assert_eq!(
        attr(&r, "keeper_pay").as_deref(),
        Some("none (lot below min_debt)")
    );
    // only the kick's pay: tip + 0.1% of 900_000
    assert_eq!(s.owed(&s.keeper), vec![coin(1_000_900, USD)]);
}

#[test]
fn past_max_resets_a_lot_fails_to_the_backstop_with_its_collateral() {
    let mut s = setup();
    s.start_standard();
    let bidder = s.bidder.clone();
    // a first partial bid, so that the failed lot carries less than it started with
    s.bid(&bidder, 1, 100_000, "12", coin(1_200_000, USD))
        .unwrap();
    for resets in 1..=2 {
        s.advance(3_601);
        s.reset(1).unwrap();
        assert_eq!(s.lot(1).resets, resets);
    }
    s.advance(3_601);
    let r = s.reset(1).unwrap();
    assert_eq!(attr(&r, "failed").as_deref(), Some("true"));
    assert_eq!(attr(&r, "collateral_to").as_deref(), Some("backstop"));
    let lot = s.raw_lot(1);
    assert_eq!(lot.status, LotStatus::Failed);
    assert_eq!(lot.collateral, u(900_000));
    assert_eq!(lot.debt, u(6_800_000));
    assert_eq!(lot.cap_value, Uint128::zero());
    // the absorption is the one call to the backstop
    assert_eq!(
        s.calls(&s.backstop),
        vec![stub::Call {
            sender: s.auction.to_string(),
            msg: stub::ExecMsg::AbsorbLot { lot_id: 1 },
            funds: vec![coin(900_000, ATOM)],
        }]
    );
    // pay: the kick (tip + 0.1% of 8_000_000) and three resets, the failing one included
    // (tip + 0.1% of the 6_800_000 still owed)
    assert_eq!(
        s.owed(&s.keeper),
        vec![coin(1_008_000 + 3 * 1_006_800, USD)]
    );
    assert_eq!(s.in_auction().total_value, Uint128::zero());
    assert_eq!(s.balance(&s.auction, ATOM), Uint128::zero());
    assert_eq!(s.lot(1).status, LotStatus::Failed);
    assert_err(
        s.reset(1),
        ContractError::LotNotActive {
            lot_id: 1,
            status: "failed".into(),
        },
    );
    assert_err(
        s.bid(&bidder, 1, 1, "100", coin(100, USD)),
        ContractError::LotNotActive {
            lot_id: 1,
            status: "failed".into(),
        },
    );
}

#[test]
fn a_lot_owing_only_penalty_fails_back_to_the_market() {
    let mut s = setup_with(AuctionParams {
        max_resets: 0,
        ..params()
    });
    let mut msg = standard_lot(&s, 1);
    if let ExecuteMsg::StartAuction { min_debt, .. } = &mut msg {
        *min_debt = Uint128::zero();
    }
    s.start(&msg, coin(1_000_000, ATOM)).unwrap();
    let bidder = s.bidder.clone();
    s.bid(&bidder, 1, 1_000_000, "12", coin(8_100_000, USD))
        .unwrap();
    s.advance(3_601);
    let r = s.reset(1).unwrap();
    assert_eq!(attr(&r, "collateral_to").as_deref(), Some("market"));
    let calls = s.calls(&s.market);
    assert_eq!(
        calls[1],
        stub::Call {
            sender: s.auction.to_string(),
            msg: stub::ExecMsg::ReturnCollateral {
                borrower: s.borrower.to_string(),
                lot_id: 1,
                penalty_collected: u(100_000),
            },
            funds: vec![coin(325_000, ATOM)],
        }
    );
}

#[test]
fn a_lot_can_fail_when_the_oracle_cannot_price_it() {
    let mut s = setup_with(AuctionParams {
        max_resets: 0,
        ..params()
    });
    s.start_standard();
    s.advance(3_601);
    // the oracle loses the debt denom's source: a restart would need it, the failure does not
    let oracle = s.oracle.clone();
    let owner = s.owner.clone();
    s.app
        .execute_contract(
            owner,
            oracle,
            &stub::ExecMsg::SetRaw {
                key: Binary::from(oracle::SOURCES.key(USD).to_vec()),
                value: Binary::from(b"{}".to_vec()),
            },
            &[],
        )
        .unwrap();
    let r = s.reset(1).unwrap();
    assert!(attr(&r, "keeper_pay")
        .unwrap()
        .starts_with("none (price unavailable"));
    assert_eq!(s.lot(1).status, LotStatus::Failed);
}

// ---------------------------------------------------------------------------------------------
// Sales
// ---------------------------------------------------------------------------------------------

#[test]
fn the_backstop_sells_absorbed_collateral_and_receives_every_proceed() {
    let mut s = setup();
    let backstop = s.backstop.clone();
    let stranger = s.bidder.clone();
    assert_err(
        s.exec(
            &stranger,
            &ExecuteMsg::StartSale {
                proceeds_denom: USD.into(),
            },
            &[coin(1_000, ATOM)],
        ),
        ContractError::Unauthorized {
            sender: stranger.to_string(),
            action: "start sales".into(),
        },
    );
    assert_err(
        s.exec(
            &backstop,
            &ExecuteMsg::StartSale {
                proceeds_denom: ATOM.into(),
            },
            &[coin(1_000, ATOM)],
        ),
        ContractError::InvalidLot {
            lot_id: 1,
            reason: "cannot sell uatom for \"uatom\"".into(),
        },
    );
    s.exec(
        &backstop,
        &ExecuteMsg::StartSale {
            proceeds_denom: USD.into(),
        },
        &[coin(1_000_000, ATOM)],
    )
    .unwrap();
    assert_eq!(s.open_sales(), 1);
    let lot = s.lot(1);
    assert_eq!(lot.kind, LotKind::Sale);
    assert_eq!(lot.borrower, s.backstop.to_string());
    assert_eq!(lot.start_price, d("12"));
    assert_eq!(lot.tab, coin(0, USD));
    // a sale holds the caps with its collateral's value: 1_000_000 × $10
    assert_eq!(s.in_auction().total_value, u(10_000_000));
    let usd0 = s.balance(&s.backstop, USD);
    let bidder = s.bidder.clone();
    s.bid(&bidder, 1, 400_000, "12", coin(10_000_000, USD))
        .unwrap();
    assert_eq!(s.balance(&s.backstop, USD) - usd0, u(4_800_000));
    assert_eq!(s.in_auction().total_value, u(6_000_000));
    s.bid(&bidder, 1, 1_000_000, "12", coin(10_000_000, USD))
        .unwrap();
    assert_eq!(s.balance(&s.backstop, USD) - usd0, u(12_000_000));
    assert_eq!(s.lot(1).status, LotStatus::Settled);
    assert_eq!(s.open_sales(), 0);
    assert_eq!(s.in_auction().total_value, Uint128::zero());
    assert!(s.calls(&s.market).is_empty());
}

#[test]
fn a_failed_sale_returns_its_collateral_to_the_backstop() {
    let mut s = setup_with(AuctionParams {
        max_resets: 1,
        ..params()
    });
    let backstop = s.backstop.clone();
    s.exec(
        &backstop,
        &ExecuteMsg::StartSale {
            proceeds_denom: USD.into(),
        },
        &[coin(1_000_000, ATOM)],
    )
    .unwrap();
    s.advance(3_601);
    s.reset(1).unwrap();
    assert_eq!(s.open_sales(), 1);
    s.advance(3_601);
    s.reset(1).unwrap();
    assert_eq!(s.open_sales(), 0);
    let calls = s.calls(&s.backstop);
    let absorb = calls
        .iter()
        .find(|c| matches!(c.msg, stub::ExecMsg::AbsorbLot { .. }))
        .unwrap();
    assert_eq!(absorb.funds, vec![coin(1_000_000, ATOM)]);
    // a sale's resets (the failing one too) earn the keeper its tip in the proceeds denom
    assert_eq!(s.owed(&s.keeper), vec![coin(2 * 1_000_000, USD)]);
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

#[test]
fn lots_and_active_lots_page_by_id() {
    let mut s = setup();
    for _ in 0..4 {
        s.start_standard();
    }
    let bidder = s.bidder.clone();
    s.bid(&bidder, 2, 1_000_000, "12", coin(8_400_000, USD))
        .unwrap();
    let page = |s: &Suite, msg: QueryMsg| -> Vec<u64> {
        let r: LotsResponse = s.app.wrap().query_wasm_smart(&s.auction, &msg).unwrap();
        r.lots.iter().map(|l| l.lot_id).collect()
    };
    assert_eq!(
        page(
            &s,
            QueryMsg::Lots {
                start_after: None,
                limit: None
            }
        ),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        page(
            &s,
            QueryMsg::Lots {
                start_after: Some(1),
                limit: Some(2)
            }
        ),
        vec![2, 3]
    );
    assert_eq!(
        page(
            &s,
            QueryMsg::ActiveLots {
                start_after: None,
                limit: None
            }
        ),
        vec![1, 3, 4]
    );
    assert_eq!(
        page(
            &s,
            QueryMsg::ActiveLots {
                start_after: Some(1),
                limit: Some(1)
            }
        ),
        vec![3]
    );
    // lots due for a reset are still listed as open, with their status
    s.advance(3_601);
    let r: LotsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.auction,
            &QueryMsg::ActiveLots {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert!(r.lots.iter().all(|l| l.status == LotStatus::NeedsReset));
    assert_eq!(r.lots.len(), 3);
    let err = s
        .app
        .wrap()
        .query_wasm_smart::<LotResponse>(&s.auction, &QueryMsg::Lot { lot_id: 9 })
        .unwrap_err();
    assert!(err.to_string().contains("unknown lot 9"), "{err}");
}

#[test]
fn the_exponential_price_matches_the_formula_at_each_step() {
    let mut s = setup();
    s.start_standard();
    let start = s.now();
    for t in [0u64, 59, 60, 61, 600, 1_799, 1_800, 3_600] {
        let now = s.now();
        s.advance(start + t - now);
        let expected = ballast_types::math::dec_mul(
            d("12"),
            ballast_types::math::dec_pow(d("0.99"), t / 60).unwrap(),
            ballast_types::math::Rounding::Down,
        )
        .unwrap();
        assert_eq!(s.lot(1).current_price, expected, "at {t} s");
    }
}
