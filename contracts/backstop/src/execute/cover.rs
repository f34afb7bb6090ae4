//! Losses: `CoverShortfall` (market), `AbsorbLot` (auction), then ADL steps and sales of what
//! the fund absorbed.

use cosmwasm_std::{
    to_json_binary, Addr, Coin, CosmosMsg, Deps, DepsMut, Env, MessageInfo, Response, Uint128,
    WasmMsg,
};

use ballast_types::auction::{ExecuteMsg as AuctionMsg, LotKind, LotStatus};
use ballast_types::circuit::{CircuitLevel, GatedAction};
use ballast_types::funds::{amount_u128, describe, no_funds};
use ballast_types::market::{ExecuteMsg as MarketMsg, DEFICITS};
use ballast_types::math::{dec256, mul_dec, Rounding};
use ballast_types::oracle::query_circuit;

use crate::error::{ContractError, ContractResult};
use crate::execute::{
    ensure_market_allows, fund_balances, market_config, price_of, unauthorized, value_of_balances,
};
use crate::state::{
    Absorbed, Config, HighWaterMark, ABSORBED, AUCTION_LOTS, CONFIG, HIGH_WATER_MARK, PARAMS,
    STAKE_POOL,
};
use crate::waterfall::{cover, Holding, Loss, Pools};

/// The most accounts one ADL step may touch (the market enforces the same bound).
pub const MAX_ADL_LIMIT: u32 = 50;

/// Coins sorted by denom, merged, without zeros: the form a chain accepts as funds.
pub fn normalize(list: &[(String, Uint128)]) -> Vec<Coin> {
    let mut coins: Vec<Coin> = vec![];
    for (denom, amount) in list.iter().filter(|(_, a)| !a.is_zero()) {
        match coins.iter_mut().find(|c| &c.denom == denom) {
            Some(c) => c.amount += cosmwasm_std::Uint256::from(*amount),
            None => coins.push(Coin::new(*amount, denom.clone())),
        }
    }
    coins.sort_by(|a, b| a.denom.cmp(&b.denom));
    coins
}

/// Market only: a recognised shortfall. Funds must be exactly the listed collateral.
#[allow(clippy::too_many_arguments)]
pub fn cover_shortfall(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    amount: Uint128,
    borrower: String,
    collateral: Vec<Coin>,
    penalty_collected: Uint128,
) -> ContractResult<Response> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.market {
        return Err(unauthorized(&info.sender, "report shortfalls"));
    }
    let listed = normalize(
        &collateral
            .iter()
            .map(|c| (c.denom.clone(), amount_u128(c).unwrap_or_default()))
            .collect::<Vec<_>>(),
    );
    let sent = normalize(
        &info
            .funds
            .iter()
            .map(|c| (c.denom.clone(), amount_u128(c).unwrap_or_default()))
            .collect::<Vec<_>>(),
    );
    if listed != sent || info.funds.iter().any(|c| c.amount.is_zero()) {
        return Err(ContractError::InvalidFunds {
            expected: describe(&listed),
            got: describe(&info.funds),
        });
    }
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let borrower = deps.api.addr_validate(&borrower)?;
    run_cover(
        deps,
        &env,
        &config,
        LossReport {
            denom: &denom,
            amount,
            borrower: &borrower,
            collateral: &sent,
            penalty_collected,
            lot_id: None,
        },
    )
}

