//! The market, auction and backstop operations (deposit, borrow, repay, withdraw, liquidate and
//! bid, reset, cover shortfall, ADL step) and their scaling runs. Each runs once its contracts'
//! artifacts exist and is skipped (with a message) until then.

use anyhow::{anyhow, ensure, Context, Result};
use ballast_types::auction::{self, AuctionParams, Curve};
use ballast_types::backstop::{self, BackstopParams};
use ballast_types::market::{
    AdlQueueResponse, AssetParams, DeficitResponse, ExecuteMsg, InstantiateMsg, InterestModel,
    LiquidateResponse, PositionResponse, QueryMsg,
};
use cosmwasm_std::{Coin, Decimal, Decimal256, Event, Uint128};
use cw_storage_plus::Map;

use super::{
    grow_totals, renamed, scaled_account, snapshot, user, written_since, Deployment, Op, Prices,
    Scaling, Scenario, ATOM, OSMO, QUOTE,
};
use crate::chain::{Chain, Outcome};
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
        Scaling {
            name: "liquidation: Liquidate with N liquidated borrowers (N open lots) stored",
            contracts: PROTOCOL,
            prices: Prices::Fixed,
            run: liquidate_with_borrowers,
        },
        Scaling {
            name: "liquidation: Bid, whole lot, with N other open lots (N borrowers) stored",
            contracts: PROTOCOL,
            prices: Prices::Fixed,
            run: bid_with_lots,
        },
        Scaling {
            name: "backstop: AdlStep (limit 10, write-downs) with N scored suppliers stored",
            contracts: PROTOCOL,
            prices: Prices::Fixed,
            run: adl_step_with_suppliers,
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
    borrow_to_limit(d, who)?;
    set_atom_price(d, 800_000_000)
}

/// $100,000 of ATOM supplied as collateral, $69,000 of USD borrowed against it (the limit is
/// 70% at ATOM = 10).
fn borrow_to_limit(d: &Deployment, who: &str) -> Result<()> {
    deposit(d, who, coin(10_000_000_000, ATOM))?;
    d.chain
        .execute(d.market()?, who, &borrow_msg(QUOTE, 69_000_000_000), &[])
        .context("borrowing to the limit")?;
    Ok(())
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
        bid_whole_lot(c, &auction_addr, &bidder, lot_id)
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
/// takes the rest. No supplier of USD owes debt, so nobody is filed in its ADL buckets and the
/// step socialises the deficit.
fn shortfall_ops(d: &Deployment) -> Result<Vec<Op>> {
    let backstop_addr = d.backstop()?.to_string();
    let keeper = user("keeper");
    let mut ops = vec![];
    seed_liquidity(d)?;
    ops.push(run_to_deficit(d)?);
    let (op, out) = d.op(
        "backstop: AdlStep (limit 10, nobody filed: socialise)",
        |c| {
            c.execute(
                &backstop_addr,
                &keeper,
                &backstop::ExecuteMsg::AdlStep {
                    denom: QUOTE.into(),
                    limit: 10,
                },
                &[],
            )
        },
    )?;
    ensure!(
        events(&out, "wasm-ballast_adl").count() == 0
            && events(&out, "wasm-ballast_adl_socialize").count() == 1,
        "the step should socialise the deficit and write nobody down: {:?}",
        out.events
    );
    ops.push(op);
    Ok(ops)
}

/// Gives the backstop $1,000, then alice borrows to her limit and ATOM crashes to 3: her lot
/// fails after its resets and leaves a USD deficit that the fund covers only in part. Returns
/// the last reset (the one that fails the lot: absorb, cover shortfall), measured.
fn run_to_deficit(d: &Deployment) -> Result<Op> {
    let market = d.market()?.to_string();
    let auction_addr = d.auction()?.to_string();
    let keeper = user("keeper");
    let alice = user("alice");
    d.chain.execute(
        d.backstop()?,
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
    let lot_id = first_lot(&out)?;
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
    let deficit: DeficitResponse = d.chain.query(
        &market,
        &QueryMsg::Deficit {
            denom: QUOTE.into(),
        },
    )?;
    ensure!(!deficit.amount.is_zero(), "the failed lot left no deficit");
    last.ok_or_else(|| anyhow!("no reset ran"))
}

/// A bid that takes the whole lot: any collateral at any price up to $1,000,000 per unit,
/// with 200,000 USD of funds (more than any scenario's tab; the rest is refunded).
fn bid_whole_lot(c: &Chain, auction_addr: &str, bidder: &str, lot_id: u64) -> Result<Outcome> {
    c.execute(
        auction_addr,
        bidder,
        &auction::ExecuteMsg::Bid {
            lot_id,
            max_collateral: Uint128::MAX,
            max_price: Decimal256::from_ratio(1_000_000u128, 1u128),
            recipient: None,
        },
        &[coin(200_000_000_000, QUOTE)],
    )
}

/// The first lot id a `Liquidate` returned.
fn first_lot(out: &Outcome) -> Result<u64> {
    let lots: LiquidateResponse = serde_json::from_slice(
        out.data
            .as_deref()
            .ok_or_else(|| anyhow!("Liquidate returned no data"))?,
    )?;
    lots.lot_ids
        .first()
        .copied()
        .ok_or_else(|| anyhow!("Liquidate opened no lot"))
}

/// The events of type `ty` (contracts' custom events are `wasm-<type>`; their plain
/// attributes are in `wasm`).
fn events<'a>(out: &'a Outcome, ty: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
    out.events.iter().filter(move |e| e.ty == ty)
}

fn attr<'a>(e: &'a Event, key: &str) -> Option<&'a str> {
    e.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

