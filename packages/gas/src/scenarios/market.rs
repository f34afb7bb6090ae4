//! The market, auction and backstop operations (deposit, borrow, repay, withdraw, liquidate and
//! bid, reset, cover shortfall, ADL step) and their scaling runs. Each runs once its contracts'
//! artifacts exist and is skipped (with a message) until then.

use anyhow::{anyhow, ensure, Context, Result};
use ballast_types::auction::{self, AuctionParams, Curve};
use ballast_types::backstop::{self, BackstopParams};
use ballast_types::market::{
    AssetParams, ExecuteMsg, InstantiateMsg, InterestModel, LiquidateResponse, PositionResponse,
    QueryMsg,
};
use cosmwasm_std::{Coin, Decimal, Decimal256, Uint128};

use super::{user, Deployment, Op, Prices, Scaling, Scenario, ATOM, OSMO, QUOTE};
use crate::price::Gas;

const MARKET: &[&str] = &["ballast-oracle", "ballast-market"];
const PROTOCOL: &[&str] = &[
    "ballast-oracle",
    "ballast-market",
    "ballast-auction",
    "ballast-backstop",
];

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "market, fixed prices",
            contracts: MARKET,
            prices: Prices::Fixed,
            run: market_ops,
        },
        Scenario {
            name: "market, Pyth prices",
            contracts: MARKET,
            prices: Prices::Pyth,
            run: market_ops,
        },
        Scenario {
            name: "liquidation, fixed prices",
            contracts: PROTOCOL,
            prices: Prices::Fixed,
            run: liquidation_ops,
        },
        Scenario {
            name: "liquidation, Pyth prices",
            contracts: PROTOCOL,
            prices: Prices::Pyth,
            run: liquidation_ops,
        },
        Scenario {
            name: "shortfall and ADL",
            contracts: PROTOCOL,
            prices: Prices::Fixed,
            run: shortfall_ops,
        },
    ]
}

pub fn scalings() -> Vec<Scaling> {
    vec![
        Scaling {
            name: "market: deposit with N accounts stored",
            contracts: MARKET,
            prices: Prices::Fixed,
            run: deposit_with_accounts,
        },
        Scaling {
            name: "market: borrow with N borrowers stored",
            contracts: MARKET,
            prices: Prices::Fixed,
            run: borrow_with_accounts,
        },
    ]
}