/// Auction only: a failed lot (Exact rule 5). The fund pays its debt as far as the waterfall
/// allows, keeps the collateral it paid for, and the rest is held in kind against the deficit.
/// A failed sale lot simply returns its collateral to what the fund has absorbed.
pub fn absorb_lot(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    lot_id: u64,
) -> ContractResult<Response> {
    let config = CONFIG.load(deps.storage)?;
    let market = market_config(&deps.querier, &config)?;
    let auction = market
        .auction
        .clone()
        .ok_or_else(|| ContractError::NotWired {
            what: "auction".into(),
        })?;
    if info.sender != auction {
        return Err(unauthorized(&info.sender, "hand over failed lots"));
    }
    let lot = AUCTION_LOTS
        .query(&deps.querier, auction, lot_id)?
        .ok_or(ContractError::UnknownLot { lot_id })?;
    if lot.status != LotStatus::Failed {
        return Err(ContractError::LotNotFailed {
            lot_id,
            status: format!("{:?}", lot.status).to_lowercase(),
        });
    }
    let expected = normalize(&[(lot.collateral_denom.clone(), lot.collateral)]);
    let sent = normalize(
        &info
            .funds
            .iter()
            .map(|c| (c.denom.clone(), amount_u128(c).unwrap_or_default()))
            .collect::<Vec<_>>(),
    );
    if expected != sent {
        return Err(ContractError::InvalidFunds {
            expected: describe(&expected),
            got: describe(&info.funds),
        });
    }
    if lot.kind == LotKind::Sale {
        add_absorbed(
            deps.storage,
            &lot.collateral_denom,
            lot.collateral,
            &lot.debt_denom,
        )?;
        return Ok(Response::new()
            .add_attribute("action", "absorb_lot")
            .add_attribute("lot_id", lot_id.to_string())
            .add_attribute("kind", "sale")
            .add_attribute("returned", describe(&sent)));
    }
    run_cover(
        deps,
        &env,
        &config,
        LossReport {
            denom: &lot.debt_denom,
            amount: lot.debt,
            borrower: &lot.borrower,
            collateral: &sent,
            penalty_collected: lot.penalty_collected,
            lot_id: Some(lot_id),
        },
    )
}

/// Lowers the absorbed record of `denom` to at most `held`, what the fund holds of it.
pub fn cap_absorbed(
    storage: &mut dyn cosmwasm_std::Storage,
    denom: &str,
    held: Uint128,
) -> ContractResult<()> {
    if let Some(mut entry) = ABSORBED.may_load(storage, denom)? {
        if entry.amount > held {
            entry.amount = held;
            if entry.amount.is_zero() {
                ABSORBED.remove(storage, denom);
            } else {
                ABSORBED.save(storage, denom, &entry)?;
            }
        }
    }
    Ok(())
}

fn add_absorbed(
    storage: &mut dyn cosmwasm_std::Storage,
    denom: &str,
    amount: Uint128,
    proceeds_denom: &str,
) -> ContractResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let mut entry = ABSORBED.may_load(storage, denom)?.unwrap_or(Absorbed {
        amount: Uint128::zero(),
        proceeds_denom: proceeds_denom.to_string(),
    });
    entry.amount += amount;
    ABSORBED.save(storage, denom, &entry)?;
    Ok(())
}

/// One loss as reported to the backstop: a recognised shortfall, or a failed lot (`lot_id`).
struct LossReport<'a> {
    denom: &'a str,
    amount: Uint128,
    borrower: &'a Addr,
    collateral: &'a [Coin],
    penalty_collected: Uint128,
    lot_id: Option<u64>,
}

