//! The market's circuit levels: what each stops, and the auction clocks a halt pauses.
//!
//! One table (`CircuitLevel::lowest_stopping`) says which level stops which action; every
//! contract asks it, and docs/PROTOCOL.md prints it. The market owns the state (`CIRCUIT`); the
//! auction and the backstop read it raw, so a halt stops every contract at once.

use cosmwasm_schema::cw_serde;
use cw_storage_plus::Item;

/// Circuit levels, lowest first. Each stops what the levels below it stop, and more.
#[cw_serde]
#[derive(Copy, Default, Eq, PartialOrd, Ord)]
pub enum CircuitLevel {
    /// Nothing is stopped.
    #[default]
    Normal,
    /// No new borrows.
    NoBorrows,
    /// Also no withdrawal (or disabling) of collateral that backs debt.
    NoCollateralWithdrawals,
    /// Everything that moves value stops but deposits, repays, stakes and fund deposits; the
    /// auction clocks stop with it. After it is lifted, liquidations (and the clocks) wait out
    /// the grace period.
    Halt,
}

/// Every action a circuit level can stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatedAction {
    /// market `Borrow`.
    Borrow,
    /// market `Withdraw` of, or `SetCollateral` off for, collateral of an account with debt.
    WithdrawCollateralBackingDebt,
    /// market `Withdraw` and `SetCollateral` otherwise.
    WithdrawOrChangeCollateral,
    /// market `Liquidate` (also waits out the grace period after a halt).
    Liquidate,
    /// auction `Bid` and `Reset` (a failing reset too): the auction clocks are paused.
    AuctionBidOrReset,
    /// backstop `SellAbsorbed` by anyone but the owner (the market must be calm).
    SellAbsorbedByAnyone,
    /// backstop `SellAbsorbed` by the owner, and auction `StartSale`.
    SellAbsorbedByOwner,
    /// backstop `AdlStep` and market `RunAdl`.
    AdlStep,
    /// market `ClaimReserves`, auction `ClaimKeeperPay`, backstop `Unstake` and `Claim`.
    PayOut,
}

impl GatedAction {
    /// Every gated action, in the order of the table in docs/PROTOCOL.md.
    pub const ALL: [GatedAction; 9] = [
        GatedAction::Borrow,
        GatedAction::SellAbsorbedByAnyone,
        GatedAction::WithdrawCollateralBackingDebt,
        GatedAction::WithdrawOrChangeCollateral,
        GatedAction::Liquidate,
        GatedAction::AuctionBidOrReset,
        GatedAction::SellAbsorbedByOwner,
        GatedAction::AdlStep,
        GatedAction::PayOut,
    ];

    /// What the action is called in errors and events.
    pub fn name(self) -> &'static str {
        match self {
            GatedAction::Borrow => "borrow",
            GatedAction::WithdrawCollateralBackingDebt => "withdrawing collateral that backs debt",
            GatedAction::WithdrawOrChangeCollateral => "withdraw or change collateral",
            GatedAction::Liquidate => "liquidate",
            GatedAction::AuctionBidOrReset => "bid on or reset a lot",
            GatedAction::SellAbsorbedByAnyone => "sell absorbed collateral",
            GatedAction::SellAbsorbedByOwner => "sell absorbed collateral (owner)",
            GatedAction::AdlStep => "ADL step",
            GatedAction::PayOut => "pay out reserves, keeper pay or stake",
        }
    }
}

impl CircuitLevel {
    /// The lowest level that stops `action`: the one table of which level stops what.
    pub fn lowest_stopping(action: GatedAction) -> CircuitLevel {
        match action {
            GatedAction::Borrow | GatedAction::SellAbsorbedByAnyone => CircuitLevel::NoBorrows,
            GatedAction::WithdrawCollateralBackingDebt => CircuitLevel::NoCollateralWithdrawals,
            GatedAction::WithdrawOrChangeCollateral
            | GatedAction::Liquidate
            | GatedAction::AuctionBidOrReset
            | GatedAction::SellAbsorbedByOwner
            | GatedAction::AdlStep
            | GatedAction::PayOut => CircuitLevel::Halt,
        }
    }

