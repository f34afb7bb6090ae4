//! Ballast on the in-process chain: the real contracts (`ballast-testing`), the population's
//! positions, keepers from `ballast-keeper` with budgets, and one pool per risk asset that
//! keepers sell what they buy into. The oracle price of each block is the pool's price after
//! the block's exogenous move, so the keepers' sales of one block push the next block's price
//! down: the spiral.

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::anyhow;
use ballast_keeper::{InProcessChain, Keeper, KeeperSettings, RoundReport, TxEvent};
use ballast_testing::{Protocol, ProtocolBuilder, ATOM, QUOTE};
use ballast_types::auction::{self, Curve, InAuctionResponse, LotsResponse};
use ballast_types::backstop::{self, FundResponse};
use ballast_types::market::{self, DeficitsResponse, PositionResponse};
use cosmwasm_std::{coin, Addr, Coin, Decimal, Decimal256, Uint128};
use cw_multi_test::Executor;

use crate::amm::Pool;
use crate::chain::{ChainCtx, SimChain, TxRecord};
use crate::config::{CurveSetting, Scenario};
use crate::population::{start_prices, Kind, Spec, UNIT};
use crate::stats::{SideRow, SystemStats};

/// `x` as a `Decimal` (6 decimals are plenty for parameters).
pub fn dec(x: f64) -> Decimal {
    Decimal::from_str(&format!("{x:.9}")).expect("a finite non-negative parameter")
}

/// A price as `Decimal256` (quote smallest units per smallest unit).
pub fn dec256(x: f64) -> Decimal256 {
    Decimal256::from_str(&format!("{x:.15}")).expect("a finite non-negative price")
}

pub fn to_f64(d: &impl ToString) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// USD of `amount` smallest units at `price` (USD per token).
pub fn usd(amount: u128, price: f64) -> f64 {
    amount as f64 * price / UNIT
}

/// One account's books as the chain reported them after setup: what the baseline starts from.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    pub name: String,
    pub kind: Kind,
    /// (denom, amount, collateral enabled).
    pub supply: Vec<(String, u128, bool)>,
    pub debt: Vec<(String, u128)>,
}

impl Position {
    fn from_response(name: &str, kind: Kind, r: &PositionResponse) -> Self {
        Position {
            name: name.to_string(),
            kind,
            supply: r
                .supply
                .iter()
                .filter(|s| !s.amount.is_zero())
                .map(|s| (s.denom.clone(), s.amount.u128(), s.collateral))
                .collect(),
            debt: r
                .debt
                .iter()
                .filter(|d| !d.amount.is_zero())
                .map(|d| (d.denom.clone(), d.amount.u128()))
                .collect(),
        }
    }
}

pub struct SimAccount {
    pub name: String,
    pub addr: Addr,
    pub kind: Kind,
}

struct KeeperSlot {
    addr: Addr,
    keeper: Keeper,
    budget: u128,
}

/// When the keepers' `Liquidatable` scans run in full (see `chain`).
#[derive(Debug, Default)]
struct Gate {
    last_prices: Vec<f64>,
    last_block: u64,
    /// Scan at the next block whatever moved (first block, end of an outage).
    force: bool,
}

/// Losses, ADL and socialisation per denom, from the events.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pub loss: u128,
    pub from_collateral: u128,
    pub from_penalty: u128,
    pub from_fund: u128,
    pub from_stake: u128,
    pub deficit: u128,
    pub adl_written: u128,
    pub adl_netted: u128,
    pub socialised: u128,
    /// Product of index_before / index_after over socialisations.
    pub social_factor: f64,
}

/// Everything the invariants check afterwards, gathered while running.
#[derive(Debug, Default)]
pub struct Evidence {
    /// Health factor attribute of every successful `Liquidate`.
    pub liquidation_hfs: Vec<f64>,
    /// (account, health factor after) of every account an ADL step wrote down.
    pub adl_after: Vec<(String, Option<f64>)>,
    /// Per denom: the waterfall and ADL totals from the events.
    pub ledgers: BTreeMap<String, Ledger>,
    /// Bank totals per denom over every address the simulator knows, at the start.
    pub bank_start: BTreeMap<String, u128>,
    /// Errors of keeper phases (query failures and the like), with counts.
    pub phase_errors: BTreeMap<String, u64>,
    /// Failed transactions by message kind and error (first line), with counts.
    pub failures: BTreeMap<String, u64>,
}