/// The waterfall for one loss. Plan (the loss and the pools at Liquidation prices), apply (the
/// pure `waterfall::cover`), commit (what the fund keeps, what the stakers lose, the absorbed
/// records and the drawdown mark), respond: `ApplyCover` to the market first, then the
/// drawdown breaker when it trips.
fn run_cover(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    report: LossReport,
) -> ContractResult<Response> {
    let now = env.block.time.seconds();
    let denom = report.denom;
    // Plan.
    let params = PARAMS.load(deps.storage)?;
    let mut pool = STAKE_POOL.may_load(deps.storage)?.unwrap_or_default();
    let balances = fund_balances(deps.as_ref(), env, config, report.collateral)?;
    let price = |d: &str| price_of(&deps.querier, &config.oracle, d, now);
    let holding = |d: &str, amount: Uint128| Holding {
        denom: d.to_string(),
        amount,
        price: price(d),
    };
    let loss = Loss {
        denom: denom.to_string(),
        amount: report.amount,
        price: price(denom),
        collateral: report
            .collateral
            .iter()
            .map(|c| holding(&c.denom, amount_u128(c).unwrap_or_default()))
            .collect(),
        penalty_collected: report.penalty_collected,
    };
    let pools = Pools {
        fund: balances.iter().map(|(d, a)| holding(d, *a)).collect(),
        max_cover_per_event: params.max_cover_per_event,
        stake: holding(&params.stake_denom, pool.tokens),
    };
    // Apply.
    let outcome = cover(&loss, &pools)?;
    // Commit.
    for (d, kept) in &outcome.kept {
        add_absorbed(deps.storage, d, *kept, denom)?;
    }
    pool.tokens -= outcome.stake_loss;
    STAKE_POOL.save(deps.storage, &pool)?;
    let drawdown = record_drawdown(deps, config, &params, now, denom, &balances, &outcome)?;

    // Respond.
    let mut funds = vec![(denom.to_string(), outcome.cash)];
    funds.extend(outcome.in_kind.iter().cloned());
    let funds = normalize(&funds);
    let mut messages: Vec<CosmosMsg> = vec![];
    if report.lot_id.is_some() || !funds.is_empty() {
        messages.push(
            WasmMsg::Execute {
                contract_addr: config.market.to_string(),
                msg: to_json_binary(&MarketMsg::ApplyCover {
                    denom: denom.to_string(),
                    borrower: report.borrower.to_string(),
                    lot_id: report.lot_id,
                })?,
                funds,
            }
            .into(),
        );
    }
    if drawdown.tripped {
        messages.push(
            WasmMsg::Execute {
                contract_addr: config.market.to_string(),
                msg: to_json_binary(&MarketMsg::TripBreaker {
                    level: CircuitLevel::NoBorrows,
                    until: now + params.drawdown_window,
                })?,
                funds: vec![],
            }
            .into(),
        );
    }
    Ok(Response::new()
        .add_messages(messages)
        .add_attribute(
            "action",
            if report.lot_id.is_some() {
                "absorb_lot"
            } else {
                "cover_shortfall"
            },
        )
        .add_attribute("denom", denom)
        .add_attribute("borrower", report.borrower.as_str())
        .add_attribute("loss", report.amount)
        .add_attribute(
            "lot_id",
            report.lot_id.map(|i| i.to_string()).unwrap_or_default(),
        )
        .add_attribute("from_collateral", outcome.from_collateral)
        .add_attribute("from_penalty", outcome.from_penalty)
        .add_attribute("from_fund", outcome.from_fund)
        .add_attribute("from_stake", outcome.from_stake)
        .add_attribute("stake_loss", outcome.stake_loss)
        .add_attribute("in_kind", describe(&normalize(&outcome.in_kind)))
        .add_attribute("kept", describe(&normalize(&outcome.kept)))
        .add_attribute("deficit", outcome.deficit)
        .add_attribute("fund_value_before", drawdown.value_before)
        .add_attribute("fund_value_after", drawdown.value_after)
        .add_attribute("drawdown_breaker", drawdown.tripped.to_string()))
}

/// The fund's value before and after a loss, and whether the drawdown breaker trips.
struct Drawdown {
    value_before: Uint128,
    value_after: Uint128,
    tripped: bool,
}

/// Records the fund after a loss: what it gave away can no longer be sold as absorbed (nor keep
/// stakers' exits gated), and its value against the high-water mark inside the window decides
/// the drawdown breaker.
fn record_drawdown(
    deps: DepsMut,
    config: &Config,
    params: &ballast_types::backstop::BackstopParams,
    now: u64,
    denom: &str,
    balances: &[(String, Uint128)],
    outcome: &crate::waterfall::Cover,
) -> ContractResult<Drawdown> {
    let value_before = value_of_balances(&deps.querier, &config.oracle, now, balances)?;
    let mut after = balances.to_vec();
    for (d, a) in after.iter_mut() {
        if d == denom {
            *a = a.saturating_sub(outcome.from_penalty + outcome.from_fund);
        }
        if let Some((_, given)) = outcome.fund_in_kind.iter().find(|(g, _)| g == d) {
            *a = a.saturating_sub(*given);
        }
        if let Some((_, kept)) = outcome.kept.iter().find(|(k, _)| k == d) {
            *a += *kept;
        }
    }
    for (d, held) in &after {
        cap_absorbed(deps.storage, d, *held)?;
    }
    let value_after = value_of_balances(&deps.querier, &config.oracle, now, &after)?;
    let mut mark = HIGH_WATER_MARK.may_load(deps.storage)?.unwrap_or_default();
    if now.saturating_sub(mark.since) > params.drawdown_window || value_before > mark.value {
        mark = HighWaterMark {
            value: value_before,
            since: now,
        };
    }
    HIGH_WATER_MARK.save(deps.storage, &mark)?;
    let floor = mul_dec(
        mark.value,
        dec256(cosmwasm_std::Decimal::one() - params.max_drawdown),
        Rounding::Up,
    )?;
    Ok(Drawdown {
        value_before,
        value_after,
        tripped: !mark.value.is_zero() && value_after < floor,
    })
}

