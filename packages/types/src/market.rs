//! Market: assets, supply and debt, interest, health, liquidation entry, ADL index.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Coin, Decimal, Decimal256, Uint128};
use cw_storage_plus::{Item, Map};

pub use crate::circuit::{CircuitLevel, CircuitState, CIRCUIT};
pub use crate::math::InterestModel;
use crate::math::Ramp;

/// The largest liquidation penalty an asset may carry.
pub const MAX_LIQUIDATION_PENALTY: Decimal = Decimal::percent(30);
/// The longest grace period after a halt (Aave's unpause grace).
pub const MAX_GRACE_PERIOD: u64 = 4 * 3600;

#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    pub guardian: Option<String>,
    pub oracle: String,
    pub auction: Option<String>,
    pub backstop: Option<String>,
    pub quote_denom: String,
    /// Health factor that a partial liquidation restores (e.g. 1.05).
    pub target_hf: Decimal,
    /// Below this health factor the whole debt is liquidated (e.g. 0.95).
    pub full_liquidation_hf: Decimal,
    /// Seconds over which a lowered liquidation threshold ramps down (default 7 days).
    pub ramp_duration: u64,
    /// Seconds that `Liquidate` waits after a halt is lifted (at most 4 hours).
    pub grace_period: u64,
    /// Quote value below which an indebted account's remaining collateral is dust (Exact rule 4).
    pub dust_value: Uint128,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Supplies the one coin sent. Never blocked by a circuit level.
    Deposit {
        on_behalf_of: Option<String>,
    },
    /// Withdraws `amount` (`None` = all) of the sender's supply of `denom`.
    Withdraw {
        denom: String,
        amount: Option<Uint128>,
        recipient: Option<String>,
    },
    /// Borrows `amount` of `denom` against the sender's collateral.
    Borrow {
        denom: String,
        amount: Uint128,
        recipient: Option<String>,
    },
    /// Repays with the one coin sent; what exceeds the debt is refunded. Never blocked.
    Repay {
        on_behalf_of: Option<String>,
    },
    /// Uses (or stops using) the sender's supply of `denom` as collateral.
    SetCollateral {
        denom: String,
        enable: bool,
    },
    /// Keeper: puts an unhealthy account's debt up for auction. Response data:
    /// [`LiquidateResponse`].
    Liquidate {
        borrower: String,
    },
    /// Auction only: a bid's proceeds for the lot's debt (funds: the debt coin). With
    /// `close`, the lot is finished and the funds may also carry its leftover collateral.
    RepayFromAuction {
        borrower: String,
        lot_id: u64,
        #[serde(default)]
        close: bool,
        /// Penalty the lot paid to the insurance fund over its life (sent when it closes).
        #[serde(default)]
        penalty_collected: Uint128,
    },
    /// Auction only: the lot is finished; funds carry its leftover collateral (possibly none).
    ReturnCollateral {
        borrower: String,
        lot_id: u64,
        #[serde(default)]
        penalty_collected: Uint128,
    },
    /// Anyone: refreshes an account's ADL scores.
    Poke {
        account: String,
    },
    /// Owner: lists a new asset.
    InitAsset {
        denom: String,
        params: AssetParams,
    },
    /// Owner: changes an asset's parameters; a lower liquidation threshold ramps.
    UpdateAssetParams {
        denom: String,
        params: AssetParams,
    },
    /// Guardian raises, owner lowers (or raises).
    SetCircuitLevel {
        level: CircuitLevel,
    },
    /// Owner: every field optional, `None` keeps the current value.
    UpdateConfig {
        guardian: Option<String>,
        oracle: Option<String>,
        auction: Option<String>,
        backstop: Option<String>,
        target_hf: Option<Decimal>,
        full_liquidation_hf: Option<Decimal>,
        ramp_duration: Option<u64>,
        grace_period: Option<u64>,
        dust_value: Option<Uint128>,
    },
    ProposeOwner {
        owner: String,
    },
    AcceptOwner {},
    /// Backstop only: what the backstop pays towards a loss in `denom` (funds: `denom` paid in
    /// cash, and any other coins as collateral held in kind for the deficit). With `lot_id`, the
    /// loss is that failed lot's outstanding debt, which this call closes.
    ApplyCover {
        denom: String,
        borrower: String,
        lot_id: Option<u64>,
    },
    /// Backstop only: one bounded auto-deleveraging step against `denom`'s deficit.
    RunAdl {
        denom: String,
        limit: u32,
    },
    /// Backstop only: raises the automatic circuit level until `until` (fund drawdown).
    TripBreaker {
        level: CircuitLevel,
        until: u64,
    },
    /// Anyone: sends the reserves accrued so far (as far as cash allows) to the backstop.
    ClaimReserves {
        denoms: Option<Vec<String>>,
    },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(AssetResponse)]
    Asset { denom: String },
    #[returns(AssetsResponse)]
    Assets {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(PositionResponse)]
    Position { account: String },
    /// Scans accounts with debt from `start_after` and returns the liquidatable ones among the
    /// next `limit`; `next` is where the following page starts (`None` at the end).
    #[returns(LiquidatableResponse)]
    Liquidatable {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(CircuitLevelResponse)]
    CircuitLevel {},
    #[returns(DeficitResponse)]
    Deficit { denom: String },
    #[returns(DeficitsResponse)]
    Deficits {},
    /// The accounts that ADL would take next for `denom`, highest bucket first.
    #[returns(AdlQueueResponse)]
    AdlQueue { denom: String, limit: Option<u32> },
}