pub struct BallastSim {
    pub p: Protocol,
    pub scenario: Scenario,
    pub accounts: Vec<SimAccount>,
    keepers: Vec<KeeperSlot>,
    pub world: Addr,
    pub insurer: Addr,
    /// Per risk asset (scenario order).
    pub pools: Vec<Pool>,
    /// The oracle's price per risk asset (USD per token) and when it was published.
    pub oracle: Vec<(f64, u64)>,
    ctx: ChainCtx,
    gate: Gate,
    pub stats: SystemStats,
    pub evidence: Evidence,
    /// Positions right after setup (the baseline's start).
    pub start: Vec<Position>,
    pub start_prices: Vec<(String, f64)>,
    /// Liquidity index per denom after setup.
    pub start_index: BTreeMap<String, f64>,
    pub total_debt_usd: f64,
    pub setup_failures: Vec<String>,
    was_in_outage: bool,
}

fn all_denoms() -> Vec<String> {
    vec![
        QUOTE.to_string(),
        ATOM.to_string(),
        ballast_testing::OSMO.to_string(),
    ]
}

impl BallastSim {
    /// Deploys the protocol, funds and opens the population, the insurance fund and the
    /// keepers.
    pub fn setup(scenario: &Scenario, specs: &[Spec]) -> anyhow::Result<Self> {
        let s = scenario.clone();
        let prices = start_prices(&s);
        let price = |d: &str| {
            prices
                .iter()
                .find(|(x, _)| x == d)
                .map(|(_, p)| *p)
                .unwrap()
        };
        let total_debt_usd: f64 = specs
            .iter()
            .flat_map(|x| x.borrows.iter())
            .map(|(d, a)| usd(*a, price(d)))
            .sum();
        let quote_debt_usd: f64 = specs
            .iter()
            .flat_map(|x| x.borrows.iter())
            .filter(|(d, _)| d == QUOTE)
            .map(|(_, a)| usd(*a, 1.0))
            .sum();

        let pp = s.protocol.clone();
        let mut builder = ProtocolBuilder::new();
        for r in &s.risk {
            builder = builder.asset_params(&r.denom, |a| {
                a.max_ltv = dec(pp.setup_max_ltv);
                a.liquidation_threshold = dec(pp.liquidation_threshold);
                a.liquidation_penalty = dec(pp.liquidation_penalty);
            });
        }
        let cap = |share: f64| Uint128::new((total_debt_usd * share * UNIT) as u128);
        builder = builder
            .market(|m| {
                m.target_hf = dec(pp.target_hf);
                m.full_liquidation_hf = dec(pp.full_liquidation_hf);
                m.dust_value = Uint128::new((pp.dust_value_usd * UNIT) as u128);
            })
            .auction_params(|a| {
                let au = &pp.auction;
                a.buf = dec(au.buf);
                a.curve = match au.curve {
                    CurveSetting::Exponential => Curve::Exponential {
                        cut: dec(au.cut),
                        step: au.step,
                    },
                    CurveSetting::Linear => Curve::Linear { tau: au.tau },
                };
                a.tail = au.tail;
                a.cusp = dec(au.cusp);
                a.max_resets = au.max_resets;
                a.tip = Uint128::new((au.tip_usd * UNIT) as u128);
                a.chip = dec(au.chip);
                a.max_in_auction = cap(au.max_in_auction_share);
                a.max_in_auction_per_denom = match au.max_in_auction_per_denom_share {
                    Some(share) => s
                        .risk
                        .iter()
                        .map(|r| (r.denom.clone(), cap(share)))
                        .collect(),
                    None => vec![],
                };
            })
            .backstop_params(|b| {
                b.max_cover_per_event = dec(pp.max_cover_per_event);
                b.adl_min_hf = dec(pp.adl_min_hf);
            });
        let mut p = builder.build();
        // The simulator publishes prices itself, once per block.
        p.refresh_pyth_on_advance = false;
        for r in &s.risk {
            p.set_price(&r.denom, dec256(r.start_price));
        }

        let api_addr = |p: &Protocol, name: &str| p.app.api().addr_make(name);
        let accounts: Vec<SimAccount> = specs
            .iter()
            .map(|x| SimAccount {
                name: x.name.clone(),
                addr: api_addr(&p, &x.name),
                kind: x.kind,
            })
            .collect();
        let world = api_addr(&p, "sim-world");
        let insurer = api_addr(&p, "sim-insurer");
        let fund_units = (quote_debt_usd * s.insurance.fund_share * UNIT) as u128;
        let stake_units = (quote_debt_usd * s.insurance.stake_share * UNIT) as u128;
        let budget = (total_debt_usd * s.keepers.budget_share * UNIT) as u128;
        let keeper_addrs: Vec<Addr> = (0..s.keepers.count)
            .map(|i| api_addr(&p, &format!("sim-keeper-{i}")))
            .collect();

        // Genesis-style funding: each account gets exactly what it deposits.
        let mut funding: Vec<(Addr, Vec<Coin>)> = accounts
            .iter()
            .zip(specs)
            .map(|(a, x)| {
                let coins = x
                    .funding()
                    .into_iter()
                    .filter(|(_, amt)| *amt > 0)
                    .map(|(d, amt)| coin(amt, d))
                    .collect();
                (a.addr.clone(), coins)
            })
            .collect();
        funding.push((
            world.clone(),
            all_denoms()
                .into_iter()
                .map(|d| coin(10u128.pow(24), d))
                .collect(),
        ));
        let insurance = fund_units + stake_units;
        if insurance > 0 {
            funding.push((insurer.clone(), vec![coin(insurance, QUOTE)]));
        }
        for k in &keeper_addrs {
            if budget > 0 {
                funding.push((k.clone(), vec![coin(budget, QUOTE)]));
            }
        }
        p.app.init_modules(|router, _api, storage| {
            for (addr, coins) in &funding {
                if !coins.is_empty() {
                    router
                        .bank
                        .init_balance(storage, addr, coins.clone())
                        .expect("funding");
                }
            }
        });

        // Open the positions: every deposit first (the quote suppliers are sized for the whole
        // book's utilisation), then the borrows: borrowers, suppliers with debt, loopers.
        let mut setup_failures = vec![];
        for (a, x) in accounts.iter().zip(specs) {
            for (d, amt) in x.deposits.iter().filter(|(_, amt)| *amt > 0) {
                if let Err(e) = p.deposit(&a.addr, coin(*amt, d)) {
                    setup_failures.push(format!("{} deposit {amt}{d}: {e}", a.name));
                }
            }
        }
        for kind in [Kind::Borrower, Kind::SupplierWithDebt, Kind::Looper] {
            for (a, x) in accounts.iter().zip(specs).filter(|(a, _)| a.kind == kind) {
                for (d, amt) in x.borrows.iter().filter(|(_, amt)| *amt > 0) {
                    if let Err(e) = p.borrow(&a.addr, d, *amt) {
                        setup_failures.push(format!("{} borrow {amt}{d}: {e}", a.name));
                    }
                }
            }
        }
        if fund_units > 0 {
            p.execute_backstop(
                &insurer,
                &backstop::ExecuteMsg::Fund {},
                &[coin(fund_units, QUOTE)],
            )
            .map_err(|e| anyhow!("funding the insurance fund: {e}"))?;
        }
        if stake_units > 0 {
            p.execute_backstop(
                &insurer,
                &backstop::ExecuteMsg::Stake {},
                &[coin(stake_units, QUOTE)],
            )
            .map_err(|e| anyhow!("staking: {e}"))?;
        }
        // Borrowing power back to the scenario's max_ltv (tightening applies at once).
        let owner = p.owner.clone();
        for r in &s.risk {
            let mut params = p.asset(&r.denom).params;
            params.max_ltv = dec(pp.max_ltv);
            p.execute_market(
                &owner,
                &market::ExecuteMsg::UpdateAssetParams {
                    denom: r.denom.clone(),
                    params,
                },
                &[],
            )
            .map_err(|e| anyhow!("restoring max_ltv of {}: {e}", r.denom))?;
        }

        let start: Vec<Position> = accounts
            .iter()
            .map(|a| Position::from_response(&a.name, a.kind, &p.position(&a.addr)))
            .collect();
        let start_index = all_denoms()
            .into_iter()
            .map(|d| {
                let li = to_f64(&p.asset(&d).liquidity_index);
                (d, li)
            })
            .collect();

        // Pools: depth from the collateral of each risk asset at the start.
        let pools = s
            .risk
            .iter()
            .map(|r| {
                let collateral: f64 = start
                    .iter()
                    .flat_map(|x| x.supply.iter())
                    .filter(|(d, _, c)| *d == r.denom && *c)
                    .map(|(_, a, _)| usd(*a, r.start_price))
                    .sum();
                let depth = r
                    .pool_depth_usd
                    .unwrap_or(collateral * r.pool_depth_share)
                    .max(1_000.0);
                Pool::new(r.start_price, depth * UNIT, r.pool_fee)
            })
            .collect();
        let now = p.now();
        let oracle = s.risk.iter().map(|r| (r.start_price, now)).collect();

        let settings = |budget: u128| KeeperSettings {
            simulate: false,
            liquidatable_page_limit: 100,
            max_liquidatable_pages: (s.accounts / 100 + 2) as u32,
            max_liquidations_per_round: s.keepers.max_liquidations_per_round,
            lots_page_limit: 100,
            max_lot_pages: s.keepers.lot_pages.max(1),
            bid_margin: dec(s.keepers.bid_margin),
            max_bid_value: s
                .keepers
                .max_bid_share
                .map(|share| Uint128::new((budget as f64 * share) as u128)),
            max_bids_per_round: s.keepers.max_bids_per_round,
            max_resets_per_round: 500,
            ..KeeperSettings::default()
        };
        let keepers = keeper_addrs
            .into_iter()
            .map(|addr| KeeperSlot {
                addr,
                keeper: Keeper::new(p.market.to_string(), settings(budget)),
                budget,
            })
            .collect();

        let mut sim = BallastSim {
            p,
            scenario: s,
            accounts,
            keepers,
            world,
            insurer,
            pools,
            oracle,
            ctx: ChainCtx {
                tracked: all_denoms(),
                ..Default::default()
            },
            gate: Gate {
                force: true,
                ..Default::default()
            },
            stats: SystemStats::default(),
            evidence: Evidence::default(),
            start,
            start_prices: prices.clone(),
            start_index,
            total_debt_usd,
            setup_failures,
            was_in_outage: false,
        };
        sim.evidence.bank_start = sim.bank_totals();
        sim.stats.insurance_start_usd = sim.insurance_usd();
        for (i, r) in sim.scenario.risk.iter().enumerate() {
            sim.stats.note_price(&r.denom, sim.oracle[i].0);
        }
        Ok(sim)
    }

