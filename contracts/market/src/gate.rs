//! The gate: the one path by which an account change is judged and stored.
//!
//! Every handler that changes an account runs the same four steps:
//! 1. `Books::new` opens the action: the market's config and a ledger of the assets it touches;
//! 2. `Books::open` loads the account with every social claim credited (PROTOCOL.md,
//!    settlement 7), so nothing judges an account without what it is owed;
//! 3. the handler applies its change to `AccountChange::account` through the ledger
//!    (`crate::ledger`), where supply that leaves the pool at par is refused while its denom has
//!    a deficit pending;
//! 4. `Books::commit` judges the change by who made it (`Change`): the circuit level, borrowing
//!    power at Default prices with every circuit the judgement uses, then the ADL filing and
//!    the save; `Books::finish` writes the assets' books once for the whole action.
//!
//! `ACCOUNTS` and `BORROWERS` are written here and nowhere else, so no handler can store an
//! account without passing the gate.

use std::cell::OnceCell;

use cosmwasm_std::{Addr, Decimal, DepsMut, Env, QuerierWrapper, Storage};

use ballast_types::backstop::{AdlParams, ADL_PARAMS};
use ballast_types::circuit::GatedAction;
use ballast_types::market::Config;
use ballast_types::math::{dec_to_uint, Rounding};
use ballast_types::oracle::PriceKind;

use crate::adl::{self, Filing};
use crate::error::{ContractError, ContractResult};
use crate::health::{capacity, valuation};
use crate::ledger::{load_account_with_claims, Ledger};
use crate::prices::Prices;
use crate::small_map::SmallMap;
use crate::state::{Account, ACCOUNTS, BORROWERS, CIRCUIT, CONFIG};

/// One action's view of the market: storage, the oracle and siblings, the config, and the
/// assets it touches.
pub struct Books<'a> {
    pub storage: &'a mut dyn Storage,
    pub querier: QuerierWrapper<'a>,
    config: OnceCell<Config>,
    pub ledger: Ledger,
    adl_params: Option<Option<AdlParams>>,
}

/// An account opened for a change: as stored, as opened (claims credited), and as changed.
pub struct AccountChange {
    pub addr: Addr,
    stored: Account,
    opened: Account,
    pub account: Account,
    claims_credited: bool,
}

impl AccountChange {
    /// The account as it was stored before this action.
    pub fn stored(&self) -> &Account {
        &self.stored
    }
}

/// What the gate stored: the account, and the scores it was filed by (empty when its buckets
/// were kept).
pub struct Committed {
    pub scores: SmallMap<Decimal>,
    pub account: Account,
}

/// Who made a change, which decides how the gate judges it.
#[derive(Clone, Copy)]
pub enum Change<'p> {
    /// A deposit or a repay, by the holder or by anyone: it only adds to the account, so no
    /// circuit level stops it and it needs no price. Filings keep their buckets.
    TopUp,
    /// The holder's own change (borrow, withdraw, collateral on or off). The circuit level is
    /// checked for what the change does; a change that adds debt, or takes collateral out of an
    /// account with debt, must leave the debt within borrowing power at Default prices
    /// (Exact rule 8), where collateral whose price is refused or whose oracle circuit is open
    /// counts as zero and a debt without such a price refuses the change. The filings are
    /// rescored at those prices.
    ByHolder,
    /// The protocol's own change (liquidation, a lot closing, cover, ADL, `Poke`), judged by its
    /// handler at Liquidation prices. With `prices`, the filings are rescored there; `drop`
    /// takes the account's supply of that denom out of the ADL index.
    Judged {
        prices: Option<&'p Prices>,
        drop: Option<&'p str>,
    },
}

impl<'a> Books<'a> {
    pub fn new(deps: DepsMut<'a>, env: &Env) -> ContractResult<Self> {
        Ok(Books {
            storage: deps.storage,
            querier: deps.querier,
            config: OnceCell::new(),
            ledger: Ledger::new(env.block.time.seconds()),
            adl_params: None,
        })
    }