/// The `wasm` event of `contract` whose `action` is `action`.
fn action<'a>(out: &'a Outcome, contract: &str, action: &str) -> Result<&'a Event> {
    events(out, "wasm")
        .find(|e| {
            attr(e, "_contract_address") == Some(contract) && attr(e, "action") == Some(action)
        })
        .ok_or_else(|| anyhow!("no '{action}' by {contract} in {:?}", out.events))
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

/// The market's and the auction's keys that the lot fill writes, as the contracts declare them
/// (`contracts/market/src/state.rs`, `contracts/auction/src/state.rs`; the auction's `LOTS` and
/// `NEXT_LOT_ID` are `ballast_types::auction`'s). The fill only rewrites records of these keys
/// that the template's liquidation wrote, so a renamed key fails the fill instead of filling the
/// wrong records.
const MARKET_LOTS: Map<u64, ()> = Map::new("lots");
const AUCTION_ACTIVE_LOTS: Map<u64, ()> = Map::new("active_lots");
const ADL_BUCKET_SUPPLY: Map<(&str, u8), Uint128> = Map::new("adl_bucket_supply");

/// The `ADL_BUCKET_SUPPLY` keys of `denom` (every bucket the backstop's parameters define).
fn bucket_supply_keys(denom: &str) -> Vec<Vec<u8>> {
    (0..=backstop_params().adl_buckets.len() as u8)
        .map(|b| ADL_BUCKET_SUPPLY.key((denom, b)).to_vec())
        .collect()
}

