//! The in-process chain: the whole protocol in a cw-multi-test `App` from one call, and a
//! Pyth-format price feed contract whose prices and publish times a test sets.
//!
//! ```no_run
//! use ballast_testing::{ProtocolBuilder, ATOM, QUOTE};
//! use cosmwasm_std::coin;
//! let mut p = ProtocolBuilder::new().build();
//! let alice = p.user("alice");
//! p.deposit(&alice, coin(1_000_000_000, ATOM)).unwrap();
//! p.borrow(&alice, QUOTE, 5_000_000_000u128).unwrap();
//! p.set_price(ATOM, "6".parse().unwrap());
//! assert!(p.position(&alice).liquidatable);
//! ```
//!
//! Deployment follows API.md: oracle, market, then auction and backstop (each given the
//! market's address), then the market's `UpdateConfig { auction, backstop }`.

pub mod pyth;

use cosmwasm_std::{coin, Addr, Coin, Decimal, Decimal256, Empty, StdResult, Uint128, Uint256};
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use serde::de::DeserializeOwned;
use serde::Serialize;

use ballast_types::auction::{self, AuctionParams, Curve, LotResponse};
use ballast_types::backstop::{self, BackstopParams};
use ballast_types::market::{self, AssetParams, AssetResponse, InterestModel, PositionResponse};
use ballast_types::oracle::{self, PriceSource};
use ballast_types::pyth::PythPrice;

/// The quote currency (a USD stablecoin with 6 decimals) and the two default risk assets.
pub const QUOTE: &str = "uusd";
pub const ATOM: &str = "uatom";
pub const OSMO: &str = "uosmo";
pub const QUOTE_DECIMALS: u8 = 6;
/// The Pyth feed id the builder gives ATOM (Pyth's real ATOM/USD id).
pub const ATOM_FEED: &str = "b00b60f88b03a6a625a8d1c048c3f66653edf217439983d037e7222c4e612819";
/// Balance every default user starts with, in each default denom.
pub const USER_BALANCE: u128 = 1_000_000_000_000_000;
/// Block time at genesis (2024-01-01T00:00:00Z).
pub const GENESIS_TIME: u64 = 1_704_067_200;

/// How the oracle prices an asset.
#[derive(Clone, Debug)]
pub enum PriceSetup {
    /// Quote smallest units per smallest unit.
    Fixed(Decimal256),
    /// A Pyth feed with `expo` and the denom's decimals; `price` in quote smallest units per
    /// smallest unit (converted to Pyth's integer form when set).
    Pyth {
        feed_id: String,
        price: Decimal256,
        expo: i32,
        denom_decimals: u8,
        /// Confidence as a share of the price.
        conf_share: Decimal,
        max_staleness: u64,
    },
}

#[derive(Clone, Debug)]
pub struct AssetSetup {
    pub denom: String,
    pub params: AssetParams,
    pub price: PriceSetup,
}

/// Risk parameters used for every default asset.
pub fn default_asset_params() -> AssetParams {
    AssetParams {
        max_ltv: Decimal::percent(70),
        liquidation_threshold: Decimal::percent(80),
        liquidation_penalty: Decimal::percent(5),
        reserve_factor: Decimal::percent(10),
        interest: InterestModel {
            base: Decimal::zero(),
            slope_1: Decimal::percent(4),
            slope_2: Decimal::percent(75),
            optimal_utilization: Decimal::percent(80),
        },
        supply_cap: Uint128::zero(),
        borrow_cap: Uint128::zero(),
        min_debt: Uint128::new(1_000_000),
        deposit_enabled: true,
        borrow_enabled: true,
        collateral_enabled: true,
    }
}

pub fn default_auction_params() -> AuctionParams {
    AuctionParams {
        buf: Decimal::percent(120),
        curve: Curve::Exponential {
            cut: Decimal::percent(99),
            step: 60,
        },
        tail: 3 * 3600,
        cusp: Decimal::percent(40),
        max_resets: 3,
        tip: Uint128::new(1_000_000),
        chip: Decimal::permille(1),
        max_in_auction: Uint128::new(10_000_000_000_000),
        max_in_auction_per_denom: vec![],
    }
}