/// Keeper: one bounded ADL step, forwarded to the market where the index lives.
pub fn adl_step(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    limit: u32,
) -> ContractResult<Response> {
    no_funds(&info)?;
    if limit == 0 || limit > MAX_ADL_LIMIT {
        return Err(ContractError::InvalidLimit {
            limit,
            max: MAX_ADL_LIMIT,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    ensure_market_allows(
        &deps.querier,
        &config,
        env.block.time.seconds(),
        GatedAction::AdlStep,
    )?;
    let pending = DEFICITS
        .query(&deps.querier, config.market.clone(), denom.as_str())?
        .map(|d| d.amount)
        .unwrap_or_default();
    if pending.is_zero() {
        return Err(ContractError::NoDeficit { denom });
    }
    Ok(Response::new()
        .add_message(WasmMsg::Execute {
            contract_addr: config.market.to_string(),
            msg: to_json_binary(&MarketMsg::RunAdl {
                denom: denom.clone(),
                limit,
            })?,
            funds: vec![],
        })
        .add_attribute("action", "adl_step")
        .add_attribute("denom", denom)
        .add_attribute("limit", limit.to_string())
        .add_attribute("deficit", pending))
}

/// Puts absorbed collateral up for sale by auction. The owner may sell at any time; anyone
/// else only while the denom's oracle circuit is closed and the market's circuit level is 0
/// (the market can take it).
pub fn sell_absorbed(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    amount: Uint128,
    proceeds_denom: Option<String>,
) -> ContractResult<Response> {
    no_funds(&info)?;
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let config = CONFIG.load(deps.storage)?;
    let now = env.block.time.seconds();
    ensure_market_allows(
        &deps.querier,
        &config,
        now,
        GatedAction::SellAbsorbedByOwner,
    )?;
    if info.sender != config.owner {
        if let Some(circuit) = query_circuit(&deps.querier, &config.oracle, &denom)? {
            if circuit.is_open(now, price_of(&deps.querier, &config.oracle, &denom, now)) {
                return Err(ContractError::SaleBlocked { denom });
            }
        }
        // Nor while the market is stressed (a circuit level, manual or the fund's drawdown):
        // the fund keeps what it absorbed until the market can take it.
        let stressed = ensure_market_allows(
            &deps.querier,
            &config,
            now,
            GatedAction::SellAbsorbedByAnyone,
        );
        if let Err(ContractError::CircuitOpen { level, .. }) = stressed {
            return Err(ContractError::MarketStressed { level });
        }
    }
    let mut entry = ABSORBED.may_load(deps.storage, &denom)?.ok_or_else(|| {
        ContractError::InsufficientAbsorbed {
            denom: denom.clone(),
            requested: amount,
            available: Uint128::zero(),
        }
    })?;
    if amount > entry.amount {
        return Err(ContractError::InsufficientAbsorbed {
            denom,
            requested: amount,
            available: entry.amount,
        });
    }
    entry.amount -= amount;
    let proceeds = proceeds_denom.unwrap_or_else(|| entry.proceeds_denom.clone());
    if entry.amount.is_zero() {
        ABSORBED.remove(deps.storage, &denom);
    } else {
        ABSORBED.save(deps.storage, &denom, &entry)?;
    }
    let market = market_config(&deps.querier, &config)?;
    let auction = market.auction.ok_or_else(|| ContractError::NotWired {
        what: "auction".into(),
    })?;
    Ok(Response::new()
        .add_message(WasmMsg::Execute {
            contract_addr: auction.to_string(),
            msg: to_json_binary(&AuctionMsg::StartSale {
                proceeds_denom: proceeds.clone(),
            })?,
            funds: vec![Coin::new(amount, denom.clone())],
        })
        .add_attribute("action", "sell_absorbed")
        .add_attribute("denom", denom)
        .add_attribute("amount", amount)
        .add_attribute("proceeds_denom", proceeds))
}

/// What the fund's balances are worth (for queries).
pub fn fund_value(
    deps: Deps,
    env: &Env,
    config: &Config,
) -> ContractResult<(Vec<(String, Uint128)>, Uint128)> {
    let balances = fund_balances(deps, env, config, &[])?;
    let value = value_of_balances(
        &deps.querier,
        &config.oracle,
        env.block.time.seconds(),
        &balances,
    )?;
    Ok((balances, value))
}