    /// Every address the simulator knows: users, keepers, pools' counterparty, contracts.
    pub fn known_addresses(&self) -> Vec<Addr> {
        let mut out: Vec<Addr> = self.accounts.iter().map(|a| a.addr.clone()).collect();
        out.extend(self.keepers.iter().map(|k| k.addr.clone()));
        out.push(self.world.clone());
        out.push(self.insurer.clone());
        for name in ["alice", "bob", "carol", "dave", "keeper", "keeper2"] {
            out.push(self.p.user(name));
        }
        out.extend([
            self.p.owner.clone(),
            self.p.guardian.clone(),
            self.p.oracle.clone(),
            self.p.market.clone(),
            self.p.auction.clone(),
            self.p.backstop.clone(),
            self.p.pyth.clone(),
        ]);
        out
    }

    /// Sum of bank balances per denom over the known addresses.
    pub fn bank_totals(&self) -> BTreeMap<String, u128> {
        let addrs = self.known_addresses();
        all_denoms()
            .into_iter()
            .map(|d| {
                let total = addrs.iter().map(|a| self.p.balance(a, &d).u128()).sum();
                (d, total)
            })
            .collect()
    }

    /// USD per token of `denom` as the oracle has it now (the quote is $1; OSMO not in the
    /// scenario keeps its price).
    pub fn price_of(&self, denom: &str) -> f64 {
        if let Some(i) = self.scenario.risk.iter().position(|r| r.denom == denom) {
            return self.oracle[i].0;
        }
        self.start_prices
            .iter()
            .find(|(d, _)| d == denom)
            .map(|(_, p)| *p)
            .unwrap_or(1.0)
    }