pub fn default_backstop_params() -> BackstopParams {
    BackstopParams {
        stake_denom: QUOTE.to_string(),
        max_cover_per_event: Decimal::percent(50),
        stake_cooldown: 7 * 86_400,
        max_drawdown: Decimal::percent(30),
        drawdown_window: 86_400,
        adl_buckets: vec![
            Decimal::percent(50),
            Decimal::one(),
            Decimal::percent(200),
            Decimal::percent(400),
            Decimal::percent(800),
        ],
        adl_min_hf: Decimal::percent(105),
    }
}

/// The market's own configuration, as the builder instantiates it.
#[derive(Clone, Debug)]
pub struct MarketSetup {
    pub target_hf: Decimal,
    pub full_liquidation_hf: Decimal,
    pub ramp_duration: u64,
    pub grace_period: u64,
    pub dust_value: Uint128,
}

impl Default for MarketSetup {
    fn default() -> Self {
        MarketSetup {
            target_hf: Decimal::percent(105),
            full_liquidation_hf: Decimal::percent(95),
            ramp_duration: 7 * 86_400,
            grace_period: 3600,
            dust_value: Uint128::new(1_000_000),
        }
    }
}

/// Configures and deploys the protocol. Defaults: USD (fixed $1), ATOM (Pyth, $10) and OSMO
/// (fixed $0.50), all with `default_asset_params`; users alice, bob, carol, dave and keeper
/// holding `USER_BALANCE` of each.
pub struct ProtocolBuilder {
    assets: Vec<AssetSetup>,
    users: Vec<(String, Vec<Coin>)>,
    market: MarketSetup,
    auction_params: AuctionParams,
    backstop_params: BackstopParams,
    wire_liquidations: bool,
}

impl Default for ProtocolBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ProtocolBuilder {
    pub fn new() -> Self {
        let params = default_asset_params();
        let assets = vec![
            AssetSetup {
                denom: QUOTE.into(),
                params: params.clone(),
                price: PriceSetup::Fixed(Decimal256::one()),
            },
            AssetSetup {
                denom: ATOM.into(),
                params: params.clone(),
                price: PriceSetup::Pyth {
                    feed_id: ATOM_FEED.into(),
                    price: Decimal256::from_ratio(10u8, 1u8),
                    expo: -8,
                    denom_decimals: 6,
                    conf_share: Decimal::permille(1),
                    max_staleness: 60,
                },
            },
            AssetSetup {
                denom: OSMO.into(),
                params,
                price: PriceSetup::Fixed(Decimal256::percent(50)),
            },
        ];
        let balances = vec![
            coin(USER_BALANCE, QUOTE),
            coin(USER_BALANCE, ATOM),
            coin(USER_BALANCE, OSMO),
        ];
        let users = ["alice", "bob", "carol", "dave", "keeper", "keeper2"]
            .iter()
            .map(|u| (u.to_string(), balances.clone()))
            .collect();
        ProtocolBuilder {
            assets,
            users,
            market: MarketSetup::default(),
            auction_params: default_auction_params(),
            backstop_params: default_backstop_params(),
            wire_liquidations: true,
        }
    }

    /// Replaces the asset list.
    pub fn assets(mut self, assets: Vec<AssetSetup>) -> Self {
        self.assets = assets;
        self
    }

    /// Adds an asset after the default ones (or replaces the one of its denom).
    pub fn asset(mut self, asset: AssetSetup) -> Self {
        self.assets.retain(|a| a.denom != asset.denom);
        self.assets.push(asset);
        self
    }

    /// Changes one asset's parameters.
    pub fn asset_params(mut self, denom: &str, f: impl FnOnce(&mut AssetParams)) -> Self {
        if let Some(a) = self.assets.iter_mut().find(|a| a.denom == denom) {
            f(&mut a.params);
        }
        self
    }

    /// Adds a user (or replaces its balances).
    pub fn user(mut self, name: &str, balances: Vec<Coin>) -> Self {
        self.users.retain(|(n, _)| n != name);
        self.users.push((name.to_string(), balances));
        self
    }

    pub fn market(mut self, f: impl FnOnce(&mut MarketSetup)) -> Self {
        f(&mut self.market);
        self
    }

    pub fn auction_params(mut self, f: impl FnOnce(&mut AuctionParams)) -> Self {
        f(&mut self.auction_params);
        self
    }

    pub fn backstop_params(mut self, f: impl FnOnce(&mut BackstopParams)) -> Self {
        f(&mut self.backstop_params);
        self
    }