/// Fills the market and the auction with `n` liquidated borrowers, each with an open lot, for
/// free. A template borrows to its limit (at ATOM = 10), ATOM falls to 8.5 and the template is
/// liquidated for real, in part (it keeps debt and collateral). Every record written for it
/// that names it is copied to `n` other addresses (its account, its borrower and ADL index
/// entries in the market) and its lot to `n` further lot ids (the market's lot record, the
/// auction's lot and active-lot entry, the borrower renamed); the auction's next lot id moves
/// past them and ATOM's ADL bucket total counts the copies. Other totals (asset books,
/// in-auction caps) keep the template's figures. Leaves ATOM at 8, where an account that
/// borrowed to its limit at 10 is fully liquidatable (HF 0.93). Returns the next lot id.
fn fill_liquidated_borrowers(d: &Deployment, n: u64) -> Result<u64> {
    let market = d.market()?.to_string();
    let auction_addr = d.auction()?.to_string();
    let template = user("template");
    d.chain.mint(&template, &[coin(1_000_000_000_000, ATOM)]);
    let (market_before, auction_before) = (snapshot(d, &market), snapshot(d, &auction_addr));
    borrow_to_limit(d, &template)?;
    // HF 0.986: a partial liquidation, the template keeps debt and collateral
    set_atom_price(d, 850_000_000)?;
    let out = d.chain.execute(
        &market,
        &user("keeper"),
        &ExecuteMsg::Liquidate {
            borrower: template.clone(),
        },
        &[],
    )?;
    let lot_id = first_lot(&out)?;
    let market_written = written_since(d, &market, &market_before);
    let auction_written = written_since(d, &auction_addr, &auction_before);
    let lot_keys = [
        MARKET_LOTS.key(lot_id).to_vec(),
        auction::LOTS.key(lot_id).to_vec(),
        AUCTION_ACTIVE_LOTS.key(lot_id).to_vec(),
    ];
    for (key, store) in [
        (&lot_keys[0], &market_written),
        (&lot_keys[1], &auction_written),
        (&lot_keys[2], &auction_written),
    ] {
        ensure!(
            store.iter().any(|(k, _)| k == key),
            "the template's liquidation wrote no record at {key:?}"
        );
    }
    // The auction's active-lot entry does not name the borrower: take it by its key.
    let active: Vec<_> = auction_written
        .iter()
        .filter(|(k, _)| *k == lot_keys[2])
        .cloned()
        .collect();
    let next_id_key = auction::NEXT_LOT_ID.as_slice().to_vec();
    ensure!(
        auction_written
            .iter()
            .any(|(k, v)| *k == next_id_key
                && serde_json::from_slice::<u64>(v).ok() == Some(lot_id + 1)),
        "the auction's next lot id should follow the template's lot"
    );

    let relot = |records: Vec<(Vec<u8>, Vec<u8>)>, id: u64| -> Vec<(Vec<u8>, Vec<u8>)> {
        records
            .into_iter()
            .map(|(k, v)| {
                let k = if k == lot_keys[0] {
                    MARKET_LOTS.key(id).to_vec()
                } else if k == lot_keys[1] {
                    auction::LOTS.key(id).to_vec()
                } else if k == lot_keys[2] {
                    AUCTION_ACTIVE_LOTS.key(id).to_vec()
                } else {
                    k
                };
                (k, v)
            })
            .collect()
    };
    let (mut market_copies, mut auction_copies) = (vec![], vec![]);
    for i in 0..n {
        let addr = scaled_account(i);
        let id = lot_id + 1 + i;
        market_copies.extend(relot(renamed(&market_written, &template, &addr)?, id));
        let mut lot = renamed(&auction_written, &template, &addr)?;
        lot.extend(active.iter().cloned());
        auction_copies.extend(relot(lot, id));
    }
    ensure!(
        market_copies.len() as u64 == 4 * n && auction_copies.len() as u64 == 2 * n,
        "each copy should have an account, a borrower entry, an ADL entry and a lot record in \
         the market, a lot and an active-lot entry in the auction ({} and {} records for {n})",
        market_copies.len(),
        auction_copies.len()
    );
    d.chain.world().fill(&market, market_copies);
    d.chain.world().fill(&auction_addr, auction_copies);
    d.chain.world().fill(
        &auction_addr,
        [(next_id_key, serde_json::to_vec(&(lot_id + 1 + n))?)],
    );
    ensure!(
        grow_totals(d, &market, &market_before, &bucket_supply_keys(ATOM), n)? == 1,
        "the template should stay filed in one of ATOM's ADL buckets"
    );
    set_atom_price(d, 800_000_000)?;
    Ok(lot_id + 1 + n)
}

fn liquidate_with_borrowers(d: &Deployment, n: u64) -> Result<Gas> {
    seed_liquidity(d)?;
    let alice = user("alice");
    borrow_to_limit(d, &alice)?;
    let next_id = fill_liquidated_borrowers(d, n)?;
    let market = d.market()?.to_string();
    let auction_addr = d.auction()?.to_string();
    let (op, out) = d.op("liquidate", |c| {
        c.execute(
            &market,
            &user("keeper"),
            &ExecuteMsg::Liquidate {
                borrower: alice.clone(),
            },
            &[],
        )
    })?;
    // a new lot after the n copied ones, started in the auction
    let lot_id = first_lot(&out)?;
    ensure!(
        lot_id == next_id,
        "alice's lot is {lot_id}, expected {next_id}"
    );
    let liquidated = action(&out, &market, "liquidate")?;
    ensure!(
        attr(liquidated, "mode") == Some("full"),
        "alice (HF 0.93) should be liquidated in full: {liquidated:?}"
    );
    let started = action(&out, &auction_addr, "start_auction")?;
    ensure!(
        attr(started, "lot_id") == Some(lot_id.to_string().as_str())
            && events(&out, "wasm-ballast_lot").count() == 1,
        "one lot, {lot_id}, started in the auction: {:?}",
        out.events
    );
    Ok(op.gas)
}

