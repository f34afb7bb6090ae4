//! The keeper: one [`Keeper::round`] gathers what the decision functions ([`crate::decide`]) need
//! from any [`Chain`], and sends what they choose.
//!
//! A round, in order:
//! 1. read the registry (the market's `Config`: oracle, auction, backstop) and the block;
//! 2. optionally refresh stale Pyth prices (RPC mode, [`PriceUpdates::refresh_msgs`]);
//! 3. `Reset` the lots whose status is `needs_reset` (with a price update ahead, in RPC mode);
//! 4. `Bid` on active lots priced at or below oracle ratio × (1 − margin), sized by the balance
//!    and the per-lot maximum; most discounted first;
//! 5. `Liquidate` the accounts that `Liquidatable` lists, worst health first, each re-checked with
//!    `Position` and against the room under the caps (`InAuction` re-read before each), with a
//!    Pyth update for the account's denoms in the same transaction (RPC mode);
//! 6. for each denom with a pending deficit: `Poke` the accounts that the ADL queue files in too
//!    low a bucket, then `AdlStep { denom, limit }` while the deficit shrinks.
//!
//! Every transaction is simulated first (unless `simulate = false`) and skipped when the
//! simulation says it would fail. A phase whose queries fail is recorded in the report and the
//! round goes on with the next phase.

use std::collections::BTreeMap;
use std::fmt;

use ballast_types::auction::{self, AuctionParams, InAuctionResponse, LotResponse, LotsResponse};
use ballast_types::backstop::{self, BackstopParams};
use ballast_types::market::{
    self, AdlQueueResponse, CircuitLevelResponse, DeficitResponse, DeficitsResponse,
    LiquidatableAccount, LiquidatableResponse, PositionResponse,
};
use ballast_types::oracle::{self, PriceKind, PriceResponse};
use cosmwasm_std::{Coin, Decimal, Decimal256, Uint128};
use serde::{Deserialize, Serialize};

use crate::chain::{query, BlockInfo, Chain, ChainError, ContractMsg, TxOutcome};
use crate::decide::{self, BidPlan, BidPolicy, CapRoom};

/// The keeper's knobs (the `[keeper]` table of keeper.toml). Every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeeperSettings {
    /// Phases to run.
    pub liquidate: bool,
    pub bid: bool,
    pub reset: bool,
    pub adl: bool,
    pub poke: bool,
    /// Claim the pay that liquidations and resets earned, once it reaches `min_claim` of a
    /// denom (the auction accrues it; the backstop pays it on claim).
    pub claim_pay: bool,
    pub min_claim: Uint128,
    /// Page size of `Liquidatable` (accounts scanned per page, at most 100).
    pub liquidatable_page_limit: u32,
    /// Pages of `Liquidatable` scanned per round at most.
    pub max_liquidatable_pages: u32,
    pub max_liquidations_per_round: u32,
    /// Page size of `ActiveLots` and pages read per round at most.
    pub lots_page_limit: u32,
    pub max_lot_pages: u32,
    /// Bid when the lot's price ≤ oracle collateral price / oracle debt price × (1 − margin).
    pub bid_margin: Decimal,
    /// Most to spend on one lot, in quote value (`None`: the balance).
    pub max_bid_value: Option<Uint128>,
    /// Least expected profit (quote value) worth a bid.
    pub min_bid_profit: Uint128,
    pub max_bids_per_round: u32,
    pub max_resets_per_round: u32,
    /// Balances never spent on bids (fees): `[{ denom = "untrn", amount = "5000000" }]`.
    pub reserve: Vec<Coin>,
    /// `AdlStep::limit`.
    pub adl_limit: u32,
    pub max_adl_steps_per_round: u32,
    /// Entries of the ADL queue checked for stale scores per denom.
    pub adl_queue_scan: u32,
    /// Simulate each transaction first and skip it when it would fail.
    pub simulate: bool,
    /// Decide and simulate, never execute.
    pub dry_run: bool,
}