    fn coins_usd(&self, coins: &[Coin]) -> f64 {
        coins
            .iter()
            .map(|c| usd(crate::amt(c), self.price_of(&c.denom)))
            .sum()
    }

    /// The insurance fund's balances and the stakers' pool, at the simulator's prices.
    pub fn insurance_usd(&self) -> f64 {
        match self
            .p
            .query::<FundResponse>(&self.p.backstop, &backstop::QueryMsg::Fund {})
        {
            Ok(f) => self.coins_usd(&f.balances) + usd(f.stake_pool.u128(), 1.0),
            Err(_) => 0.0,
        }
    }

    /// Runs block `b` (1-based): time, exogenous move, oracle, keepers, sales. `exo[i]` is
    /// the exogenous multiple series of risk asset `i`.
    pub fn step(&mut self, b: u64, exo: &[Vec<f64>]) -> anyhow::Result<SideRow> {
        let dt = self.scenario.block_seconds;
        let t = b * dt;
        self.p.app.update_block(|blk| {
            blk.time = blk.time.plus_seconds(dt);
            blk.height += 1;
        });
        let now = self.p.now();
        let outage = self.scenario.in_outage(t);
        if self.was_in_outage && !outage {
            self.gate.force = true;
        }
        self.was_in_outage = outage;
        #[allow(clippy::needless_range_loop)]
        for i in 0..self.scenario.risk.len() {
            let r = self.scenario.risk[i].clone();
            let factor = exo[i][b as usize] / exo[i][b as usize - 1];
            self.pools[i].apply_move(factor);
            if r.recovery_per_block > 0.0 {
                self.pools[i]
                    .recover_towards(r.start_price * exo[i][b as usize], r.recovery_per_block);
            }
            let pyth = r.denom == ATOM;
            if !(outage && pyth) {
                let price = self.pools[i].price();
                let started = std::time::Instant::now();
                self.p.set_price(&r.denom, dec256(price));
                self.ctx.time("sim set_price", started.elapsed());
                self.oracle[i] = (price, now);
                self.stats.price_updates += 1;
            }
            self.stats.note_price(&r.denom, self.oracle[i].0);
            let exo_abs = r.start_price * exo[i][b as usize];
            let impact = 1.0 - self.pools[i].price() / exo_abs;
            if impact > self.stats.max_impact {
                self.stats.max_impact = impact;
            }
        }

        // The chain changed (time, prices): cached answers are stale.
        self.ctx.cache.borrow_mut().clear();
        // A full `Liquidatable` scan this block, or the remembered candidates?
        let prices: Vec<f64> = self.oracle.iter().map(|(p, _)| *p).collect();
        let moved = self.gate.last_prices.len() != prices.len()
            || prices
                .iter()
                .zip(&self.gate.last_prices)
                .any(|(p, q)| (p / q - 1.0).abs() >= self.scenario.keepers.scan_move);
        let due = b.saturating_sub(self.gate.last_block) >= self.scenario.keepers.scan_every;
        let mut open = self.gate.force || moved || due;
        self.gate.force = false;
        let n = self.keepers.len();
        for j in 0..n {
            let k = (b as usize + j) % n;
            self.ctx.scan_open = open;
            self.ctx.scanned_this_round.set(false);
            // Resets are a public service paid by a tip: the first keeper of the block (the
            // order rotates) resets every lot that needs it, and the others would find none
            // left, so they skip the phase (and its read of every open lot).
            self.keepers[k].keeper.settings.reset = j == 0;
            self.ctx.fresh.borrow_mut().clear();
            let started = std::time::Instant::now();
            let report = {
                let slot = &mut self.keepers[k];
                let inner = InProcessChain::new(&mut self.p.app, slot.addr.clone());
                let mut chain = SimChain {
                    inner,
                    ctx: &mut self.ctx,
                };
                slot.keeper
                    .round(&mut chain)
                    .map_err(|e| anyhow!("keeper round: {e}"))?
            };
            self.ctx.time("keeper round (all)", started.elapsed());
            if self.ctx.scanned_this_round.get() {
                let fresh = std::mem::take(&mut *self.ctx.fresh.borrow_mut());
                *self.ctx.remembered.borrow_mut() = fresh;
                self.gate.last_prices = prices.clone();
                self.gate.last_block = b;
                open = false;
            }
            let started = std::time::Instant::now();
            let txs = std::mem::take(&mut self.ctx.txs);
            self.absorb(&txs, &report)?;
            self.forget_candidates(&txs, &report);
            self.ctx.time("sim absorb", started.elapsed());
        }
        let started = std::time::Instant::now();
        self.sell_inventories()?;
        self.ctx.cache.borrow_mut().clear();
        self.ctx.time("sim sales", started.elapsed());
        let started = std::time::Instant::now();
        let row = self.row();
        self.ctx.time("sim row queries", started.elapsed());
        Ok(row)
    }

