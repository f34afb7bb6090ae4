//! Shared by the invariant, attack and fuzz suites: reading every contract's books (smart and raw
//! queries), reconciling them with the bank to the unit, and reading the loss events.
//!
//! Raw reads use the contracts' own storage constants (`ballast_market::state`, …), so a change
//! of layout breaks these helpers at compile time rather than silently.

#![allow(dead_code)]

use std::collections::BTreeMap;

use ballast_testing::{Protocol, ATOM, OSMO, QUOTE};
use ballast_types::auction::{self, LotKind, LotsResponse};
use ballast_types::market::{self, DeficitsResponse, PositionResponse};
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_multi_test::AppResponse;

/// The builder's three assets.
pub const DENOMS: [&str; 3] = [QUOTE, ATOM, OSMO];

/// A coin's amount as u128 (bank amounts are Uint256 in cosmwasm-std 3).
pub fn amt(c: &cosmwasm_std::Coin) -> u128 {
    Uint128::try_from(c.amount).expect("coin fits u128").u128()
}

pub fn u(n: u128) -> Uint128 {
    Uint128::new(n)
}

/// `"123uatom"` → (123, "uatom").
pub fn parse_coin(text: &str) -> Option<(u128, String)> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let amount = text[..split].parse().ok()?;
    Some((amount, text[split..].to_string()))
}

/// One `wasm` or `wasm-*` event of a response, with the contract that emitted it.
#[derive(Clone, Debug)]
pub struct WasmEvent {
    pub ty: String,
    pub contract: String,
    pub attrs: Vec<(String, String)>,
}

impl WasmEvent {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.attrs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn amount(&self, key: &str) -> u128 {
        self.get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    }
}