impl Default for KeeperSettings {
    fn default() -> Self {
        KeeperSettings {
            liquidate: true,
            bid: true,
            reset: true,
            adl: true,
            poke: true,
            claim_pay: true,
            min_claim: Uint128::zero(),
            liquidatable_page_limit: 30,
            max_liquidatable_pages: 50,
            max_liquidations_per_round: 10,
            lots_page_limit: 50,
            max_lot_pages: 20,
            bid_margin: Decimal::percent(2),
            max_bid_value: None,
            min_bid_profit: Uint128::zero(),
            max_bids_per_round: 10,
            max_resets_per_round: 20,
            reserve: vec![],
            adl_limit: 20,
            max_adl_steps_per_round: 10,
            adl_queue_scan: 30,
            simulate: true,
            dry_run: false,
        }
    }
}

impl KeeperSettings {
    fn bid_policy(&self) -> BidPolicy {
        BidPolicy {
            margin: self.bid_margin,
            max_value_per_lot: self.max_bid_value,
            min_profit: self.min_bid_profit,
        }
    }

    fn reserve_of(&self, denom: &str) -> Uint128 {
        self.reserve
            .iter()
            .filter(|c| c.denom == denom)
            .filter_map(ballast_types::funds::amount_u128)
            .sum()
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.bid_margin >= Decimal::one() {
            return Err(format!(
                "bid_margin must be below 1, got {}",
                self.bid_margin
            ));
        }
        if self.liquidatable_page_limit == 0 || self.lots_page_limit == 0 {
            return Err("page limits must be positive".into());
        }
        if self.adl_limit == 0 {
            return Err("adl_limit must be positive".into());
        }
        Ok(())
    }
}

/// Counters, per round and in total. `profit` is the expected profit of the bids made (collateral
/// at the oracle price − paid, quote units); `gas_used` is what the chain charged (zero in
/// process, where gas is not metered).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub rounds: u64,
    pub liquidations: u64,
    pub bids: u64,
    pub resets: u64,
    pub adl_steps: u64,
    pub pokes: u64,
    pub pay_claims: u64,
    pub price_updates: u64,
    /// Transactions that ran and failed.
    pub failed_txs: u64,
    /// Transactions not sent because their simulation failed.
    pub skipped_by_simulation: u64,
    /// Phases cut short by a query or transport error.
    pub errors: u64,
    pub gas_used: u64,
    pub profit: Uint128,
}

impl Counters {
    pub fn add(&mut self, other: &Counters) {
        self.rounds += other.rounds;
        self.liquidations += other.liquidations;
        self.bids += other.bids;
        self.resets += other.resets;
        self.adl_steps += other.adl_steps;
        self.pokes += other.pokes;
        self.pay_claims += other.pay_claims;
        self.price_updates += other.price_updates;
        self.failed_txs += other.failed_txs;
        self.skipped_by_simulation += other.skipped_by_simulation;
        self.errors += other.errors;
        self.gas_used += other.gas_used;
        self.profit += other.profit;
    }
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "liquidations={} bids={} resets={} adl_steps={} pokes={} pay_claims={} price_updates={} failed={} skipped={} errors={} gas_used={} profit={}",
            self.liquidations,
            self.bids,
            self.resets,
            self.adl_steps,
            self.pokes,
            self.pay_claims,
            self.price_updates,
            self.failed_txs,
            self.skipped_by_simulation,
            self.errors,
            self.gas_used,
            self.profit
        )
    }
}

/// One thing the keeper did or meant to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Liquidate { borrower: String },
    Bid(BidPlan),
    Reset { lot_id: u64 },
    AdlStep { denom: String, limit: u32 },
    Poke { accounts: Vec<String> },
    ClaimPay { owed: Vec<Coin> },
    RefreshPrices,
}