fn bid_with_lots(d: &Deployment, n: u64) -> Result<Gas> {
    seed_liquidity(d)?;
    let alice = user("alice");
    borrow_to_limit(d, &alice)?;
    fill_liquidated_borrowers(d, n)?;
    let market = d.market()?.to_string();
    let auction_addr = d.auction()?.to_string();
    let out = d.chain.execute(
        &market,
        &user("keeper"),
        &ExecuteMsg::Liquidate {
            borrower: alice.clone(),
        },
        &[],
    )?;
    let lot_id = first_lot(&out)?;
    let (op, out) = d.op("bid", |c| {
        bid_whole_lot(c, &auction_addr, &user("keeper2"), lot_id)
    })?;
    // the whole lot: it closes, and the market is repaid and closes its record
    let bid = action(&out, &auction_addr, "bid")?;
    ensure!(
        attr(bid, "closed") == Some("true") && attr(bid, "kind") == Some("liquidation"),
        "the bid should close the liquidation lot: {bid:?}"
    );
    action(&out, &market, "repay_from_auction")?;
    let lot: auction::LotResponse = d
        .chain
        .query(&auction_addr, &auction::QueryMsg::Lot { lot_id })?;
    ensure!(
        lot.status == auction::LotStatus::Settled,
        "lot {lot_id} is {:?}",
        lot.status
    );
    Ok(op.gas)
}

/// A supplier of USD (its collateral, $1,000,000) that owes $600,000 of OSMO: leverage 1.5, filed
/// in USD's ADL bucket 2 (scores from 1 to 2).
fn make_levered_supplier(d: &Deployment, who: &str) -> Result<()> {
    d.chain.mint(who, &[coin(1_000_000_000_000, QUOTE)]);
    deposit(d, who, coin(1_000_000_000_000, QUOTE))?;
    d.chain
        .execute(d.market()?, who, &borrow_msg(OSMO, 1_200_000_000_000), &[])
        .context("the levered supplier's borrow")?;
    Ok(())
}

/// `AdlStep` (limit 10) against a real USD deficit (alice's failed lot) with `n + 1` levered USD
/// suppliers filed in one bucket: a template and `n` copies of its records (account, borrower
/// and ADL index entries), the bucket's total counting them all, so the round's pro-rata fraction
/// is that of `n + 1` suppliers. Each supplier the step reaches is written down (not netted, not
/// re-filed) and credited its share of the collateral held in kind; the deficit outlasts the
/// step, so nothing is socialised.
fn adl_step_with_suppliers(d: &Deployment, n: u64) -> Result<Gas> {
    seed_liquidity(d)?;
    let market = d.market()?.to_string();
    let backstop_addr = d.backstop()?.to_string();
    let template = user("template");
    let before = snapshot(d, &market);
    super::replicate_account(d, &market, &template, n, |_| {
        make_levered_supplier(d, &template)
    })?;
    ensure!(
        grow_totals(d, &market, &before, &bucket_supply_keys(QUOTE), n)? == 1,
        "the levered supplier should be filed in one of USD's buckets"
    );
    let queue: AdlQueueResponse = d.chain.query(
        &market,
        &QueryMsg::AdlQueue {
            denom: QUOTE.into(),
            limit: Some(2),
        },
    )?;
    ensure!(
        queue.entries.len() == 2,
        "the copies should be in USD's ADL queue: {queue:?}"
    );
    run_to_deficit(d)?;
    let limit = 10;
    let (op, out) = d.op("adl step", |c| {
        c.execute(
            &backstop_addr,
            &user("keeper"),
            &backstop::ExecuteMsg::AdlStep {
                denom: QUOTE.into(),
                limit,
            },
            &[],
        )
    })?;
    // the write-down path on `limit` filed suppliers, no socialisation, deficit left over
    let step = action(&out, &market, "run_adl")?;
    ensure!(
        attr(step, "accounts") == Some(limit.to_string().as_str())
            && attr(step, "socialized") == Some("0")
            && attr(step, "deficit").is_some_and(|a| a != "0"),
        "the step should write down {limit} filed suppliers and leave a deficit: {step:?}"
    );
    ensure!(events(&out, "wasm-ballast_adl_socialize").count() == 0);
    let written: Vec<&Event> = events(&out, "wasm-ballast_adl").collect();
    ensure!(
        written.len() == limit as usize,
        "{} write-downs",
        written.len()
    );
    for e in written {
        ensure!(
            attr(e, "refiled").is_none()
                && attr(e, "netted") == Some("0")
                && attr(e, "written_down").is_some_and(|a| a != "0")
                && attr(e, "credited").is_some_and(|a| !a.is_empty()),
            "each supplier should be written down and credited in kind: {e:?}"
        );
    }
    Ok(op.gas)
}