    pub fn stops(self, action: GatedAction) -> bool {
        self >= CircuitLevel::lowest_stopping(action)
    }

    pub fn name(self) -> &'static str {
        match self {
            CircuitLevel::Normal => "normal",
            CircuitLevel::NoBorrows => "no_borrows",
            CircuitLevel::NoCollateralWithdrawals => "no_collateral_withdrawals",
            CircuitLevel::Halt => "halt",
        }
    }
}

impl std::fmt::Display for CircuitLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a circuit refused an action: the level in force, or the grace period after a halt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CircuitStop {
    Level {
        level: CircuitLevel,
        action: GatedAction,
    },
    Grace {
        resume_at: u64,
    },
}

/// The market's circuit state. The level in force is the higher of the manual and the automatic
/// one. A halt also pauses the auction clocks, from its start to the end of the grace period
/// after it is lifted.
#[cw_serde]
#[derive(Default)]
pub struct CircuitState {
    pub level: CircuitLevel,
    pub raised_at: Option<u64>,
    /// The automatic level (fund drawdown) and when it lapses.
    pub auto_level: CircuitLevel,
    pub auto_until: Option<u64>,
    /// When the latest halt began.
    #[serde(default)]
    pub halted_at: Option<u64>,
    /// When liquidations and the auction clocks resume after the latest halt: its lifting plus
    /// the grace period then in force. `None` while the halt lasts or when there was none.
    #[serde(default)]
    pub resume_at: Option<u64>,
    /// Seconds the auction clocks stood still for the halts before the latest one.
    #[serde(default)]
    pub paused_before: u64,
}

impl CircuitState {
    /// The level in force at `now`.
    pub fn level_at(&self, now: u64) -> CircuitLevel {
        let auto = match self.auto_until {
            Some(until) if now < until => self.auto_level,
            _ => CircuitLevel::Normal,
        };
        self.level.max(auto)
    }

    /// Refuses `action` when the level in force stops it; a liquidation also waits out the
    /// grace period after a halt.
    pub fn ensure_allows(&self, now: u64, action: GatedAction) -> Result<(), CircuitStop> {
        let level = self.level_at(now);
        if level.stops(action) {
            return Err(CircuitStop::Level { level, action });
        }
        if action == GatedAction::Liquidate {
            if let Some(resume_at) = self.resume_at.filter(|r| now < *r) {
                return Err(CircuitStop::Grace { resume_at });
            }
        }
        Ok(())
    }

    /// Sets the manual level at `now`. Starting a halt starts a clock pause; lifting it ends
    /// the pause `grace_period` seconds later.
    pub fn set_level(&mut self, level: CircuitLevel, now: u64, grace_period: u64) {
        let was_halted = self.level == CircuitLevel::Halt;
        let halting = level == CircuitLevel::Halt;
        if halting && !was_halted {
            self.paused_before = self.paused_before.saturating_add(self.latest_pause(now));
            self.halted_at = Some(now);
            self.resume_at = None;
        } else if was_halted && !halting {
            self.resume_at = Some(now.saturating_add(grace_period));
        }
        if level > self.level {
            self.raised_at = Some(now);
        }
        self.level = level;
    }

    /// Seconds the latest halt has paused the clocks by `now`.
    fn latest_pause(&self, now: u64) -> u64 {
        match self.halted_at {
            Some(start) => {
                let end = self.resume_at.map_or(now, |r| r.min(now));
                end.saturating_sub(start)
            }
            None => 0,
        }
    }

    /// Seconds the auction clocks have stood still, all halts together, by `now`. A lot's
    /// clock is its age less the pause since it started.
    pub fn clock_paused(&self, now: u64) -> u64 {
        self.paused_before.saturating_add(self.latest_pause(now))
    }
}