/// What became of an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Executed successfully.
    Done {
        tx_hash: Option<String>,
        gas_used: Option<u64>,
    },
    /// Executed and failed.
    Failed(String),
    /// Not sent: the simulation said it would fail.
    WouldFail(String),
    /// Not sent: dry run.
    DryRun,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub action: Action,
    pub status: Status,
}

/// The record of one round.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub block: Option<BlockInfo>,
    pub counters: Counters,
    pub actions: Vec<ActionRecord>,
    /// Accounts and lots passed over, with the reason (for logs).
    pub skipped: Vec<String>,
    /// Phases cut short, with the error.
    pub errors: Vec<String>,
}

/// Pull-oracle price updates put ahead of the keeper's transactions (Pyth, RPC mode). The
/// in-process chain needs none: its price feed contract is set directly by the test.
pub trait PriceUpdates {
    /// Messages to run before a message that loads the prices of `denoms` (`None`: every denom
    /// the updater knows), in the same transaction.
    fn update_msgs(
        &mut self,
        chain: &dyn Chain,
        oracle: &str,
        denoms: Option<&[String]>,
    ) -> Result<Vec<ContractMsg>, ChainError>;

    /// Messages for a standalone refresh at the start of a round, when some on-chain price is
    /// too old for the keeper's own queries (`Liquidatable` skips accounts it cannot price).
    /// Empty when nothing needs it.
    fn refresh_msgs(
        &mut self,
        _chain: &dyn Chain,
        _oracle: &str,
        _now: u64,
    ) -> Result<Vec<ContractMsg>, ChainError> {
        Ok(vec![])
    }
}

/// The protocol's addresses as the round found them.
#[derive(Clone, Debug)]
struct Registry {
    market: String,
    oracle: String,
    auction: String,
    backstop: String,
    dust_value: Uint128,
}

/// The keeper: its settings, its running totals, and the price updater (RPC mode).
pub struct Keeper {
    pub settings: KeeperSettings,
    /// The market's address: the registry of the other three.
    pub market: String,
    pub totals: Counters,
    updates: Option<Box<dyn PriceUpdates>>,
}

impl Keeper {
    pub fn new(market: impl Into<String>, settings: KeeperSettings) -> Self {
        Keeper {
            settings,
            market: market.into(),
            totals: Counters::default(),
            updates: None,
        }
    }

    /// Puts price updates ahead of liquidations, resets and ADL steps (Pyth in RPC mode).
    pub fn with_price_updates(mut self, updates: Box<dyn PriceUpdates>) -> Self {
        self.updates = Some(updates);
        self
    }

    /// Runs one round against `chain` (see the module docs) and returns what it did; the totals
    /// in `self.totals` include it. Only a failure to read the block or the market's config is
    /// an error; later failures are recorded in the report.
    pub fn round(&mut self, chain: &mut dyn Chain) -> Result<RoundReport, ChainError> {
        let mut report = RoundReport::default();
        let block = chain.block()?;
        report.block = Some(block);
        report.counters.rounds = 1;
        let config: market::Config = query(chain, &self.market, &market::QueryMsg::Config {})?;
        let (Some(auction), Some(backstop)) = (config.auction.clone(), config.backstop.clone())
        else {
            report
                .errors
                .push("the market has no auction or backstop configured yet".into());
            self.totals.add(&report.counters);
            return Ok(report);
        };
        let registry = Registry {
            market: self.market.clone(),
            oracle: config.oracle.to_string(),
            auction: auction.to_string(),
            backstop: backstop.to_string(),
            dust_value: config.dust_value,
        };

        let circuit: CircuitLevelResponse =
            query(chain, &registry.market, &market::QueryMsg::CircuitLevel {})?;
        if decide::halted(&circuit) {
            report
                .skipped
                .push("the market is halted: nothing moves until it is lifted".into());
            self.totals.add(&report.counters);
            return Ok(report);
        }

        let phases: [(&str, bool, Phase); 6] = [
            (
                "refresh prices",
                self.updates.is_some(),
                Keeper::refresh_phase,
            ),
            ("reset", self.settings.reset, Keeper::reset_phase),
            ("bid", self.settings.bid, Keeper::bid_phase),
            (
                "liquidate",
                self.settings.liquidate,
                Keeper::liquidate_phase,
            ),
            (
                "adl",
                self.settings.adl || self.settings.poke,
                Keeper::adl_phase,
            ),
            ("claim pay", self.settings.claim_pay, Keeper::claim_phase),
        ];
        for (name, enabled, phase) in phases {
            if !enabled {
                continue;
            }
            if let Err(e) = phase(self, chain, &registry, block, &mut report) {
                tracing::warn!(phase = name, error = %e, "phase cut short");
                report.errors.push(format!("{name}: {e}"));
                report.counters.errors += 1;
            }
        }
        self.totals.add(&report.counters);
        Ok(report)
    }