    /// Deploys the auction and backstop but leaves them out of the market's config (so
    /// `Liquidate` answers "auction not configured").
    pub fn without_liquidations(mut self) -> Self {
        self.wire_liquidations = false;
        self
    }

    pub fn build(self) -> Protocol {
        let users = self.users.clone();
        let mut app = App::new(|router, api, storage| {
            for (name, balances) in &users {
                router
                    .bank
                    .init_balance(storage, &api.addr_make(name), balances.clone())
                    .expect("genesis balances");
            }
        });
        app.update_block(|b| {
            b.time = cosmwasm_std::Timestamp::from_seconds(GENESIS_TIME);
            b.height = 1;
        });
        let owner = app.api().addr_make("owner");
        let guardian = app.api().addr_make("guardian");

        let pyth_code = app.store_code(pyth::pyth_contract());
        let oracle_code = app.store_code(Box::new(
            ContractWrapper::new(
                ballast_oracle::contract::execute,
                ballast_oracle::contract::instantiate,
                ballast_oracle::contract::query,
            )
            .with_migrate(ballast_oracle::contract::migrate),
        ));
        let market_code = app.store_code(Box::new(
            ContractWrapper::new(
                ballast_market::contract::execute,
                ballast_market::contract::instantiate,
                ballast_market::contract::query,
            )
            .with_migrate(ballast_market::contract::migrate),
        ));
        let auction_code = app.store_code(Box::new(
            ContractWrapper::new(
                ballast_auction::contract::execute,
                ballast_auction::contract::instantiate,
                ballast_auction::contract::query,
            )
            .with_migrate(ballast_auction::contract::migrate),
        ));
        let backstop_code = app.store_code(Box::new(
            ContractWrapper::new(
                ballast_backstop::contract::execute,
                ballast_backstop::contract::instantiate,
                ballast_backstop::contract::query,
            )
            .with_migrate(ballast_backstop::contract::migrate),
        ));

        let pyth = app
            .instantiate_contract(pyth_code, owner.clone(), &Empty {}, &[], "pyth", None)
            .expect("pyth mock");
        let oracle = app
            .instantiate_contract(
                oracle_code,
                owner.clone(),
                &oracle::InstantiateMsg {
                    owner: owner.to_string(),
                    quote_denom: QUOTE.into(),
                    quote_decimals: QUOTE_DECIMALS,
                },
                &[],
                "ballast-oracle",
                Some(owner.to_string()),
            )
            .expect("oracle");
        let market = app
            .instantiate_contract(
                market_code,
                owner.clone(),
                &market::InstantiateMsg {
                    owner: owner.to_string(),
                    guardian: Some(guardian.to_string()),
                    oracle: oracle.to_string(),
                    auction: None,
                    backstop: None,
                    quote_denom: QUOTE.into(),
                    target_hf: self.market.target_hf,
                    full_liquidation_hf: self.market.full_liquidation_hf,
                    ramp_duration: self.market.ramp_duration,
                    grace_period: self.market.grace_period,
                    dust_value: self.market.dust_value,
                },
                &[],
                "ballast-market",
                Some(owner.to_string()),
            )
            .expect("market");
        let auction = app
            .instantiate_contract(
                auction_code,
                owner.clone(),
                &auction::InstantiateMsg {
                    owner: owner.to_string(),
                    market: market.to_string(),
                    params: self.auction_params.clone(),
                },
                &[],
                "ballast-auction",
                Some(owner.to_string()),
            )
            .expect("auction");
        let backstop = app
            .instantiate_contract(
                backstop_code,
                owner.clone(),
                &backstop::InstantiateMsg {
                    owner: owner.to_string(),
                    market: market.to_string(),
                    oracle: oracle.to_string(),
                    params: self.backstop_params.clone(),
                },
                &[],
                "ballast-backstop",
                Some(owner.to_string()),
            )
            .expect("backstop");

        let mut protocol = Protocol {
            app,
            owner,
            guardian,
            oracle,
            market,
            auction,
            backstop,
            pyth,
            assets: self.assets.clone(),
            refresh_pyth_on_advance: true,
        };
        if self.wire_liquidations {
            protocol
                .execute_market(
                    &protocol.owner.clone(),
                    &market::ExecuteMsg::UpdateConfig {
                        guardian: None,
                        oracle: None,
                        auction: Some(protocol.auction.to_string()),
                        backstop: Some(protocol.backstop.to_string()),
                        target_hf: None,
                        full_liquidation_hf: None,
                        ramp_duration: None,
                        grace_period: None,
                        dust_value: None,
                    },
                    &[],
                )
                .expect("wire auction and backstop");
        }
        for asset in self.assets {
            let owner = protocol.owner.clone();
            protocol
                .execute_market(
                    &owner,
                    &market::ExecuteMsg::InitAsset {
                        denom: asset.denom.clone(),
                        params: asset.params.clone(),
                    },
                    &[],
                )
                .expect("init asset");
            protocol.configure_source(&asset.denom, &asset.price);
        }
        protocol
    }
}