/// Every contract event of a response, in execution order.
pub fn wasm_events(response: &AppResponse) -> Vec<WasmEvent> {
    response
        .events
        .iter()
        .filter(|e| e.ty == "wasm" || e.ty.starts_with("wasm-"))
        .map(|e| {
            let contract = e
                .attributes
                .iter()
                .find(|a| a.key == "_contract_address")
                .map(|a| a.value.clone())
                .unwrap_or_default();
            WasmEvent {
                ty: e.ty.clone(),
                contract,
                attrs: e
                    .attributes
                    .iter()
                    .filter(|a| a.key != "_contract_address")
                    .map(|a| (a.key.clone(), a.value.clone()))
                    .collect(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Queries that return errors instead of panicking (a refused price makes `Position` fail)
// ---------------------------------------------------------------------------------------------

pub fn try_position(p: &Protocol, who: &Addr) -> Result<PositionResponse, String> {
    p.query(
        &p.market,
        &market::QueryMsg::Position {
            account: who.to_string(),
        },
    )
    .map_err(|e| e.to_string())
}

pub fn active_lots(p: &Protocol) -> Vec<auction::LotResponse> {
    let mut out = vec![];
    let mut start_after = None;
    loop {
        let page: LotsResponse = p
            .query(
                &p.auction,
                &auction::QueryMsg::ActiveLots {
                    start_after,
                    limit: Some(100),
                },
            )
            .expect("active lots");
        let n = page.lots.len();
        start_after = page.lots.last().map(|l| l.lot_id);
        out.extend(page.lots);
        if n < 100 {
            return out;
        }
    }
}

pub fn deficits(p: &Protocol) -> BTreeMap<String, market::DeficitResponse> {
    let r: DeficitsResponse = p
        .query(&p.market, &market::QueryMsg::Deficits {})
        .expect("deficits");
    r.deficits
        .into_iter()
        .map(|d| (d.denom.clone(), d))
        .collect()
}

/// The market's raw account record (scaled balances, open lots), read from its storage.
pub fn raw_account(p: &Protocol, who: &Addr) -> ballast_market::state::Account {
    let store = p.app.contract_storage(&p.market);
    ballast_market::state::ACCOUNTS
        .may_load(&*store, who)
        .expect("raw account")
        .unwrap_or_default()
}

pub fn raw_asset_state(p: &Protocol, denom: &str) -> ballast_market::state::AssetState {
    let store = p.app.contract_storage(&p.market);
    ballast_market::state::ASSET_STATES
        .load(&*store, denom)
        .expect("listed asset")
}

pub fn stake_pool(p: &Protocol) -> ballast_backstop::state::StakePool {
    let store = p.app.contract_storage(&p.backstop);
    ballast_backstop::state::STAKE_POOL
        .load(&*store)
        .expect("stake pool")
}

pub fn raw_staker(p: &Protocol, who: &Addr) -> ballast_backstop::state::Staker {
    let store = p.app.contract_storage(&p.backstop);
    ballast_backstop::state::STAKERS
        .may_load(&*store, who)
        .expect("raw staker")
        .unwrap_or_default()
}

pub fn absorbed(p: &Protocol, denom: &str) -> Uint128 {
    let store = p.app.contract_storage(&p.backstop);
    ballast_backstop::state::ABSORBED
        .may_load(&*store, denom)
        .expect("absorbed")
        .map(|a| a.amount)
        .unwrap_or_default()
}

pub fn auction_params(p: &Protocol) -> auction::AuctionParams {
    let store = p.app.contract_storage(&p.auction);
    auction::PARAMS.load(&*store).expect("auction params")
}

/// Bank balances of a set of addresses in every denom.
pub fn balances(p: &Protocol, addrs: &[Addr]) -> Vec<(Addr, String, Uint128)> {
    let mut out = vec![];
    for a in addrs {
        for d in DENOMS {
            out.push((a.clone(), d.to_string(), p.balance(a, d)));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Books against the bank
// ---------------------------------------------------------------------------------------------

/// Every contract's books, read from storage in one go (direct reads: several times faster
/// than queries on the in-process chain).
pub struct Raw {
    pub assets: BTreeMap<String, ballast_market::state::AssetState>,
    pub deficits: BTreeMap<String, market::Deficit>,
    pub accounts: Vec<(Addr, ballast_market::state::Account)>,
    pub market_lots: BTreeMap<u64, ballast_market::state::LotRecord>,
    /// The auction's open lots (active or due for a reset).
    pub lots: Vec<(u64, auction::Lot)>,
    pub in_auction_total: Uint128,
    pub in_auction_by_denom: BTreeMap<String, Uint128>,
    pub auction_params: auction::AuctionParams,
    pub pool: ballast_backstop::state::StakePool,
    pub stakers: Vec<(Addr, ballast_backstop::state::Staker)>,
    pub absorbed: BTreeMap<String, Uint128>,
    pub backstop_params: ballast_types::backstop::BackstopParams,
}

pub fn read_raw(p: &Protocol, accounts: &[Addr]) -> Raw {
    use cosmwasm_std::Order;
    let market = p.app.contract_storage(&p.market);
    let auction_store = p.app.contract_storage(&p.auction);
    let backstop = p.app.contract_storage(&p.backstop);
    let assets = DENOMS
        .iter()
        .map(|d| {
            (
                d.to_string(),
                ballast_market::state::ASSET_STATES
                    .load(&*market, d)
                    .expect("asset state"),
            )
        })
        .collect();
    let deficits = ballast_market::state::DEFICITS
        .range(&*market, None, None, Order::Ascending)
        .collect::<cosmwasm_std::StdResult<_>>()
        .expect("deficits");
    let accounts: Vec<(Addr, ballast_market::state::Account)> = accounts
        .iter()
        .map(|a| {
            (
                a.clone(),
                ballast_market::state::ACCOUNTS
                    .may_load(&*market, a)
                    .expect("account")
                    .unwrap_or_default(),
            )
        })
        .collect();
    let market_lots = ballast_market::state::LOTS
        .range(&*market, None, None, Order::Ascending)
        .collect::<cosmwasm_std::StdResult<_>>()
        .expect("market lots");
    let lots = ballast_auction::state::ACTIVE_LOTS
        .keys(&*auction_store, None, None, Order::Ascending)
        .map(|id| {
            let id = id.expect("lot id");
            (id, auction::LOTS.load(&*auction_store, id).expect("lot"))
        })
        .collect();
    let in_auction_total = auction::IN_AUCTION_TOTAL
        .may_load(&*auction_store)
        .expect("in auction")
        .unwrap_or_default();
    let in_auction_by_denom = auction::IN_AUCTION_BY_DENOM
        .range(&*auction_store, None, None, Order::Ascending)
        .collect::<cosmwasm_std::StdResult<_>>()
        .expect("in auction by denom");
    let stakers = accounts_stakers(&*backstop, accounts_list(&accounts));
    let absorbed = ballast_backstop::state::ABSORBED
        .range(&*backstop, None, None, Order::Ascending)
        .map(|r| r.map(|(d, a)| (d, a.amount)))
        .collect::<cosmwasm_std::StdResult<_>>()
        .expect("absorbed");
    Raw {
        assets,
        deficits,
        accounts,
        market_lots,
        lots,
        in_auction_total,
        in_auction_by_denom,
        auction_params: auction::PARAMS.load(&*auction_store).expect("params"),
        pool: ballast_backstop::state::STAKE_POOL
            .load(&*backstop)
            .expect("pool"),
        stakers,
        absorbed,
        backstop_params: ballast_types::backstop::PARAMS
            .load(&*backstop)
            .expect("backstop params"),
    }
}

fn accounts_list(accounts: &[(Addr, ballast_market::state::Account)]) -> Vec<Addr> {
    accounts.iter().map(|(a, _)| a.clone()).collect()
}

fn accounts_stakers(
    backstop: &dyn cosmwasm_std::Storage,
    accounts: Vec<Addr>,
) -> Vec<(Addr, ballast_backstop::state::Staker)> {
    accounts
        .into_iter()
        .map(|a| {
            let s = ballast_backstop::state::STAKERS
                .may_load(backstop, &a)
                .expect("staker")
                .unwrap_or_default();
            (a, s)
        })
        .collect()
}

/// What the reconciliation measured: identity A's slack per denom (rounding the protocol kept).
#[derive(Clone, Debug, Default)]
pub struct BooksReport {
    pub slack: BTreeMap<String, u128>,
    pub supply_rounding: BTreeMap<String, u128>,
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

fn supply_of(scaled: Uint128, index: cosmwasm_std::Decimal256) -> u128 {
    ballast_types::math::scaled::supply_amount(scaled, index)
        .expect("supply amount")
        .u128()
}

fn debt_of(scaled: Uint128, index: cosmwasm_std::Decimal256) -> u128 {
    ballast_types::math::scaled::debt_amount(scaled, index)
        .expect("debt amount")
        .u128()
}

/// Reconciles, for every denom, each contract's bank balance with what its books say it holds,
/// and the market's books with the accounts' balances (all as stored after the last action):
///
/// - market: bank = cash + in-kind collateral held for deficits + unclaimed social collateral;
///   identity A (cash + debt + debt in auction + deficit ≥ supply); Σ accounts' scaled supply +
///   reserve = total scaled supply and Σ scaled debt = total scaled debt, to the unit;
/// - auction: bank = collateral of the open lots; each open liquidation lot is the market's open
///   lot with the same borrower, denoms and debt, and the market knows no other; Σ their debt =
///   the market's debt in auction; each account's open lots are counted right; the caps held are
///   the sum of the lots' and within the configured caps;
/// - backstop: bank ≥ stake pool (in the stake denom) + absorbed collateral not yet sold;
///   Σ stakers' shares = total shares.
///
/// `accounts` must list every address that may hold a market position or stake.
pub fn check_books(p: &Protocol, accounts: &[Addr]) -> Result<BooksReport, String> {
    let raw = read_raw(p, accounts);
    check_raw(p, &raw)
}

pub fn check_raw(p: &Protocol, raw: &Raw) -> Result<BooksReport, String> {
    let mut report = BooksReport::default();
    for denom in DENOMS {
        let state = &raw.assets[denom];
        let deficit = raw
            .deficits
            .get(denom)
            .map(|d| d.amount.u128())
            .unwrap_or_default();

        // market: bank = cash + in kind + social
        let in_kind: u128 = raw
            .deficits
            .values()
            .flat_map(|d| d.collateral_in_kind.iter())
            .filter(|c| c.denom == denom)
            .map(amt)
            .sum();
        // a socialised deficit of one denom leaves collateral of others unclaimed in its state
        let social: u128 = raw
            .assets
            .values()
            .flat_map(|a| a.social_unclaimed.iter())
            .filter(|c| c.denom == denom)
            .map(amt)
            .sum();
        let bank = p.balance(&p.market, denom).u128();
        ensure!(
            bank == state.cash.u128() + in_kind + social,
            "{denom}: market holds {bank}, books say cash {} + in kind {in_kind} + social {social}",
            state.cash
        );

        // identity A
        let supply = supply_of(state.total_supply_scaled, state.liquidity_index);
        let debt = debt_of(state.total_debt_scaled, state.borrow_index);
        let backing = state.cash.u128() + debt + state.debt_in_auction.u128() + deficit;
        ensure!(
            backing >= supply,
            "{denom}: identity A broken: cash {} + debt {debt} + in auction {} + deficit {deficit} = {backing} < supply {supply}",
            state.cash,
            state.debt_in_auction
        );
        report.slack.insert(denom.to_string(), backing - supply);

        // scaled totals, to the unit
        let mut supply_scaled = state.reserve_scaled.u128();
        let mut debt_scaled = 0u128;
        let mut supply_sum = 0u128;
        for (_, acc) in &raw.accounts {
            if let Some(s) = acc.supplies.iter().find(|s| s.denom == denom) {
                supply_scaled += s.scaled.u128();
                supply_sum += supply_of(s.scaled, state.liquidity_index);
            }
            if let Some(d) = acc.debts.iter().find(|d| d.denom == denom) {
                debt_scaled += d.scaled.u128();
            }
        }
        ensure!(
            supply_scaled == state.total_supply_scaled.u128(),
            "{denom}: Σ scaled supply {supply_scaled} (reserve included) != total {}",
            state.total_supply_scaled
        );
        ensure!(
            debt_scaled == state.total_debt_scaled.u128(),
            "{denom}: Σ scaled debt {debt_scaled} != total {}",
            state.total_debt_scaled
        );
        let reserves = supply_of(state.reserve_scaled, state.liquidity_index);
        ensure!(
            supply_sum + reserves <= supply,
            "{denom}: Σ supplies {supply_sum} + reserves {reserves} > total supply {supply}"
        );
        report
            .supply_rounding
            .insert(denom.to_string(), supply - supply_sum - reserves);

        // auction: bank = open lots' collateral
        let in_lots: u128 = raw
            .lots
            .iter()
            .filter(|(_, l)| l.collateral_denom == denom)
            .map(|(_, l)| l.collateral.u128())
            .sum();
        let auction_bank = p.balance(&p.auction, denom).u128();
        ensure!(
            auction_bank == in_lots,
            "{denom}: auction holds {auction_bank}, its open lots {in_lots}"
        );

        // market debt in auction = open liquidation lots' debt
        let lot_debt: u128 = raw
            .lots
            .iter()
            .filter(|(_, l)| l.kind == LotKind::Liquidation && l.debt_denom == denom)
            .map(|(_, l)| l.debt.u128())
            .sum();
        ensure!(
            lot_debt == state.debt_in_auction.u128(),
            "{denom}: lots owe {lot_debt}, the market books {} in auction",
            state.debt_in_auction
        );

        // backstop: stake pool and absorbed collateral are held
        let backstop_bank = p.balance(&p.backstop, denom).u128();
        let staked = if raw.backstop_params.stake_denom == denom {
            raw.pool.tokens.u128()
        } else {
            0
        };
        ensure!(
            backstop_bank >= staked,
            "{denom}: backstop holds {backstop_bank} < stake pool {staked}"
        );
        let absorbed_amount = raw.absorbed.get(denom).map(|a| a.u128()).unwrap_or(0);
        ensure!(
            backstop_bank - staked >= absorbed_amount,
            "{denom}: the fund holds {} but its books say {absorbed_amount} absorbed collateral is unsold",
            backstop_bank - staked
        );
    }

    // lots: the market's record of each open liquidation lot matches the auction's
    let mut per_borrower: BTreeMap<String, u32> = BTreeMap::new();
    let mut liquidation_lots = 0usize;
    for (id, lot) in raw
        .lots
        .iter()
        .filter(|(_, l)| l.kind == LotKind::Liquidation)
    {
        let record = raw
            .market_lots
            .get(id)
            .ok_or_else(|| format!("lot {id} is open in the auction, unknown to the market"))?;
        ensure!(
            record.borrower == lot.borrower
                && record.debt_denom == lot.debt_denom
                && record.collateral_denom == lot.collateral_denom
                && record.debt == lot.debt,
            "lot {id}: auction {lot:?} vs market {record:?}"
        );
        liquidation_lots += 1;
        *per_borrower.entry(lot.borrower.to_string()).or_default() += 1;
    }
    ensure!(
        raw.market_lots.len() == liquidation_lots,
        "the market has {} open lots, the auction {liquidation_lots}",
        raw.market_lots.len()
    );
    for (addr, acc) in &raw.accounts {
        let open = per_borrower.get(addr.as_str()).copied().unwrap_or(0);
        ensure!(
            acc.open_lots == open,
            "{addr}: the market counts {} open lots, the auction {open}",
            acc.open_lots
        );
    }

    // caps: what the auction holds of them is its lots' cap values, within the caps
    let total_cap: u128 = raw.lots.iter().map(|(_, l)| l.cap_value.u128()).sum();
    ensure!(
        raw.in_auction_total.u128() == total_cap,
        "in auction {} != Σ lots' cap values {total_cap}",
        raw.in_auction_total
    );
    ensure!(
        raw.in_auction_total <= raw.auction_params.max_in_auction,
        "in auction {} above the cap {}",
        raw.in_auction_total,
        raw.auction_params.max_in_auction
    );
    for (denom, value) in &raw.in_auction_by_denom {
        let of_denom: u128 = raw
            .lots
            .iter()
            .filter(|(_, l)| &l.collateral_denom == denom)
            .map(|(_, l)| l.cap_value.u128())
            .sum();
        ensure!(
            value.u128() == of_denom,
            "{denom}: in auction {value} != Σ its lots' cap values {of_denom}"
        );
        if let Some(cap) = raw.auction_params.denom_cap(denom) {
            ensure!(
                *value <= cap,
                "{denom}: in auction {value} above its cap {cap}"
            );
        }
    }

    // stakers: shares add up
    let shares: u128 = raw
        .stakers
        .iter()
        .map(|(_, s)| s.shares.u128() + s.unbonding.iter().map(|u| u.shares.u128()).sum::<u128>())
        .sum();
    ensure!(
        shares == raw.pool.shares.u128(),
        "Σ stakers' shares {shares} != pool shares {}",
        raw.pool.shares
    );
    Ok(report)
}

/// The queries integrators read agree with the stored books: `Asset` (accrued to the block
/// time), `Deficits`, `ActiveLots`, `InAuction` and the backstop's `Fund`.
pub fn check_queries(p: &Protocol, raw: &Raw) -> Result<(), String> {
    let now = p.now();
    for denom in DENOMS {
        let mut state = raw.assets[denom].clone();
        state.accrue(now).map_err(|e| e.to_string())?;
        let view = p.asset(denom);
        ensure!(
            view.liquidity_index == state.liquidity_index
                && view.borrow_index == state.borrow_index
                && view.cash == state.cash
                && view.debt_in_auction == state.debt_in_auction
                && view.total_supply.u128()
                    == supply_of(state.total_supply_scaled, state.liquidity_index)
                && view.total_debt.u128() == debt_of(state.total_debt_scaled, state.borrow_index)
                && view.reserves.u128() == supply_of(state.reserve_scaled, state.liquidity_index),
            "{denom}: Asset query {view:?} disagrees with the books accrued to {now}: {state:?}"
        );
        let deficit = raw
            .deficits
            .get(denom)
            .map(|d| d.amount)
            .unwrap_or_default();
        ensure!(
            view.deficit == deficit,
            "{denom}: Asset.deficit {} != stored {deficit}",
            view.deficit
        );
    }
    let queried = deficits(p);
    ensure!(
        queried.len() == raw.deficits.len()
            && raw
                .deficits
                .iter()
                .all(|(d, r)| queried.get(d).is_some_and(
                    |q| q.amount == r.amount && q.collateral_in_kind == r.collateral_in_kind
                )),
        "Deficits query {queried:?} disagrees with storage {:?}",
        raw.deficits
    );
    let lots = active_lots(p);
    ensure!(
        lots.len() == raw.lots.len()
            && lots
                .iter()
                .zip(&raw.lots)
                .all(|(q, (id, l))| q.lot_id == *id
                    && amt(&q.collateral) == l.collateral.u128()
                    && amt(&q.debt) == l.debt.u128()
                    && amt(&q.penalty) == l.penalty.u128()),
        "ActiveLots query disagrees with storage"
    );
    let in_auction: auction::InAuctionResponse = p
        .query(&p.auction, &auction::QueryMsg::InAuction {})
        .map_err(|e| e.to_string())?;
    ensure!(
        in_auction.total_value == raw.in_auction_total,
        "InAuction {} != stored {}",
        in_auction.total_value,
        raw.in_auction_total
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Losses, from events
// ---------------------------------------------------------------------------------------------

/// Every loss the events report, per denom, so that at any time
/// `deficit = recorded − paid − written down − socialized`, and every recorded loss went through
/// the backstop's waterfall exactly once.
#[derive(Clone, Debug, Default)]
pub struct LossLedger {
    /// Shortfalls the market recognised (dust rule, last lot) and failed lots' debt.
    pub recorded: BTreeMap<String, u128>,
    /// What `ApplyCover` paid in cash.
    pub paid: BTreeMap<String, u128>,
    /// ADL write-downs.
    pub written: BTreeMap<String, u128>,
    /// Socialised through the liquidity index.
    pub socialized: BTreeMap<String, u128>,
    /// Losses the backstop ran its waterfall on, and what it paid of them in cash.
    pub backstop_loss: BTreeMap<String, u128>,
    pub backstop_cash: BTreeMap<String, u128>,
    /// Denoms socialised by the last response absorbed.
    pub socialized_now: Vec<String>,
    /// (account, denom, written) of the ADL write-downs of the last response absorbed.
    pub adl_now: Vec<(String, String, u128)>,
}

impl LossLedger {
    /// Books a response's loss events, checking each on its own.
    pub fn absorb(&mut self, p: &Protocol, response: &AppResponse) -> Result<(), String> {
        self.socialized_now.clear();
        self.adl_now.clear();
        let market = p.market.as_str();
        let backstop = p.backstop.as_str();
        for e in wasm_events(response) {
            if e.contract == market && e.ty == "wasm" {
                for text in e.all("shortfall") {
                    let (amount, denom) =
                        parse_coin(text).ok_or_else(|| format!("bad shortfall {text}"))?;
                    *self.recorded.entry(denom).or_default() += amount;
                }
                if e.get("action") == Some("apply_cover") {
                    let denom = e.get("denom").unwrap_or_default().to_string();
                    if e.get("failed_lot").is_some() {
                        *self.recorded.entry(denom.clone()).or_default() += e.amount("loss");
                    }
                    *self.paid.entry(denom).or_default() += e.amount("paid");
                }
                if e.get("action") == Some("run_adl") {
                    let denom = e.get("denom").unwrap_or_default().to_string();
                    *self.written.entry(denom.clone()).or_default() += e.amount("written_down");
                    let socialized = e.amount("socialized");
                    *self.socialized.entry(denom.clone()).or_default() += socialized;
                    if socialized > 0 {
                        self.socialized_now.push(denom);
                    }
                }
            }
            if e.contract == market && e.ty == "wasm-ballast_adl" {
                let written = e.amount("written_down");
                if written > 0 {
                    self.adl_now.push((
                        e.get("account").unwrap_or_default().to_string(),
                        e.get("denom").unwrap_or_default().to_string(),
                        written,
                    ));
                }
            }
            if e.contract == backstop
                && e.ty == "wasm"
                && matches!(
                    e.get("action"),
                    Some("cover_shortfall") | Some("absorb_lot")
                )
                && e.get("loss").is_some()
            {
                let denom = e.get("denom").unwrap_or_default().to_string();
                let loss = e.amount("loss");
                let cash = e.amount("from_collateral")
                    + e.amount("from_penalty")
                    + e.amount("from_fund")
                    + e.amount("from_stake");
                let left = e.amount("deficit");
                if loss != cash + left {
                    return Err(format!(
                        "waterfall for {loss}{denom}: paid {cash} + deficit {left} != loss"
                    ));
                }
                *self.backstop_loss.entry(denom.clone()).or_default() += loss;
                *self.backstop_cash.entry(denom).or_default() += cash;
            }
        }
        // the ADL events add up to the step's total
        for e in wasm_events(response) {
            if e.contract == market && e.ty == "wasm" && e.get("action") == Some("run_adl") {
                let denom = e.get("denom").unwrap_or_default();
                let sum: u128 = self
                    .adl_now
                    .iter()
                    .filter(|(_, d, _)| d == denom)
                    .map(|(_, _, w)| *w)
                    .sum();
                if sum != e.amount("written_down") {
                    return Err(format!(
                        "ADL events write down {sum}{denom}, the step reports {}",
                        e.amount("written_down")
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every deficit is what was recorded less what was paid, written down and socialised, and
    /// the backstop saw every recorded loss and paid what the market booked.
    pub fn check(&self, raw: &Raw) -> Result<(), String> {
        for denom in DENOMS {
            let get = |m: &BTreeMap<String, u128>| m.get(denom).copied().unwrap_or_default();
            let recorded = get(&self.recorded);
            let resolved = get(&self.paid) + get(&self.written) + get(&self.socialized);
            ensure!(
                recorded >= resolved,
                "{denom}: resolved {resolved} more than recorded {recorded} (a deficit below zero)"
            );
            let pending = raw
                .deficits
                .get(denom)
                .map(|d| d.amount.u128())
                .unwrap_or_default();
            ensure!(
                pending == recorded - resolved,
                "{denom}: deficit {pending} != recorded {recorded} − paid {} − written {} − socialized {}",
                get(&self.paid),
                get(&self.written),
                get(&self.socialized)
            );
            ensure!(
                get(&self.backstop_loss) == recorded,
                "{denom}: the backstop covered losses of {}, the market recorded {recorded}",
                get(&self.backstop_loss)
            );
            ensure!(
                get(&self.backstop_cash) == get(&self.paid),
                "{denom}: the backstop paid {} in cash, the market booked {}",
                get(&self.backstop_cash),
                get(&self.paid)
            );
        }
        Ok(())
    }
}

/// `Decimal` from a health factor attribute.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    text.parse().ok()
}