    /// Simulates (unless disabled) and executes `msgs`, recording the outcome. Returns the
    /// outcome when the transaction ran successfully.
    fn send(
        &mut self,
        chain: &mut dyn Chain,
        msgs: Vec<ContractMsg>,
        action: Action,
        report: &mut RoundReport,
    ) -> Result<Option<TxOutcome>, ChainError> {
        if self.settings.simulate || self.settings.dry_run {
            let sim = chain.simulate(&msgs)?;
            if let Some(error) = sim.error {
                tracing::info!(?action, %error, "simulation fails; not sent");
                report.counters.skipped_by_simulation += 1;
                report.actions.push(ActionRecord {
                    action,
                    status: Status::WouldFail(error),
                });
                return Ok(None);
            }
        }
        if self.settings.dry_run {
            tracing::info!(?action, "dry run: would send");
            report.actions.push(ActionRecord {
                action,
                status: Status::DryRun,
            });
            return Ok(None);
        }
        let outcome = chain.execute(&msgs)?;
        report.counters.gas_used += outcome.gas_used.unwrap_or(0);
        match &outcome.error {
            None => {
                tracing::info!(?action, tx = ?outcome.tx_hash, gas = ?outcome.gas_used, "done");
                report.actions.push(ActionRecord {
                    action,
                    status: Status::Done {
                        tx_hash: outcome.tx_hash.clone(),
                        gas_used: outcome.gas_used,
                    },
                });
                Ok(Some(outcome))
            }
            Some(error) => {
                tracing::warn!(?action, %error, "transaction failed");
                report.counters.failed_txs += 1;
                report.actions.push(ActionRecord {
                    action,
                    status: Status::Failed(error.clone()),
                });
                Ok(None)
            }
        }
    }

    fn price_updates(
        &mut self,
        chain: &dyn Chain,
        registry: &Registry,
        denoms: Option<&[String]>,
    ) -> Result<Vec<ContractMsg>, ChainError> {
        match self.updates.as_mut() {
            Some(updates) => updates.update_msgs(chain, &registry.oracle, denoms),
            None => Ok(vec![]),
        }
    }

    fn refresh_phase(
        &mut self,
        chain: &mut dyn Chain,
        registry: &Registry,
        block: BlockInfo,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let Some(updates) = self.updates.as_mut() else {
            return Ok(());
        };
        let msgs = updates.refresh_msgs(chain, &registry.oracle, block.time)?;
        if msgs.is_empty() {
            return Ok(());
        }
        if self
            .send(chain, msgs, Action::RefreshPrices, report)?
            .is_some()
        {
            report.counters.price_updates += 1;
        }
        Ok(())
    }