/// Per-asset risk and rate parameters.
#[cw_serde]
pub struct AssetParams {
    /// Borrowing power per unit of collateral value (for borrow and withdraw).
    pub max_ltv: Decimal,
    /// Collateral weight in the health factor.
    pub liquidation_threshold: Decimal,
    /// Extra share of the debt, paid in this collateral, that liquidation charges.
    pub liquidation_penalty: Decimal,
    /// Share of interest credited to the insurance fund.
    pub reserve_factor: Decimal,
    pub interest: InterestModel,
    /// Largest total supply; zero means no cap.
    pub supply_cap: Uint128,
    /// Largest total debt; zero means no cap.
    pub borrow_cap: Uint128,
    /// Smallest debt an account may open, and the least a bid may leave in a lot.
    pub min_debt: Uint128,
    pub deposit_enabled: bool,
    pub borrow_enabled: bool,
    pub collateral_enabled: bool,
}

impl AssetParams {
    /// Checks the parameters' consistency; the message names the field and its value.
    pub fn validate(&self) -> Result<(), String> {
        if self.liquidation_threshold >= Decimal::one() {
            return Err(format!(
                "liquidation_threshold must be below 1, got {}",
                self.liquidation_threshold
            ));
        }
        if self.max_ltv > self.liquidation_threshold {
            return Err(format!(
                "max_ltv {} must not exceed liquidation_threshold {}",
                self.max_ltv, self.liquidation_threshold
            ));
        }
        if self.liquidation_penalty > MAX_LIQUIDATION_PENALTY {
            return Err(format!(
                "liquidation_penalty must be at most {MAX_LIQUIDATION_PENALTY}, got {}",
                self.liquidation_penalty
            ));
        }
        // At HF = 1 the collateral must still cover debt plus penalty, or every liquidation
        // of a barely unhealthy account would already be under water.
        let covered = self.liquidation_threshold * (Decimal::one() + self.liquidation_penalty);
        if covered > Decimal::one() {
            return Err(format!(
                "liquidation_threshold × (1 + liquidation_penalty) must be at most 1, got {covered}"
            ));
        }
        if self.reserve_factor >= Decimal::one() {
            return Err(format!(
                "reserve_factor must be below 1, got {}",
                self.reserve_factor
            ));
        }
        self.interest.validate()
    }
}