    /// The market's config, read once, when the action first needs it (a top-up never does).
    pub fn config(&self) -> ContractResult<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let config = CONFIG.load(self.storage)?;
        Ok(self.config.get_or_init(|| config))
    }

    pub fn now(&self) -> u64 {
        self.ledger.now
    }

    /// Refuses `action` when the circuit level in force stops it (the table in
    /// `ballast_types::circuit`).
    pub fn ensure_allows(&self, action: GatedAction) -> ContractResult<()> {
        let circuit = CIRCUIT.may_load(self.storage)?.unwrap_or_default();
        Ok(circuit.ensure_allows(self.now(), action)?)
    }

    /// The backstop's ADL parameters, read raw once per action; `None` before a backstop is set.
    pub fn adl_params(&mut self) -> ContractResult<Option<AdlParams>> {
        if self.adl_params.is_none() {
            let params = match &self.config()?.backstop {
                Some(backstop) => ADL_PARAMS.query(&self.querier, backstop.clone()).ok(),
                None => None,
            };
            self.adl_params = Some(params);
        }
        Ok(self.adl_params.clone().flatten())
    }

    /// Prices of `kind` for every denom the account's health depends on: its collateral and
    /// its debts (supply that is not collateral needs none), plus `extra`.
    pub fn prices_for(
        &self,
        account: &Account,
        kind: PriceKind,
        extra: &[String],
    ) -> ContractResult<Prices> {
        let mut denoms = health_denoms(account);
        denoms.extend(extra.iter().cloned());
        Prices::load(
            &self.querier,
            &self.config()?.oracle,
            &denoms,
            kind,
            self.now(),
        )
    }

    /// Loads the account with every social claim credited.
    pub fn open(&mut self, addr: &Addr) -> ContractResult<AccountChange> {
        let stored = ACCOUNTS.may_load(self.storage, addr)?.unwrap_or_default();
        let mut opened = stored.clone();
        load_account_with_claims(&mut self.ledger, self.storage, &mut opened)?;
        Ok(AccountChange {
            addr: addr.clone(),
            stored,
            account: opened.clone(),
            opened,
            claims_credited: true,
        })
    }

    /// Loads the account for a top-up (`Change::TopUp`) as stored: nothing judges it, so its
    /// claims wait for the next change that does (a deposit credits the claims of the denom it
    /// adds to, as every change to a supply does), and no other asset is loaded.
    pub fn open_for_top_up(&mut self, addr: &Addr) -> ContractResult<AccountChange> {
        let stored = ACCOUNTS.may_load(self.storage, addr)?.unwrap_or_default();
        Ok(AccountChange {
            addr: addr.clone(),
            account: stored.clone(),
            opened: stored.clone(),
            stored,
            claims_credited: false,
        })
    }

    /// Judges the change (see `Change`), refiles the account in the ADL index and stores it.
    pub fn commit(&mut self, mut change: AccountChange, how: Change) -> ContractResult<Committed> {
        if !change.claims_credited && !matches!(how, Change::TopUp) {
            // Only a top-up may skip the claims; anything judged sees what the account is owed.
            return Err(ContractError::InvalidConfig {
                reason: format!(
                    "{} was opened for a top-up, not a judged change",
                    change.addr
                ),
            });
        }
        let mut scores = SmallMap::new();
        let judged_at: Option<Prices>;
        let rescore_at = match how {
            Change::TopUp => None,
            Change::ByHolder => {
                judged_at = self.judge_holder_change(&change)?;
                judged_at.as_ref()
            }
            Change::Judged { prices, .. } => prices,
        };
        // The backstop's parameters only when the account is rescored (a top-up keeps its buckets).
        let params = match rescore_at {
            Some(_) => self.adl_params()?,
            None => None,
        };
        let filing = match (rescore_at, params.as_ref()) {
            (Some(prices), Some(params)) => {
                let account = &change.account;
                scores = adl::scores(
                    &self.ledger,
                    account,
                    &valuation(&self.ledger, account, prices)?,
                )?;
                if let Change::Judged {
                    drop: Some(denom), ..
                } = how
                {
                    scores.remove(denom);
                }
                Filing::Scored {
                    params,
                    scores: &scores,
                }
            }
            _ => match how {
                Change::Judged {
                    drop: Some(denom), ..
                } => Filing::KeptExcept(denom),
                _ => Filing::Kept,
            },
        };
        adl::sync(
            self.storage,
            &change.addr,
            &change.stored,
            &mut change.account,
            filing,
        )?;
        store(self.storage, &change.addr, &change.stored, &change.account)?;
        Ok(Committed {
            scores,
            account: change.account,
        })
    }

    /// The holder's change: the circuit level for what it does, then borrowing power when it
    /// adds debt or takes collateral from an account with debt. Returns the prices to rescore
    /// the account at, when it was judged.
    fn judge_holder_change(&self, change: &AccountChange) -> ContractResult<Option<Prices>> {
        let (account, opened) = (&change.account, &change.opened);
        let adds_debt = account.debts.iter().any(|p| {
            opened
                .debt(&p.denom)
                .is_none_or(|before| p.scaled > before.scaled)
        });
        let takes_collateral = opened
            .supplies
            .iter()
            .filter(|p| p.collateral)
            .any(|before| {
                account
                    .supply(&before.denom)
                    .is_none_or(|p| !p.collateral || p.scaled < before.scaled)
            });
        let has_debt = account.has_debt();
        let action = if adds_debt {
            GatedAction::Borrow
        } else if takes_collateral && has_debt {
            GatedAction::WithdrawCollateralBackingDebt
        } else {
            GatedAction::WithdrawOrChangeCollateral
        };
        self.ensure_allows(action)?;
        if !(has_debt && (adds_debt || takes_collateral)) {
            return Ok(None);
        }
        let prices = self.prices_for(account, PriceKind::Default, &[])?;
        let capacity = capacity(&self.ledger, account, &prices)?;
        if !capacity.is_within() {
            return Err(match capacity.zeroed {
                // The collateral that would have carried the change has no usable price.
                Some(refusal) => refusal.into(),
                None => ContractError::InsufficientCollateral {
                    debt_value: dec_to_uint(capacity.debt_value, Rounding::Up)?,
                    borrow_power: dec_to_uint(capacity.borrow_power, Rounding::Down)?,
                },
            });
        }
        Ok(Some(prices))
    }

    /// Writes back the books of every asset the action changed. The last step of every action
    /// that opened `Books`.
    pub fn finish(mut self) -> ContractResult<()> {
        self.ledger.save(self.storage)
    }
}

/// Every denom an account's health depends on: collateral and debts.
pub fn health_denoms(account: &Account) -> Vec<String> {
    let mut denoms: Vec<String> = account
        .supplies
        .iter()
        .filter(|p| p.collateral && !p.scaled.is_zero())
        .map(|p| p.denom.clone())
        .chain(
            account
                .debts
                .iter()
                .filter(|p| !p.scaled.is_zero())
                .map(|p| p.denom.clone()),
        )
        .collect();
    denoms.sort();
    denoms.dedup();
    denoms
}

/// Saves an account (removing it when empty) and keeps the borrower list in step.
fn store(
    storage: &mut dyn Storage,
    addr: &Addr,
    before: &Account,
    after: &Account,
) -> ContractResult<()> {
    if after.is_empty() {
        ACCOUNTS.remove(storage, addr);
    } else if after != before {
        ACCOUNTS.save(storage, addr, after)?;
    }
    match (before.has_debt(), after.has_debt()) {
        (false, true) => BORROWERS.save(storage, addr, &())?,
        (true, false) => BORROWERS.remove(storage, addr),
        _ => {}
    }
    Ok(())
}