/// The deployed protocol and its chain.
pub struct Protocol {
    pub app: App,
    pub owner: Addr,
    pub guardian: Addr,
    pub oracle: Addr,
    pub market: Addr,
    pub auction: Addr,
    pub backstop: Addr,
    pub pyth: Addr,
    pub assets: Vec<AssetSetup>,
    /// Moving time republishes every Pyth price at the new time (feeds stay fresh), unless a
    /// test turns this off to see staleness.
    pub refresh_pyth_on_advance: bool,
}

impl Protocol {
    /// The address of a named user (deterministic, valid bech32).
    pub fn user(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    /// Moves the chain `seconds` ahead (and one block per 6 s).
    pub fn advance(&mut self, seconds: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += seconds.div_ceil(6).max(1);
        });
        if self.refresh_pyth_on_advance {
            let pyth_assets: Vec<AssetSetup> = self
                .assets
                .iter()
                .filter(|a| matches!(a.price, PriceSetup::Pyth { .. }))
                .cloned()
                .collect();
            for asset in pyth_assets {
                self.publish_pyth(&asset.price);
            }
        }
    }

    fn setup(&self, denom: &str) -> PriceSetup {
        self.assets
            .iter()
            .find(|a| a.denom == denom)
            .map(|a| a.price.clone())
            .unwrap_or_else(|| panic!("no asset {denom} in this protocol"))
    }

    fn configure_source(&mut self, denom: &str, setup: &PriceSetup) {
        let source = match setup {
            PriceSetup::Fixed(price) => PriceSource::Fixed { price: *price },
            PriceSetup::Pyth {
                feed_id,
                expo: _,
                denom_decimals,
                max_staleness,
                ..
            } => {
                self.publish_pyth(setup);
                PriceSource::Pyth {
                    contract: self.pyth.to_string(),
                    feed_id: feed_id.clone(),
                    max_staleness: *max_staleness,
                    max_confidence: Decimal::percent(2),
                    max_deviation: Decimal::percent(10),
                    conf_multiplier: Decimal::one(),
                    denom_decimals: *denom_decimals,
                }
            }
        };
        let owner = self.owner.clone();
        let oracle = self.oracle.clone();
        self.app
            .execute_contract(
                owner,
                oracle,
                &oracle::ExecuteMsg::SetSource {
                    denom: denom.into(),
                    source,
                },
                &[],
            )
            .expect("set source");
    }

    /// Pyth's integer form of a price in quote smallest units per denom smallest unit:
    /// `price × 10^(denom_decimals − quote_decimals − expo)`.
    pub fn pyth_integer(price: Decimal256, expo: i32, denom_decimals: u8) -> i64 {
        let shift = denom_decimals as i32 - QUOTE_DECIMALS as i32 - expo;
        let scaled = if shift >= 0 {
            price * Decimal256::from_atomics(Uint256::from(10u8).pow(shift as u32), 0).unwrap()
        } else {
            price / Decimal256::from_atomics(Uint256::from(10u8).pow((-shift) as u32), 0).unwrap()
        };
        let whole = Uint128::try_from(scaled.to_uint_floor()).expect("pyth price fits u128");
        i64::try_from(whole.u128()).expect("pyth price fits i64")
    }

    fn publish_pyth(&mut self, setup: &PriceSetup) {
        if let PriceSetup::Pyth {
            feed_id,
            price,
            expo,
            denom_decimals,
            conf_share,
            ..
        } = setup
        {
            let raw = Self::pyth_integer(*price, *expo, *denom_decimals);
            let conf = (Decimal::from_ratio(raw as u128, 1u128) * *conf_share)
                .to_uint_floor()
                .u128() as u64;
            let now = self.now() as i64;
            self.set_pyth_feed(
                feed_id,
                PythPrice {
                    price: raw,
                    conf,
                    expo: *expo,
                    publish_time: now,
                },
                PythPrice {
                    price: raw,
                    conf,
                    expo: *expo,
                    publish_time: now,
                },
            );
        }
    }

    /// Sets a Pyth feed's raw price and EMA (for staleness, confidence and deviation tests).
    pub fn set_pyth_feed(&mut self, feed_id: &str, price: PythPrice, ema_price: PythPrice) {
        let owner = self.owner.clone();
        let pyth_addr = self.pyth.clone();
        self.app
            .execute_contract(
                owner,
                pyth_addr,
                &pyth::PythMockExecuteMsg::SetFeed {
                    id: feed_id.to_string(),
                    price,
                    ema_price,
                },
                &[],
            )
            .expect("set pyth feed");
    }

    /// Sets a denom's price (quote smallest units per smallest unit), whatever its source: a
    /// fixed source is replaced, a Pyth feed republished at the block time with EMA = price.
    pub fn set_price(&mut self, denom: &str, price: Decimal256) {
        let mut setup = self.setup(denom);
        match &mut setup {
            PriceSetup::Fixed(p) => *p = price,
            PriceSetup::Pyth { price: p, .. } => *p = price,
        }
        if let Some(a) = self.assets.iter_mut().find(|a| a.denom == denom) {
            a.price = setup.clone();
        }
        match setup {
            PriceSetup::Fixed(_) => self.configure_source(denom, &setup),
            PriceSetup::Pyth { .. } => self.publish_pyth(&setup),
        }
    }

    pub fn price(&self, denom: &str) -> Decimal256 {
        match self.setup(denom) {
            PriceSetup::Fixed(p) => p,
            PriceSetup::Pyth { price, .. } => price,
        }
    }

    // --- execute helpers -----------------------------------------------------------------

    pub fn execute_market(
        &mut self,
        sender: &Addr,
        msg: &market::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let market = self.market.clone();
        self.app
            .execute_contract(sender.clone(), market, msg, funds)
    }

    pub fn execute_auction(
        &mut self,
        sender: &Addr,
        msg: &auction::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let contract = self.auction.clone();
        self.app
            .execute_contract(sender.clone(), contract, msg, funds)
    }

    pub fn execute_backstop(
        &mut self,
        sender: &Addr,
        msg: &backstop::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let contract = self.backstop.clone();
        self.app
            .execute_contract(sender.clone(), contract, msg, funds)
    }

    pub fn execute_oracle(
        &mut self,
        sender: &Addr,
        msg: &oracle::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let contract = self.oracle.clone();
        self.app
            .execute_contract(sender.clone(), contract, msg, funds)
    }

    pub fn deposit(&mut self, user: &Addr, funds: Coin) -> StdResult<AppResponse> {
        self.execute_market(
            user,
            &market::ExecuteMsg::Deposit { on_behalf_of: None },
            &[funds],
        )
    }

    pub fn withdraw(
        &mut self,
        user: &Addr,
        denom: &str,
        amount: Option<u128>,
    ) -> StdResult<AppResponse> {
        self.execute_market(
            user,
            &market::ExecuteMsg::Withdraw {
                denom: denom.into(),
                amount: amount.map(Uint128::new),
                recipient: None,
            },
            &[],
        )
    }

    pub fn borrow(
        &mut self,
        user: &Addr,
        denom: &str,
        amount: impl Into<Uint128>,
    ) -> StdResult<AppResponse> {
        self.execute_market(
            user,
            &market::ExecuteMsg::Borrow {
                denom: denom.into(),
                amount: amount.into(),
                recipient: None,
            },
            &[],
        )
    }

    pub fn repay(&mut self, user: &Addr, funds: Coin) -> StdResult<AppResponse> {
        self.execute_market(
            user,
            &market::ExecuteMsg::Repay { on_behalf_of: None },
            &[funds],
        )
    }

    pub fn liquidate(&mut self, keeper: &Addr, borrower: &Addr) -> StdResult<AppResponse> {
        self.execute_market(
            keeper,
            &market::ExecuteMsg::Liquidate {
                borrower: borrower.to_string(),
            },
            &[],
        )
    }

    pub fn bid(
        &mut self,
        bidder: &Addr,
        lot_id: u64,
        max_collateral: u128,
        max_price: Decimal256,
        funds: Coin,
    ) -> StdResult<AppResponse> {
        self.execute_auction(
            bidder,
            &auction::ExecuteMsg::Bid {
                lot_id,
                max_collateral: Uint128::new(max_collateral),
                max_price,
                recipient: None,
            },
            &[funds],
        )
    }

    pub fn reset(&mut self, keeper: &Addr, lot_id: u64) -> StdResult<AppResponse> {
        self.execute_auction(keeper, &auction::ExecuteMsg::Reset { lot_id }, &[])
    }

    /// The owner sets `denom`'s oracle circuit (`oracle::UpdateCircuitParams`).
    pub fn set_circuit(
        &mut self,
        denom: &str,
        max_move: Decimal,
        move_window: u64,
        cooldown: u64,
    ) -> StdResult<AppResponse> {
        let owner = self.owner.clone();
        self.execute_oracle(
            &owner,
            &oracle::ExecuteMsg::UpdateCircuitParams {
                denom: denom.into(),
                max_move,
                move_window,
                cooldown,
            },
            &[],
        )
    }

    /// A keeper records the current prices of `denoms` in their circuits (`oracle::Observe`).
    pub fn observe(&mut self, keeper: &Addr, denoms: &[&str]) -> StdResult<AppResponse> {
        let denoms = denoms.iter().map(|d| d.to_string()).collect();
        self.execute_oracle(keeper, &oracle::ExecuteMsg::Observe { denoms }, &[])
    }

    /// Tops up the insurance fund (`backstop::Fund`).
    pub fn fund(&mut self, user: &Addr, funds: Coin) -> StdResult<AppResponse> {
        self.execute_backstop(user, &backstop::ExecuteMsg::Fund {}, &[funds])
    }

    /// Stakes into the backstop's first-loss pool (`backstop::Stake`).
    pub fn stake(&mut self, user: &Addr, funds: Coin) -> StdResult<AppResponse> {
        self.execute_backstop(user, &backstop::ExecuteMsg::Stake {}, &[funds])
    }

    // --- queries -----------------------------------------------------------------------------

    pub fn query<T: DeserializeOwned>(
        &self,
        contract: &Addr,
        msg: &impl Serialize,
    ) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(contract, msg)
    }

    pub fn position(&self, user: &Addr) -> PositionResponse {
        self.query(
            &self.market,
            &market::QueryMsg::Position {
                account: user.to_string(),
            },
        )
        .expect("position")
    }

    pub fn asset(&self, denom: &str) -> AssetResponse {
        self.query(
            &self.market,
            &market::QueryMsg::Asset {
                denom: denom.into(),
            },
        )
        .expect("asset")
    }

    pub fn lot(&self, lot_id: u64) -> LotResponse {
        self.query(&self.auction, &auction::QueryMsg::Lot { lot_id })
            .expect("lot")
    }

    pub fn balance(&self, addr: &Addr, denom: &str) -> Uint128 {
        let amount = self
            .app
            .wrap()
            .query_balance(addr, denom)
            .expect("balance")
            .amount;
        Uint128::try_from(amount).expect("balance fits u128")
    }

    /// A user's supply of `denom` in the market (0 if none).
    pub fn supplied(&self, user: &Addr, denom: &str) -> Uint128 {
        self.position(user)
            .supply
            .iter()
            .find(|s| s.denom == denom)
            .map(|s| s.amount)
            .unwrap_or_default()
    }

    /// A user's debt of `denom` (0 if none).
    pub fn owed(&self, user: &Addr, denom: &str) -> Uint128 {
        self.position(user)
            .debt
            .iter()
            .find(|d| d.denom == denom)
            .map(|d| d.amount)
            .unwrap_or_default()
    }

    /// The lot ids a `Liquidate` response reports.
    pub fn lot_ids(response: &AppResponse) -> Vec<u64> {
        response
            .data
            .as_ref()
            .and_then(|d| cosmwasm_std::from_json::<market::LiquidateResponse>(d).ok())
            .map(|r| r.lot_ids)
            .unwrap_or_default()
    }
}

/// The value of an attribute in any event of a response.
pub fn attribute(response: &AppResponse, key: &str) -> Option<String> {
    response
        .events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}