#[cw_serde]
pub struct AssetResponse {
    pub denom: String,
    pub params: AssetParams,
    /// The liquidation threshold in force now (differs from `params` while a ramp runs).
    pub liquidation_threshold: Decimal,
    pub liquidation_threshold_ramp: Option<Ramp>,
    pub liquidity_index: Decimal256,
    pub borrow_index: Decimal256,
    pub borrow_rate: Decimal256,
    pub supply_rate: Decimal256,
    pub utilization: Decimal256,
    /// Underlying amounts as of the last update (rounded down for supply, up for debt).
    pub total_supply: Uint128,
    pub total_debt: Uint128,
    pub debt_in_auction: Uint128,
    pub cash: Uint128,
    /// Reserves owed to the insurance fund, not yet claimed.
    pub reserves: Uint128,
    pub deficit: Uint128,
    pub last_updated: u64,
}

#[cw_serde]
pub struct AssetsResponse {
    pub assets: Vec<AssetResponse>,
}

#[cw_serde]
pub struct SupplyValue {
    pub denom: String,
    pub amount: Uint128,
    /// At the Liquidation price; `None` when the denom has none (supply that is not collateral
    /// needs no price, and collateral the oracle says is worthless counts as zero).
    pub value: Option<Uint128>,
    pub collateral: bool,
}

#[cw_serde]
pub struct CoinValue {
    pub denom: String,
    pub amount: Uint128,
    pub value: Uint128,
}

#[cw_serde]
pub struct PositionResponse {
    pub account: String,
    pub supply: Vec<SupplyValue>,
    pub debt: Vec<CoinValue>,
    /// Σ collateral-enabled supply at Liquidation prices.
    pub total_collateral_value: Uint128,
    pub total_debt_value: Uint128,
    /// Liquidation prices; `None` without debt.
    pub health_factor: Option<Decimal>,
    /// Default prices, conservative valuation; `None` when a Default price is refused.
    pub max_borrow_value: Option<Uint128>,
    pub liquidatable: bool,
    /// Lots of this account still in auction (their debt and collateral are not counted above).
    pub open_lots: u32,
}

#[cw_serde]
pub struct LiquidatableAccount {
    pub account: String,
    pub health_factor: Decimal,
    pub debt_value: Uint128,
}

/// An indebted account the scan could not judge: a price its health needs was refused (a
/// stale Pyth price is cured by pushing an update in the same transaction as `Liquidate`).
#[cw_serde]
pub struct UnpricedAccount {
    pub account: String,
    pub reason: String,
}

#[cw_serde]
pub struct LiquidatableResponse {
    pub accounts: Vec<LiquidatableAccount>,
    /// Accounts of this page that could not be judged, and why: none is skipped silently.
    pub unpriced: Vec<UnpricedAccount>,
    /// Pass as `start_after` for the next page; `None` when the scan is complete.
    pub next: Option<String>,
}

#[cw_serde]
pub struct CircuitLevelResponse {
    /// The level in force: the higher of the manual and the automatic level.
    pub level: CircuitLevel,
    pub raised_at: Option<u64>,
    /// Set while liquidations wait out the grace period after a halt.
    pub liquidations_resume_at: Option<u64>,
    /// The automatic level (fund drawdown) and when it lapses.
    pub auto_level: CircuitLevel,
    pub auto_until: Option<u64>,
}

#[cw_serde]
pub struct LiquidateResponse {
    pub lot_ids: Vec<u64>,
}

/// A denom's unresolved loss: supply that no cash or debt backs, and the collateral held in kind
/// to hand to the suppliers who absorb it.
#[cw_serde]
pub struct DeficitResponse {
    pub denom: String,
    pub amount: Uint128,
    pub collateral_in_kind: Vec<Coin>,
}

#[cw_serde]
pub struct DeficitsResponse {
    pub deficits: Vec<DeficitResponse>,
}

#[cw_serde]
pub struct AdlQueueEntry {
    pub account: String,
    pub score: Decimal,
    /// The account's supply of the denom (underlying units).
    pub supply: Uint128,
}

#[cw_serde]
pub struct AdlQueueResponse {
    pub entries: Vec<AdlQueueEntry>,
}

// ---------------------------------------------------------------------------------------------
// Storage that siblings read with raw queries (the market's `state.rs` uses these constants).
// ---------------------------------------------------------------------------------------------