    /// Drops from the remembered candidates those liquidated this round and those the keeper
    /// found healthy (or without collateral to move).
    fn forget_candidates(&mut self, txs: &[TxRecord], report: &RoundReport) {
        let mut gone: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for tx in txs.iter().filter(|t| t.error.is_none()) {
            for e in tx.events.iter().filter(|e| e.kind == "wasm") {
                let get = |k: &str| e.attributes.iter().find(|(a, _)| a == k).map(|(_, v)| v);
                if get("action").map(|a| a.as_str()) == Some("liquidate") {
                    if let Some(b) = get("borrower") {
                        gone.insert(b.clone());
                    }
                }
            }
        }
        for line in &report.skipped {
            if let Some((account, why)) = line.split_once(": ") {
                if why.starts_with("Healthy") || why.starts_with("NoCollateral") {
                    gone.insert(account.to_string());
                }
            }
        }
        if !gone.is_empty() {
            self.ctx
                .remembered
                .borrow_mut()
                .retain(|a| !gone.contains(&a.account));
        }
    }

    /// Books one round's transactions into the stats and the evidence.
    fn absorb(&mut self, txs: &[TxRecord], report: &RoundReport) -> anyhow::Result<()> {
        for e in &report.errors {
            let key = e.lines().next().unwrap_or_default().to_string();
            *self.evidence.phase_errors.entry(key).or_default() += 1;
        }
        let mut adl_accounts = vec![];
        for tx in txs {
            for kind in &tx.kinds {
                *self.stats.calls.entry(kind.clone()).or_default() += 1;
            }
            if let Some(error) = &tx.error {
                self.stats.failed_txs += 1;
                let first = error.lines().last().unwrap_or_default();
                let key = format!("{}: {}", tx.kinds.join("+"), shorten(first));
                *self.evidence.failures.entry(key).or_default() += 1;
                continue;
            }
            if tx.kinds.iter().any(|k| k == "bid") {
                let mut paid = 0.0;
                for (d, delta) in &tx.deltas {
                    let value = usd(delta.unsigned_abs(), self.price_of(d));
                    if *delta > 0 && d != QUOTE {
                        self.stats.collateral_sold_usd += value;
                        *self
                            .stats
                            .collateral_sold_units
                            .entry(d.clone())
                            .or_default() += *delta as u128;
                    } else if *delta < 0 {
                        paid += value;
                    }
                }
                self.stats.collateral_paid_usd += paid;
            }
            for event in &tx.events {
                self.absorb_event(event, &mut adl_accounts);
            }
        }
        for account in adl_accounts {
            let hf = self
                .p
                .query::<PositionResponse>(
                    &self.p.market,
                    &market::QueryMsg::Position {
                        account: account.clone(),
                    },
                )
                .ok()
                .and_then(|r| r.health_factor)
                .map(|h| to_f64(&h));
            if hf.is_some_and(|h| h < self.scenario.protocol.adl_min_hf - 1e-9) {
                self.stats.adl_below_min_hf += 1;
            }
            self.evidence.adl_after.push((account, hf));
        }
        Ok(())
    }