/// The market's circuit state, read raw by the auction and the backstop.
pub const CIRCUIT: Item<CircuitState> = Item::new("circuit");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_stops_what_the_one_below_stops() {
        let levels = [
            CircuitLevel::Normal,
            CircuitLevel::NoBorrows,
            CircuitLevel::NoCollateralWithdrawals,
            CircuitLevel::Halt,
        ];
        for action in GatedAction::ALL {
            assert!(!CircuitLevel::Normal.stops(action), "{action:?}");
            assert!(CircuitLevel::Halt.stops(action), "{action:?}");
            for pair in levels.windows(2) {
                assert!(
                    !pair[0].stops(action) || pair[1].stops(action),
                    "{action:?}"
                );
            }
        }
        assert!(CircuitLevel::NoBorrows.stops(GatedAction::Borrow));
        assert!(!CircuitLevel::NoBorrows.stops(GatedAction::WithdrawCollateralBackingDebt));
        assert!(
            CircuitLevel::NoCollateralWithdrawals.stops(GatedAction::WithdrawCollateralBackingDebt)
        );
        assert!(!CircuitLevel::NoCollateralWithdrawals.stops(GatedAction::Liquidate));
        assert!(!CircuitLevel::NoCollateralWithdrawals.stops(GatedAction::AuctionBidOrReset));
    }

    #[test]
    fn levels_are_named_on_the_wire() {
        assert_eq!(
            cosmwasm_std::to_json_string(&CircuitLevel::NoCollateralWithdrawals).unwrap(),
            "\"no_collateral_withdrawals\""
        );
        let back: CircuitLevel = cosmwasm_std::from_json("\"halt\"").unwrap();
        assert_eq!(back, CircuitLevel::Halt);
    }

    #[test]
    fn the_automatic_level_counts_until_it_lapses() {
        let state = CircuitState {
            level: CircuitLevel::Normal,
            auto_level: CircuitLevel::NoBorrows,
            auto_until: Some(100),
            ..Default::default()
        };
        assert_eq!(state.level_at(99), CircuitLevel::NoBorrows);
        assert_eq!(state.level_at(100), CircuitLevel::Normal);
    }

    #[test]
    fn a_halt_pauses_the_clocks_until_its_grace_period_ends() {
        let mut state = CircuitState::default();
        assert_eq!(state.clock_paused(50), 0);
        state.set_level(CircuitLevel::Halt, 100, 600);
        assert_eq!(state.clock_paused(100), 0);
        assert_eq!(state.clock_paused(160), 60);
        assert_eq!(
            state.ensure_allows(160, GatedAction::AuctionBidOrReset),
            Err(CircuitStop::Level {
                level: CircuitLevel::Halt,
                action: GatedAction::AuctionBidOrReset
            })
        );
        state.set_level(CircuitLevel::Normal, 200, 600);
        // paused from 100 to 800 (lifted at 200, grace 600)
        assert_eq!(state.clock_paused(500), 400);
        assert_eq!(state.clock_paused(800), 700);
        assert_eq!(state.clock_paused(5_000), 700);
        assert_eq!(
            state.ensure_allows(799, GatedAction::Liquidate),
            Err(CircuitStop::Grace { resume_at: 800 })
        );
        assert_eq!(state.ensure_allows(800, GatedAction::Liquidate), Ok(()));
        assert_eq!(
            state.ensure_allows(300, GatedAction::AuctionBidOrReset),
            Ok(())
        );
        // a second halt inside the first one's grace: the pause runs on without a gap
        state.set_level(CircuitLevel::Halt, 700, 600);
        assert_eq!(state.clock_paused(700), 600);
        state.set_level(CircuitLevel::NoBorrows, 1_000, 100);
        assert_eq!(state.clock_paused(1_100), 1_000);
        assert_eq!(state.clock_paused(9_999), 1_000);
    }

    #[test]
    fn raising_within_a_halt_keeps_its_pause() {
        let mut state = CircuitState::default();
        state.set_level(CircuitLevel::NoBorrows, 10, 60);
        assert_eq!(state.raised_at, Some(10));
        state.set_level(CircuitLevel::Halt, 20, 60);
        state.set_level(CircuitLevel::Halt, 30, 60);
        assert_eq!(state.halted_at, Some(20));
        assert_eq!(state.clock_paused(40), 20);
    }
}
