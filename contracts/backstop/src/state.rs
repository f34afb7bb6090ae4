//! Every storage key of the backstop. `PARAMS` is declared in `ballast-types` because the
//! market reads the ADL buckets from it with a raw query.

use ballast_types::auction::{LotKind, LotStatus};
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

pub use ballast_types::backstop::{ADL_PARAMS, PARAMS};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Config {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub market: Addr,
    pub oracle: Addr,
}

/// The stakers' pool: tokens of `stake_denom` backing every share, active or unbonding.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct StakePool {
    pub tokens: Uint128,
    pub shares: Uint128,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Unbond {
    pub shares: Uint128,
    pub claimable_at: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Staker {
    /// Active shares.
    pub shares: Uint128,
    /// Shares in their cooldown: still first loss until claimed.
    pub unbonding: Vec<Unbond>,
}

/// The fund's highest value inside the current drawdown window.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct HighWaterMark {
    pub value: Uint128,
    pub since: u64,
}

/// Collateral the fund paid for (failed lots, shortfalls) and has not sold yet.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Absorbed {
    pub amount: Uint128,
    /// The denom the fund paid with: what a sale asks for by default.
    pub proceeds_denom: String,
}

pub const CONFIG: Item<Config> = Item::new("config");

pub const STAKE_POOL: Item<StakePool> = Item::new("stake_pool");
pub const STAKERS: Map<&Addr, Staker> = Map::new("stakers");
pub const HIGH_WATER_MARK: Item<HighWaterMark> = Item::new("high_water_mark");
pub const ABSORBED: Map<&str, Absorbed> = Map::new("absorbed");

// Views of siblings' records, read raw. Each names only the fields the backstop uses: serde
// skips the rest, so the wasm carries no deserializer for them (about 10 KB of the backstop).
// Their keys are the owners' keys; the tests below check each view against the full record.

/// The market's `config` (`ballast_types::market::CONFIG`): only its wiring to the auction.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MarketWiring {
    pub auction: Option<Addr>,
}

/// An auction lot (`ballast_types::auction::LOTS`) as the backstop absorbs it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LotView {
    pub kind: LotKind,
    pub borrower: Addr,
    pub collateral_denom: String,
    pub collateral: Uint128,
    pub debt_denom: String,
    pub debt: Uint128,
    pub penalty_collected: Uint128,
    pub status: LotStatus,
}

pub const MARKET_WIRING: Item<MarketWiring> = Item::new("config");
pub const AUCTION_LOTS: Map<u64, LotView> = Map::new("lots");

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_types::auction::{Curve, Lot, LOTS};
    use ballast_types::market::{Config as MarketConfig, CONFIG as MARKET_CONFIG};
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{Decimal, Decimal256};

    #[test]
    fn market_wiring_reads_the_markets_config_record() {
        let mut storage = MockStorage::new();
        let full = MarketConfig {
            owner: Addr::unchecked("owner"),
            pending_owner: None,
            guardian: Some(Addr::unchecked("guardian")),
            oracle: Addr::unchecked("oracle"),
            auction: Some(Addr::unchecked("auction")),
            backstop: Some(Addr::unchecked("backstop")),
            quote_denom: "uusd".into(),
            target_hf: Decimal::percent(120),
            full_liquidation_hf: Decimal::percent(90),
            ramp_duration: 86_400,
            grace_period: 600,
            dust_value: Uint128::new(1_000_000),
        };
        MARKET_CONFIG.save(&mut storage, &full).unwrap();
        let view = MARKET_WIRING.load(&storage).unwrap();
        assert_eq!(view.auction, Some(Addr::unchecked("auction")));
    }

    #[test]
    fn lot_view_reads_the_auctions_lot_record() {
        let mut storage = MockStorage::new();
        let full = Lot {
            kind: LotKind::Sale,
            borrower: Addr::unchecked("borrower"),
            collateral_denom: "uatom".into(),
            collateral: Uint128::new(7),
            debt_denom: "uusd".into(),
            debt: Uint128::new(11),
            penalty: Uint128::new(2),
            penalty_collected: Uint128::new(3),
            cap_value: Uint128::new(13),
            start_price: Decimal256::percent(150),
            started_at: 5,
            paused_at_start: 0,
            resets: 1,
            min_debt: Uint128::new(1),
            status: LotStatus::Failed,
            buf: Decimal::percent(120),
            curve: Curve::Linear { tau: 600 },
            tail: 900,
            cusp: Decimal::percent(40),
            max_resets: 3,
        };
        LOTS.save(&mut storage, 9, &full).unwrap();
        let view = AUCTION_LOTS.load(&storage, 9).unwrap();
        assert_eq!(
            view,
            LotView {
                kind: LotKind::Sale,
                borrower: Addr::unchecked("borrower"),
                collateral_denom: "uatom".into(),
                collateral: Uint128::new(7),
                debt_denom: "uusd".into(),
                debt: Uint128::new(11),
                penalty_collected: Uint128::new(3),
                status: LotStatus::Failed,
            }
        );
    }
}