/// The market's configuration. The market is the protocol's registry: the auction and the
/// backstop find each other and the oracle here.
#[cw_serde]
pub struct Config {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub guardian: Option<Addr>,
    pub oracle: Addr,
    pub auction: Option<Addr>,
    pub backstop: Option<Addr>,
    pub quote_denom: String,
    pub target_hf: Decimal,
    pub full_liquidation_hf: Decimal,
    pub ramp_duration: u64,
    pub grace_period: u64,
    pub dust_value: Uint128,
}

/// A denom's deficit as the market books it.
#[cw_serde]
#[derive(Default)]
pub struct Deficit {
    pub amount: Uint128,
    pub collateral_in_kind: Vec<Coin>,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const DEFICITS: Map<&str, Deficit> = Map::new("deficits");
/// How many denoms have a deficit pending (stakers' exits are gated while it is non-zero).
pub const PENDING_DEFICITS: Item<u32> = Item::new("pending_deficits");
/// Every listed denom, in listing order (the backstop reads it to know which balances it may
/// hold: cosmwasm-std 3 has no query for all of a contract's balances).
pub const ASSET_LIST: Item<Vec<String>> = Item::new("asset_list");

#[cfg(test)]
mod tests {
    use super::*;

    pub fn params() -> AssetParams {
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
            min_debt: Uint128::new(1_000),
            deposit_enabled: true,
            borrow_enabled: true,
            collateral_enabled: true,
        }
    }

    #[test]
    fn asset_params_validation_names_the_field() {
        assert!(params().validate().is_ok());
        let err = AssetParams {
            max_ltv: Decimal::percent(81),
            ..params()
        }
        .validate()
        .unwrap_err();
        assert!(err.contains("max_ltv 0.81"), "{err}");
        let err = AssetParams {
            liquidation_threshold: Decimal::one(),
            max_ltv: Decimal::zero(),
            ..params()
        }
        .validate()
        .unwrap_err();
        assert!(
            err.contains("liquidation_threshold must be below 1"),
            "{err}"
        );
        let err = AssetParams {
            liquidation_penalty: Decimal::percent(31),
            ..params()
        }
        .validate()
        .unwrap_err();
        assert!(err.contains("liquidation_penalty"), "{err}");
        // 0.8 × 1.3 = 1.04 > 1
        let err = AssetParams {
            liquidation_penalty: Decimal::percent(30),
            ..params()
        }
        .validate()
        .unwrap_err();
        assert!(err.contains("1.04"), "{err}");
        let err = AssetParams {
            reserve_factor: Decimal::one(),
            ..params()
        }
        .validate()
        .unwrap_err();
        assert!(err.contains("reserve_factor"), "{err}");
    }

    #[test]
    fn messages_have_the_documented_json() {
        let msg: ExecuteMsg = serde_json::from_str(r#"{"deposit":{}}"#).unwrap();
        assert_eq!(msg, ExecuteMsg::Deposit { on_behalf_of: None });
        let msg: ExecuteMsg =
            serde_json::from_str(r#"{"withdraw":{"denom":"uatom","amount":"100"}}"#).unwrap();
        assert_eq!(
            msg,
            ExecuteMsg::Withdraw {
                denom: "uatom".into(),
                amount: Some(Uint128::new(100)),
                recipient: None
            }
        );
        // internal messages accept the API's minimal form
        let msg: ExecuteMsg =
            serde_json::from_str(r#"{"repay_from_auction":{"borrower":"b","lot_id":3}}"#).unwrap();
        assert_eq!(
            msg,
            ExecuteMsg::RepayFromAuction {
                borrower: "b".into(),
                lot_id: 3,
                close: false,
                penalty_collected: Uint128::zero()
            }
        );
        let q = serde_json::to_string(&QueryMsg::Liquidatable {
            start_after: None,
            limit: Some(5),
        })
        .unwrap();
        assert_eq!(q, r#"{"liquidatable":{"start_after":null,"limit":5}}"#);
    }
}