pub fn asset_params() -> AssetParams {
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

pub fn auction_params() -> AuctionParams {
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

pub fn backstop_params() -> BackstopParams {
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

pub fn instantiate(d: &Deployment) -> Result<String> {
    let msg = InstantiateMsg {
        owner: d.owner.clone(),
        guardian: Some(d.guardian.clone()),
        oracle: d.oracle()?.to_string(),
        auction: None,
        backstop: None,
        quote_denom: QUOTE.into(),
        target_hf: Decimal::percent(105),
        full_liquidation_hf: Decimal::percent(95),
        ramp_duration: 7 * 86_400,
        grace_period: 3600,
        dust_value: Uint128::new(1_000_000),
    };
    d.chain.instantiate(
        d.code_id("ballast-market")?,
        &d.owner,
        &msg,
        &[],
        "ballast-market",
    )
}

pub fn instantiate_auction(d: &Deployment) -> Result<String> {
    let msg = auction::InstantiateMsg {
        owner: d.owner.clone(),
        market: d.market()?.to_string(),
        params: auction_params(),
    };
    d.chain.instantiate(
        d.code_id("ballast-auction")?,
        &d.owner,
        &msg,
        &[],
        "ballast-auction",
    )
}

pub fn instantiate_backstop(d: &Deployment) -> Result<String> {
    let msg = backstop::InstantiateMsg {
        owner: d.owner.clone(),
        market: d.market()?.to_string(),
        oracle: d.oracle()?.to_string(),
        params: backstop_params(),
    };
    d.chain.instantiate(
        d.code_id("ballast-backstop")?,
        &d.owner,
        &msg,
        &[],
        "ballast-backstop",
    )
}

/// Wires the auction and backstop into the market's registry and lists the three assets.
pub fn configure(d: &Deployment) -> Result<()> {
    let market = d.market()?;
    if d.auction.is_some() || d.backstop.is_some() {
        d.chain.execute(
            market,
            &d.owner,
            &ExecuteMsg::UpdateConfig {
                guardian: None,
                oracle: None,
                auction: d.auction.clone(),
                backstop: d.backstop.clone(),
                target_hf: None,
                full_liquidation_hf: None,
                ramp_duration: None,
                grace_period: None,
                dust_value: None,
            },
            &[],
        )?;
    }
    for denom in [QUOTE, ATOM, OSMO] {
        d.chain.execute(
            market,
            &d.owner,
            &ExecuteMsg::InitAsset {
                denom: denom.into(),
                params: asset_params(),
            },
            &[],
        )?;
    }
    Ok(())
}

fn coin(amount: u128, denom: &str) -> Coin {
    Coin::new(Uint128::new(amount), denom)
}

fn deposit(d: &Deployment, who: &str, c: Coin) -> Result<()> {
    d.chain
        .execute(
            d.market()?,
            who,
            &ExecuteMsg::Deposit { on_behalf_of: None },
            &[c],
        )
        .map(|_| ())
}

fn borrow_msg(denom: &str, amount: u128) -> ExecuteMsg {
    ExecuteMsg::Borrow {
        denom: denom.into(),
        amount: Uint128::new(amount),
        recipient: None,
    }
}

fn withdraw_msg(denom: &str, amount: u128) -> ExecuteMsg {
    ExecuteMsg::Withdraw {
        denom: denom.into(),
        amount: Some(Uint128::new(amount)),
        recipient: None,
    }
}

/// Liquidity for borrowers: bob supplies 10M of each denom.
fn seed_liquidity(d: &Deployment) -> Result<()> {
    let bob = user("bob");
    for denom in [QUOTE, ATOM, OSMO] {
        deposit(d, &bob, coin(10_000_000_000_000, denom))?;
    }
    Ok(())
}

fn market_ops(d: &Deployment) -> Result<Vec<Op>> {
    let market = d.market()?.to_string();
    let tag = d.prices.label();
    let alice = user("alice");
    let carol = user("carol");
    let mut ops = vec![];
    seed_liquidity(d)?;

    let (op, _) = d.op(format!("market: deposit, new account ({tag})"), |c| {
        c.execute(
            &market,
            &alice,
            &ExecuteMsg::Deposit { on_behalf_of: None },
            &[coin(10_000_000_000, ATOM)],
        )
    })?;
    ops.push(op);
    let (op, _) = d.op(format!("market: deposit, same denom again ({tag})"), |c| {
        c.execute(
            &market,
            &alice,
            &ExecuteMsg::Deposit { on_behalf_of: None },
            &[coin(1_000_000_000, ATOM)],
        )
    })?;
    ops.push(op);
    let (op, _) = d.op(format!("market: borrow ({tag})"), |c| {
        c.execute(&market, &alice, &borrow_msg(QUOTE, 20_000_000_000), &[])
    })?;
    ops.push(op);
    d.advance(86_400);
    let (op, _) = d.op(
        format!("market: deposit while interest accrues ({tag})"),
        |c| {
            c.execute(
                &market,
                &alice,
                &ExecuteMsg::Deposit { on_behalf_of: None },
                &[coin(1_000_000_000, ATOM)],
            )
        },
    )?;
    ops.push(op);
    let (op, _) = d.op(format!("market: repay, partial ({tag})"), |c| {
        c.execute(
            &market,
            &alice,
            &ExecuteMsg::Repay { on_behalf_of: None },
            &[coin(5_000_000_000, QUOTE)],
        )
    })?;
    ops.push(op);
    let (op, _) = d.op(
        format!("market: withdraw, account with debt ({tag})"),
        |c| c.execute(&market, &alice, &withdraw_msg(ATOM, 1_000_000_000), &[]),
    )?;
    ops.push(op);
    deposit(d, &carol, coin(1_000_000_000, OSMO))?;
    let (op, _) = d.op(format!("market: withdraw, no debt ({tag})"), |c| {
        c.execute(&market, &carol, &withdraw_msg(OSMO, 500_000_000), &[])
    })?;
    ops.push(op);
    let (op, _) = d.op(format!("market: query Position ({tag})"), |c| {
        c.query::<PositionResponse>(
            &market,
            &QueryMsg::Position {
                account: alice.clone(),
            },
        )
    })?;
    ops.push(op);
    Ok(ops)
}

/// An account that borrows up to its limit, then ATOM falls 20%: liquidatable.
fn make_liquidatable(d: &Deployment, who: &str) -> Result<()> {
    let market = d.market()?;
    deposit(d, who, coin(10_000_000_000, ATOM))?; // $100,000 of ATOM
    d.chain
        .execute(market, who, &borrow_msg(QUOTE, 69_000_000_000), &[])
        .context("borrowing to the limit")?;
    set_atom_price(d, 800_000_000)
}

/// Moves ATOM's price (Pyth: republish; Fixed: replace the source). Price in 1e-8 USD.
fn set_atom_price(d: &Deployment, pyth_price: i64) -> Result<()> {
    match d.prices {
        Prices::Pyth => {
            d.chain.set_pyth_feed(super::pyth_feed(
                super::ATOM_FEED,
                pyth_price,
                d.chain.now(),
            ));
        }
        Prices::Fixed => {
            let price = Decimal256::from_ratio(pyth_price as u128, 100_000_000u128);
            d.chain.execute(
                d.oracle()?,
                &d.owner,
                &ballast_types::oracle::ExecuteMsg::SetSource {
                    denom: ATOM.into(),
                    source: ballast_types::oracle::PriceSource::Fixed { price },
                },
                &[],
            )?;
        }
    }
    Ok(())
}

fn liquidation_ops(d: &Deployment) -> Result<Vec<Op>> {
    let market = d.market()?.to_string();
    let auction_addr = d.auction()?.to_string();
    let tag = d.prices.label();
    let keeper = user("keeper");
    let alice = user("alice");
    let mut ops = vec![];
    seed_liquidity(d)?;
    make_liquidatable(d, &alice)?;
    let (op, out) = d.op(format!("liquidation: Liquidate ({tag})"), |c| {
        c.execute(
            &market,
            &keeper,
            &ExecuteMsg::Liquidate {
                borrower: alice.clone(),
            },
            &[],
        )
    })?;
    ops.push(op);
    let lots: LiquidateResponse = serde_json::from_slice(
        out.data
            .as_deref()
            .ok_or_else(|| anyhow!("Liquidate returned no data"))?,
    )?;
    let lot_id = *lots.lot_ids.first().ok_or_else(|| anyhow!("no lot"))?;
    let lot: auction::LotResponse = d
        .chain
        .query(&auction_addr, &auction::QueryMsg::Lot { lot_id })?;
    let bidder = user("keeper2");
    let (op, _) = d.op(format!("liquidation: Bid, whole lot ({tag})"), |c| {
        c.execute(
            &auction_addr,
            &bidder,
            &auction::ExecuteMsg::Bid {
                lot_id,
                max_collateral: Uint128::MAX,
                max_price: Decimal256::from_ratio(1_000_000u128, 1u128),
                recipient: None,
            },
            &[coin(200_000_000_000, QUOTE)],
        )
    })?;
    ops.push(op);
    ensure!(
        lot.lot_id == lot_id,
        "lot {} answered for {lot_id}",
        lot.lot_id
    );
    let lot: auction::LotResponse = d
        .chain
        .query(&auction_addr, &auction::QueryMsg::Lot { lot_id })?;
    ensure!(
        lot.status == auction::LotStatus::Settled,
        "the whole-lot bid should settle the lot, it is {:?}",
        lot.status
    );

    // a second account whose lot times out and needs a reset
    let dave = user("dave");
    set_atom_price(d, 1_000_000_000)?;
    make_liquidatable(d, &dave)?;
    let out = d.chain.execute(
        &market,
        &keeper,
        &ExecuteMsg::Liquidate {
            borrower: dave.clone(),
        },
        &[],
    )?;
    let lots: LiquidateResponse = serde_json::from_slice(out.data.as_deref().unwrap_or(b"{}"))?;
    let lot_id = *lots.lot_ids.first().ok_or_else(|| anyhow!("no lot"))?;
    d.advance(auction_params().tail + 60);
    let (op, _) = d.op(format!("liquidation: Reset ({tag})"), |c| {
        c.execute(
            &auction_addr,
            &keeper,
            &auction::ExecuteMsg::Reset { lot_id },
            &[],
        )
    })?;
    ops.push(op);
    Ok(ops)
}

/// A bad debt: ATOM crashes below the debt's value, the lot fails, the backstop covers, ADL
/// takes the rest.
fn shortfall_ops(d: &Deployment) -> Result<Vec<Op>> {
    let market = d.market()?.to_string();
    let auction_addr = d.auction()?.to_string();
    let backstop_addr = d.backstop()?.to_string();
    let keeper = user("keeper");
    let alice = user("alice");
    let mut ops = vec![];
    seed_liquidity(d)?;
    d.chain.execute(
        &backstop_addr,
        &user("carol"),
        &backstop::ExecuteMsg::Fund {},
        &[coin(1_000_000_000, QUOTE)],
    )?;
    make_liquidatable(d, &alice)?;
    set_atom_price(d, 300_000_000)?;
    let out = d.chain.execute(
        &market,
        &keeper,
        &ExecuteMsg::Liquidate {
            borrower: alice.clone(),
        },
        &[],
    )?;
    let lots: LiquidateResponse = serde_json::from_slice(out.data.as_deref().unwrap_or(b"{}"))?;
    let lot_id = *lots.lot_ids.first().ok_or_else(|| anyhow!("no lot"))?;
    // resets until the lot fails: the failing one absorbs the lot (cover shortfall)
    let mut last = None;
    for _ in 0..=auction_params().max_resets {
        d.advance(auction_params().tail + 60);
        let (op, _) = d.op(
            "liquidation: Reset that fails the lot (absorb, cover shortfall)",
            |c| {
                c.execute(
                    &auction_addr,
                    &keeper,
                    &auction::ExecuteMsg::Reset { lot_id },
                    &[],
                )
            },
        )?;
        last = Some(op);
    }
    let lot: auction::LotResponse = d
        .chain
        .query(&auction_addr, &auction::QueryMsg::Lot { lot_id })?;
    ensure!(
        lot.status == auction::LotStatus::Failed,
        "the lot should have failed after {} resets, it is {:?}",
        auction_params().max_resets + 1,
        lot.status
    );
    ops.extend(last);
    let (op, _) = d.op("backstop: AdlStep (limit 10)", |c| {
        c.execute(
            &backstop_addr,
            &keeper,
            &backstop::ExecuteMsg::AdlStep {
                denom: QUOTE.into(),
                limit: 10,
            },
            &[],
        )
    })?;
    ops.push(op);
    Ok(ops)
}

// ------------------------------------------------------------------------------- scaling

fn deposit_with_accounts(d: &Deployment, n: u64) -> Result<Gas> {
    seed_liquidity(d)?;
    let template = user("template");
    d.chain.mint(&template, &[coin(1_000_000_000_000, ATOM)]);
    super::replicate_account(d, d.market()?, &template, n, |c| {
        deposit(d, &template, coin(1_000_000_000, ATOM))?;
        let _ = c;
        Ok(())
    })?;
    let alice = user("alice");
    let market = d.market()?.to_string();
    let (op, _) = d.op("deposit", |c| {
        c.execute(
            &market,
            &alice,
            &ExecuteMsg::Deposit { on_behalf_of: None },
            &[coin(1_000_000_000, ATOM)],
        )
    })?;
    Ok(op.gas)
}

fn borrow_with_accounts(d: &Deployment, n: u64) -> Result<Gas> {
    seed_liquidity(d)?;
    let template = user("template");
    d.chain.mint(&template, &[coin(1_000_000_000_000, ATOM)]);
    let market = d.market()?.to_string();
    super::replicate_account(d, &market, &template, n, |c| {
        deposit(d, &template, coin(1_000_000_000, ATOM))?;
        c.execute(&market, &template, &borrow_msg(QUOTE, 1_000_000_000), &[])?;
        Ok(())
    })?;
    let alice = user("alice");
    deposit(d, &alice, coin(10_000_000_000, ATOM))?;
    let (op, _) = d.op("borrow", |c| {
        c.execute(&market, &alice, &borrow_msg(QUOTE, 20_000_000_000), &[])
    })?;
    Ok(op.gas)
}