    fn absorb_event(&mut self, event: &TxEvent, adl_accounts: &mut Vec<String>) {
        let get = |k: &str| {
            event
                .attributes
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let num = |k: &str| get(k).and_then(|v| v.parse::<u128>().ok()).unwrap_or(0);
        match event.kind.as_str() {
            "wasm" => match get("action") {
                Some("liquidate") if get("health_factor").is_some() => {
                    let hf = get("health_factor")
                        .and_then(|h| h.parse::<f64>().ok())
                        .unwrap_or(f64::NAN);
                    self.stats.liquidations += 1;
                    self.stats.lots += get("lot_ids")
                        .map(|ids| ids.split(',').filter(|s| !s.is_empty()).count())
                        .unwrap_or(0) as u64;
                    if hf.is_nan() || hf >= 1.0 {
                        self.stats.healthy_liquidated += 1;
                    }
                    if hf > self.stats.max_liquidated_hf {
                        self.stats.max_liquidated_hf = hf;
                    }
                    self.evidence.liquidation_hfs.push(hf);
                }
                Some("cover_shortfall") | Some("absorb_lot") if get("loss").is_some() => {
                    let denom = get("denom").unwrap_or_default().to_string();
                    let price = self.price_of(&denom);
                    let l = self.evidence.ledgers.entry(denom.clone()).or_default();
                    l.loss += num("loss");
                    l.from_collateral += num("from_collateral");
                    l.from_penalty += num("from_penalty");
                    l.from_fund += num("from_fund");
                    l.from_stake += num("from_stake");
                    l.deficit += num("deficit");
                    self.stats.bad_debt_usd += usd(num("loss"), price);
                    self.stats.fund_paid_usd += usd(num("from_penalty") + num("from_fund"), price);
                    self.stats.stake_paid_usd += usd(num("from_stake"), price);
                    self.stats.deficit_recorded_usd += usd(num("deficit"), price);
                }
                Some("run_adl") => {
                    let denom = get("denom").unwrap_or_default().to_string();
                    let price = self.price_of(&denom);
                    let l = self.evidence.ledgers.entry(denom).or_default();
                    l.adl_written += num("written_down");
                    l.socialised += num("socialized");
                    self.stats.adl_written_usd += usd(num("written_down"), price);
                    self.stats.socialised_usd += usd(num("socialized"), price);
                }
                _ => {}
            },
            "wasm-ballast_adl" => {
                let denom = get("denom").unwrap_or_default().to_string();
                let price = self.price_of(&denom);
                let l = self.evidence.ledgers.entry(denom).or_default();
                l.adl_netted += num("netted");
                self.stats.adl_netted_usd += usd(num("netted"), price);
                if num("written_down") > 0 {
                    if let Some(a) = get("account") {
                        adl_accounts.push(a.to_string());
                    }
                }
            }
            "wasm-ballast_adl_socialize" => {
                let denom = get("denom").unwrap_or_default().to_string();
                let before = get("index_before").map(|v| to_f64(&v)).unwrap_or(1.0);
                let after = get("index_after").map(|v| to_f64(&v)).unwrap_or(1.0);
                let l = self.evidence.ledgers.entry(denom).or_default();
                if l.social_factor == 0.0 {
                    l.social_factor = 1.0;
                }
                if after > 0.0 {
                    l.social_factor *= before / after;
                }
            }
            _ => {}
        }
    }

    /// Keepers sell `sell_fraction` of the collateral they hold into the pools.
    fn sell_inventories(&mut self) -> anyhow::Result<()> {
        let fraction = self.scenario.keepers.sell_fraction.clamp(0.0, 1.0);
        if fraction == 0.0 {
            return Ok(());
        }
        for i in 0..self.scenario.risk.len() {
            let denom = self.scenario.risk[i].denom.clone();
            for k in 0..self.keepers.len() {
                let addr = self.keepers[k].addr.clone();
                let held = self.p.balance(&addr, &denom).u128();
                let sell = (held as f64 * fraction).floor() as u128;
                if sell == 0 {
                    continue;
                }
                let out = self.pools[i].sell_base(sell as f64).floor() as u128;
                self.stats.pool_sold_usd_at_oracle += usd(sell, self.oracle[i].0);
                self.stats.pool_proceeds_usd += usd(out, 1.0);
                self.p
                    .app
                    .send_tokens(addr.clone(), self.world.clone(), &[coin(sell, &denom)])
                    .map_err(|e| anyhow!("keeper sells into the pool: {e}"))?;
                if out > 0 {
                    self.p
                        .app
                        .send_tokens(self.world.clone(), addr, &[coin(out, QUOTE)])
                        .map_err(|e| anyhow!("the pool pays the keeper: {e}"))?;
                }
            }
        }
        Ok(())
    }

    /// The running figures after a block.
    fn row(&mut self) -> SideRow {
        let in_auction = self
            .p
            .query::<InAuctionResponse>(&self.p.auction, &auction::QueryMsg::InAuction {})
            .map(|r| usd(r.total_value.u128(), 1.0))
            .unwrap_or(0.0);
        if in_auction > self.stats.peak_in_auction_usd {
            self.stats.peak_in_auction_usd = in_auction;
        }
        let deficit = self
            .p
            .query::<DeficitsResponse>(&self.p.market, &market::QueryMsg::Deficits {})
            .map(|r| {
                r.deficits
                    .iter()
                    .map(|d| usd(d.amount.u128(), self.price_of(&d.denom)))
                    .sum()
            })
            .unwrap_or(0.0);
        SideRow {
            in_auction_usd: in_auction,
            bad_debt_usd: self.stats.bad_debt_usd,
            deficit_pending_usd: deficit,
            insurance_usd: self.insurance_usd(),
            liquidations: self.stats.liquidations,
            collateral_sold_usd: self.stats.collateral_sold_usd,
            adl_written_usd: self.stats.adl_written_usd,
            socialised_usd: self.stats.socialised_usd,
            calls: self.stats.total_calls(),
        }
    }

    /// End-of-run figures: latent bad debt, supplier losses, keeper profit, insurance left.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        let mut latent = 0.0;
        let mut supplier_losses = 0.0;
        let li_end: BTreeMap<String, f64> = all_denoms()
            .into_iter()
            .map(|d| (d.clone(), to_f64(&self.p.asset(&d).liquidity_index)))
            .collect();
        for (a, start) in self.accounts.iter().zip(&self.start) {
            let Ok(pos) = self.p.query::<PositionResponse>(
                &self.p.market,
                &market::QueryMsg::Position {
                    account: a.addr.to_string(),
                },
            ) else {
                continue;
            };
            let debt = usd(pos.total_debt_value.u128(), 1.0);
            let collateral = usd(pos.total_collateral_value.u128(), 1.0);
            if debt > collateral {
                latent += debt - collateral;
            }
            if a.kind == Kind::Supplier {
                let mut expected = 0.0;
                for (d, amount, _) in &start.supply {
                    let factor = self
                        .evidence
                        .ledgers
                        .get(d)
                        .map(|l| {
                            if l.social_factor > 0.0 {
                                l.social_factor
                            } else {
                                1.0
                            }
                        })
                        .unwrap_or(1.0);
                    let growth = li_end[d] * factor / self.start_index[d];
                    expected += usd(*amount, self.price_of(d)) * growth;
                }
                let actual: f64 = pos
                    .supply
                    .iter()
                    .map(|s| usd(s.amount.u128(), self.price_of(&s.denom)))
                    .sum();
                if expected > actual {
                    supplier_losses += expected - actual;
                }
            }
        }
        // Lots still open: debt their collateral no longer covers.
        if let Ok(lots) = self.p.query::<LotsResponse>(
            &self.p.auction,
            &auction::QueryMsg::ActiveLots {
                start_after: None,
                limit: Some(100),
            },
        ) {
            for lot in lots.lots {
                let debt = usd(crate::amt(&lot.debt), self.price_of(&lot.debt.denom));
                let collateral = usd(
                    crate::amt(&lot.collateral),
                    self.price_of(&lot.collateral.denom),
                );
                if debt > collateral {
                    latent += debt - collateral;
                }
            }
        }
        self.stats.latent_bad_debt_usd = latent;
        self.stats.supplier_losses_usd = supplier_losses;
        let mut profit = 0.0;
        for k in &self.keepers {
            profit += usd(self.p.balance(&k.addr, QUOTE).u128(), 1.0) - usd(k.budget, 1.0);
            for d in all_denoms().iter().filter(|d| *d != QUOTE) {
                profit += usd(self.p.balance(&k.addr, d).u128(), self.price_of(d));
            }
        }
        self.stats.keeper_profit_usd = profit;
        self.stats.insurance_end_usd = self.insurance_usd();
        self.stats.deficit_pending_usd = self
            .p
            .query::<DeficitsResponse>(&self.p.market, &market::QueryMsg::Deficits {})
            .map(|r| {
                r.deficits
                    .iter()
                    .map(|d| usd(d.amount.u128(), self.price_of(&d.denom)))
                    .sum()
            })
            .unwrap_or(0.0);
        // ADL written beyond the deficits it was handed, per denom in units, valued now.
        self.stats.adl_overshoot_usd = self
            .evidence
            .ledgers
            .iter()
            .map(|(d, l)| {
                let over = (l.adl_written + l.socialised).saturating_sub(l.deficit);
                usd(over, self.price_of(d))
            })
            .sum();
        Ok(())
    }

    /// The keepers' addresses.
    pub fn keeper_addrs(&self) -> Vec<Addr> {
        self.keepers.iter().map(|k| k.addr.clone()).collect()
    }

    /// Where the time went: (what, count, seconds), most first.
    pub fn timings(&self) -> Vec<(String, u64, f64)> {
        let mut out: Vec<(String, u64, f64)> = self
            .ctx
            .timings
            .borrow()
            .iter()
            .map(|(k, (n, d))| (k.clone(), *n, d.as_secs_f64()))
            .collect();
        out.sort_by(|a, b| b.2.total_cmp(&a.2));
        out
    }

    pub fn cache_hits(&self) -> u64 {
        self.ctx.cache_hits.get()
    }

    /// Scans of `Liquidatable` run and pages the gate answered without running.
    pub fn scan_counts(&self) -> (u64, u64, u64) {
        (
            self.ctx.scans.get(),
            self.ctx.pages.get(),
            self.ctx.gated_pages.get(),
        )
    }
}

fn shorten(s: &str) -> String {
    // Addresses and amounts vary; keep the part that says what failed.
    let s = s.trim();
    let cut = s.char_indices().nth(160).map(|(i, _)| i).unwrap_or(s.len());
    s[..cut].to_string()
}