    fn active_lots(
        &self,
        chain: &dyn Chain,
        registry: &Registry,
    ) -> Result<Vec<LotResponse>, ChainError> {
        let mut lots = vec![];
        let mut start_after = None;
        for _ in 0..self.settings.max_lot_pages {
            let page: LotsResponse = query(
                chain,
                &registry.auction,
                &auction::QueryMsg::ActiveLots {
                    start_after,
                    limit: Some(self.settings.lots_page_limit),
                },
            )?;
            let full = page.lots.len() as u32 >= self.settings.lots_page_limit;
            start_after = page.lots.last().map(|l| l.lot_id);
            lots.extend(page.lots);
            if !full || start_after.is_none() {
                break;
            }
        }
        Ok(lots)
    }

    /// Claims the keeper pay the auction has accrued for this keeper, when some denom reaches
    /// `min_claim`.
    fn claim_phase(
        &mut self,
        chain: &mut dyn Chain,
        registry: &Registry,
        _block: BlockInfo,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let pay: auction::KeeperPayResponse = query(
            chain,
            &registry.auction,
            &auction::QueryMsg::KeeperPay {
                keeper: chain.sender(),
            },
        )?;
        let due: Vec<Coin> = pay
            .owed
            .into_iter()
            .filter(|c| {
                Uint128::try_from(c.amount).unwrap_or(Uint128::MAX)
                    >= self.settings.min_claim.max(Uint128::one())
            })
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let msg = ContractMsg::new(
            &registry.auction,
            &auction::ExecuteMsg::ClaimKeeperPay {
                denoms: Some(due.iter().map(|c| c.denom.clone()).collect()),
            },
            vec![],
        )?;
        if self
            .send(chain, vec![msg], Action::ClaimPay { owed: due }, report)?
            .is_some()
        {
            report.counters.pay_claims += 1;
        }
        Ok(())
    }

    fn reset_phase(
        &mut self,
        chain: &mut dyn Chain,
        registry: &Registry,
        _block: BlockInfo,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let lots = self.active_lots(chain, registry)?;
        let to_reset = decide::lots_to_reset(&lots);
        for lot_id in to_reset
            .into_iter()
            .take(self.settings.max_resets_per_round as usize)
        {
            let lot = lots.iter().find(|l| l.lot_id == lot_id);
            let denoms: Vec<String> = lot
                .map(|l| vec![l.collateral.denom.clone(), l.debt.denom.clone()])
                .unwrap_or_default();
            let mut msgs = self.price_updates(chain, registry, Some(&denoms))?;
            msgs.push(ContractMsg::new(
                &registry.auction,
                &auction::ExecuteMsg::Reset { lot_id },
                vec![],
            )?);
            if self
                .send(chain, msgs, Action::Reset { lot_id }, report)?
                .is_some()
            {
                report.counters.resets += 1;
            }
        }
        Ok(())
    }

    fn bid_phase(
        &mut self,
        chain: &mut dyn Chain,
        registry: &Registry,
        _block: BlockInfo,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let lots: Vec<LotResponse> = self
            .active_lots(chain, registry)?
            .into_iter()
            .filter(|l| l.status == auction::LotStatus::Active)
            .collect();
        if lots.is_empty() {
            return Ok(());
        }
        let me = chain.sender();
        let mut prices = BTreeMap::new();
        let mut budgets = BTreeMap::new();
        for lot in &lots {
            for denom in [&lot.collateral.denom, &lot.debt.denom] {
                if prices.contains_key(denom) {
                    continue;
                }
                match oracle_price(chain, &registry.oracle, denom) {
                    Ok(price) => {
                        prices.insert(denom.clone(), price);
                    }
                    Err(e) => report
                        .skipped
                        .push(format!("no oracle price for {denom}: {e}")),
                }
            }
            let debt_denom = &lot.debt.denom;
            if !budgets.contains_key(debt_denom) {
                let balance = chain.balance(&me, debt_denom)?;
                budgets.insert(
                    debt_denom.clone(),
                    decide::spendable(balance, self.settings.reserve_of(debt_denom)),
                );
            }
        }
        let plans = decide::plan_bids(&lots, &prices, &budgets, &self.settings.bid_policy());
        for plan in plans
            .into_iter()
            .take(self.settings.max_bids_per_round as usize)
        {
            let msg = ContractMsg::new(
                &registry.auction,
                &auction::ExecuteMsg::Bid {
                    lot_id: plan.lot_id,
                    max_collateral: plan.max_collateral,
                    max_price: plan.max_price,
                    recipient: None,
                },
                vec![plan.pay.clone()],
            )?;
            let profit = plan.expected_profit;
            if self
                .send(chain, vec![msg], Action::Bid(plan), report)?
                .is_some()
            {
                report.counters.bids += 1;
                report.counters.profit += profit;
            }
        }
        Ok(())
    }

    fn liquidatable_accounts(
        &self,
        chain: &dyn Chain,
        registry: &Registry,
    ) -> Result<Vec<LiquidatableAccount>, ChainError> {
        let mut accounts = vec![];
        let mut start_after = None;
        for _ in 0..self.settings.max_liquidatable_pages {
            let page: LiquidatableResponse = query(
                chain,
                &registry.market,
                &market::QueryMsg::Liquidatable {
                    start_after: start_after.clone(),
                    limit: Some(self.settings.liquidatable_page_limit),
                },
            )?;
            accounts.extend(page.accounts);
            match page.next {
                Some(next) if Some(&next) != start_after.as_ref() => start_after = Some(next),
                _ => break,
            }
        }
        Ok(accounts)
    }

    fn liquidate_phase(
        &mut self,
        chain: &mut dyn Chain,
        registry: &Registry,
        block: BlockInfo,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let circuit: CircuitLevelResponse =
            query(chain, &registry.market, &market::QueryMsg::CircuitLevel {})?;
        if !decide::liquidations_allowed(&circuit, block.time) {
            report.skipped.push(format!(
                "liquidations paused: level {}, resume at {:?}",
                circuit.level, circuit.liquidations_resume_at
            ));
            return Ok(());
        }
        let me = chain.sender();
        let candidates =
            decide::liquidation_candidates(&self.liquidatable_accounts(chain, registry)?, &me);
        if candidates.is_empty() {
            return Ok(());
        }
        let params: AuctionParams = query::<auction::ConfigResponse>(
            chain,
            &registry.auction,
            &auction::QueryMsg::Config {},
        )?
        .params;
        let mut sent = 0;
        for candidate in candidates {
            if sent >= self.settings.max_liquidations_per_round {
                break;
            }
            // The room changes with every liquidation and bid: read it afresh.
            let in_auction: InAuctionResponse =
                query(chain, &registry.auction, &auction::QueryMsg::InAuction {})?;
            let room = CapRoom::new(&params, &in_auction);
            if room.global.is_zero() {
                report
                    .skipped
                    .push("no room under the global in-auction cap".into());
                break;
            }
            let position: PositionResponse = query(
                chain,
                &registry.market,
                &market::QueryMsg::Position {
                    account: candidate.account.clone(),
                },
            )?;
            if let Err(skip) = decide::check_liquidation(&position, &me, &room, registry.dust_value)
            {
                report
                    .skipped
                    .push(format!("{}: {skip:?}", candidate.account));
                continue;
            }
            let denoms = decide::position_denoms(&position);
            let mut msgs = self.price_updates(chain, registry, Some(&denoms))?;
            msgs.push(ContractMsg::new(
                &registry.market,
                &market::ExecuteMsg::Liquidate {
                    borrower: candidate.account.clone(),
                },
                vec![],
            )?);
            sent += 1;
            let action = Action::Liquidate {
                borrower: candidate.account.clone(),
            };
            if self.send(chain, msgs, action, report)?.is_some() {
                report.counters.liquidations += 1;
            }
        }
        Ok(())
    }

    fn adl_phase(
        &mut self,
        chain: &mut dyn Chain,
        registry: &Registry,
        _block: BlockInfo,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let deficits: DeficitsResponse =
            query(chain, &registry.backstop, &backstop::QueryMsg::Deficits {})?;
        let denoms = decide::adl_denoms(&deficits.deficits);
        if denoms.is_empty() {
            return Ok(());
        }
        let params: BackstopParams = query::<backstop::ConfigResponse>(
            chain,
            &registry.backstop,
            &backstop::QueryMsg::Config {},
        )?
        .params;
        for denom in denoms {
            if self.settings.poke {
                self.poke_stale(chain, registry, &denom, &params, report)?;
            }
            if !self.settings.adl {
                continue;
            }
            let mut before = deficit_of(&deficits.deficits, &denom);
            for _ in 0..self.settings.max_adl_steps_per_round {
                let mut msgs = self.price_updates(chain, registry, None)?;
                msgs.push(ContractMsg::new(
                    &registry.backstop,
                    &backstop::ExecuteMsg::AdlStep {
                        denom: denom.clone(),
                        limit: self.settings.adl_limit,
                    },
                    vec![],
                )?);
                let action = Action::AdlStep {
                    denom: denom.clone(),
                    limit: self.settings.adl_limit,
                };
                if self.send(chain, msgs, action, report)?.is_none() {
                    break;
                }
                report.counters.adl_steps += 1;
                let after: DeficitResponse = query(
                    chain,
                    &registry.backstop,
                    &backstop::QueryMsg::Deficit {
                        denom: denom.clone(),
                    },
                )?;
                if !decide::adl_continue(before, after.amount) {
                    break;
                }
                before = after.amount;
            }
        }
        Ok(())
    }

    fn poke_stale(
        &mut self,
        chain: &mut dyn Chain,
        registry: &Registry,
        denom: &str,
        params: &BackstopParams,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let queue: AdlQueueResponse = query(
            chain,
            &registry.market,
            &market::QueryMsg::AdlQueue {
                denom: denom.to_string(),
                limit: Some(self.settings.adl_queue_scan),
            },
        )?;
        let mut positions = BTreeMap::new();
        for entry in &queue.entries {
            if let Ok(position) = query::<PositionResponse>(
                chain,
                &registry.market,
                &market::QueryMsg::Position {
                    account: entry.account.clone(),
                },
            ) {
                positions.insert(entry.account.clone(), position);
            }
        }
        let stale = decide::stale_scores(&queue.entries, &positions, params);
        if stale.is_empty() {
            return Ok(());
        }
        let mut msgs = self.price_updates(chain, registry, None)?;
        for account in &stale {
            msgs.push(ContractMsg::new(
                &registry.market,
                &market::ExecuteMsg::Poke {
                    account: account.clone(),
                },
                vec![],
            )?);
        }
        let n = stale.len() as u64;
        if self
            .send(chain, msgs, Action::Poke { accounts: stale }, report)?
            .is_some()
        {
            report.counters.pokes += n;
        }
        Ok(())
    }
}

type Phase = fn(
    &mut Keeper,
    &mut dyn Chain,
    &Registry,
    BlockInfo,
    &mut RoundReport,
) -> Result<(), ChainError>;

fn deficit_of(deficits: &[DeficitResponse], denom: &str) -> Uint128 {
    deficits
        .iter()
        .find(|d| d.denom == denom)
        .map(|d| d.amount)
        .unwrap_or_default()
}

/// The oracle's Liquidation price of `denom` (freshness and positivity checks only: the price a
/// bidder can sell at, even while a deviation check trips).
pub fn oracle_price(
    chain: &dyn Chain,
    oracle: &str,
    denom: &str,
) -> Result<Decimal256, ChainError> {
    let answer: PriceResponse = query(
        chain,
        oracle,
        &oracle::QueryMsg::Price {
            denom: denom.to_string(),
            kind: Some(PriceKind::Liquidation),
        },
    )?;
    Ok(answer.price)
}

#[cfg(test)]
mod tests;
