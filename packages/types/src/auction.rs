//! Dutch liquidation auctions (after Maker's Clipper): messages, parameters, lots.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Coin, Decimal, Decimal256, Uint128};
use cw_storage_plus::{Item, Map};

#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    /// The market; the auction reads the backstop's and the oracle's addresses from its config.
    pub market: String,
    pub params: AuctionParams,
}

/// Auction parameters. A running lot keeps the `buf`, `curve`, `tail`, `cusp` and `max_resets`
/// it started with (Exact rule 10); caps, `tip` and `chip` apply at once.
#[cw_serde]
pub struct AuctionParams {
    /// Start price = oracle price × `buf` (e.g. 1.2).
    pub buf: Decimal,
    pub curve: Curve,
    /// Seconds after which a lot needs a reset.
    pub tail: u64,
    /// A lot whose price fell below `cusp` × start price needs a reset.
    pub cusp: Decimal,
    /// Resets a lot may have; the reset after that fails it.
    pub max_resets: u32,
    /// Flat keeper incentive in quote units, paid in the lot's debt denom.
    pub tip: Uint128,
    /// Keeper incentive proportional to the lot's debt.
    pub chip: Decimal,
    /// Cap on the quote value of all tabs in auction.
    pub max_in_auction: Uint128,
    /// Caps per collateral denom, in quote value of tabs.
    pub max_in_auction_per_denom: Vec<(String, Uint128)>,
}

/// How a lot's price falls with time since its start.
#[cw_serde]
pub enum Curve {
    /// Falls linearly from the start price to zero over `tau` seconds (Maker's LinearDecrease).
    Linear { tau: u64 },
    /// Multiplies by `cut` every `step` seconds (Maker's StairstepExponentialDecrease).
    Exponential { cut: Decimal, step: u64 },
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Market only: opens a lot with the collateral sent.
    StartAuction {
        borrower: String,
        debt_denom: String,
        debt: Uint128,
        keeper: String,
        /// The id the lot must get (the market reads the next id and reports it to the keeper).
        lot_id: u64,
        /// Penalty on top of `debt`: the lot's tab is `debt + penalty`.
        penalty: Uint128,
        /// Liquidation price of the collateral in debt-denom units per collateral unit.
        price: Decimal256,
        /// Liquidation price of the debt denom in quote units (for the caps).
        debt_price: Decimal256,
        /// The debt asset's `min_debt` when the lot starts.
        min_debt: Uint128,
    },
    /// Backstop only: sells absorbed collateral (the funds) for `proceeds_denom`, proceeds to
    /// the backstop.
    StartSale {
        proceeds_denom: String,
    },
    /// Buys up to `max_collateral` at the current price if it is at most `max_price`; funds in
    /// the debt denom, the excess refunded. Collateral goes to `recipient` (default: sender).
    Bid {
        lot_id: u64,
        max_collateral: Uint128,
        max_price: Decimal256,
        recipient: Option<String>,
    },
    /// Keeper: restarts a lot that needs it from the current oracle price.
    Reset {
        lot_id: u64,
    },
    /// Keeper: collects the pay (`tip + chip × debt`) that its liquidations and resets earned,
    /// of the listed denoms (`None` = all), paid by the backstop's fund.
    ClaimKeeperPay {
        denoms: Option<Vec<String>>,
    },
    /// Owner.
    UpdateParams {
        params: AuctionParams,
    },
    ProposeOwner {
        owner: String,
    },
    AcceptOwner {},
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(LotResponse)]
    Lot { lot_id: u64 },
    #[returns(LotsResponse)]
    Lots {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Every lot still open: `active` ones and those that `needs_reset`.
    #[returns(LotsResponse)]
    ActiveLots {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(InAuctionResponse)]
    InAuction {},
    /// What a keeper has earned and not claimed yet.
    #[returns(KeeperPayResponse)]
    KeeperPay { keeper: String },
}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub market: Addr,
    pub params: AuctionParams,
    pub next_lot_id: u64,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum LotStatus {
    Active,
    NeedsReset,
    Settled,
    Failed,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum LotKind {
    /// Collateral seized from a borrower, sold to repay its debt and penalty.
    Liquidation,
    /// Collateral the backstop absorbed, sold for the fund (no debt; sells until exhausted).
    Sale,
}

#[cw_serde]
pub struct LotResponse {
    pub lot_id: u64,
    pub kind: LotKind,
    pub borrower: String,
    pub collateral: Coin,
    /// Still owed to the market.
    pub debt: Coin,
    /// Still owed to the insurance fund.
    pub penalty: Coin,
    /// debt + penalty.
    pub tab: Coin,
    /// Debt-denom smallest units per collateral smallest unit.
    pub start_price: Decimal256,
    pub current_price: Decimal256,
    pub started_at: u64,
    pub resets: u32,
    pub status: LotStatus,
    /// The least a partial bid must leave owing in the lot (the debt asset's `min_debt` when
    /// the lot started).
    pub min_debt: Uint128,
}

#[cw_serde]
pub struct LotsResponse {
    pub lots: Vec<LotResponse>,
}

#[cw_serde]
pub struct KeeperPayResponse {
    pub keeper: String,
    pub owed: Vec<Coin>,
}

#[cw_serde]
pub struct InAuctionResponse {
    pub total_value: Uint128,
    pub per_denom: Vec<(String, Uint128)>,
}

// ---------------------------------------------------------------------------------------------
// Storage that siblings read with raw queries (the auction's `state.rs` uses these constants).
// ---------------------------------------------------------------------------------------------

#[cw_serde]
pub struct Config {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub market: Addr,
}

/// A lot as the auction stores it.
#[cw_serde]
pub struct Lot {
    pub kind: LotKind,
    pub borrower: Addr,
    pub collateral_denom: String,
    /// Collateral left to sell.
    pub collateral: Uint128,
    pub debt_denom: String,
    /// Debt left to repay to the market.
    pub debt: Uint128,
    /// Penalty left to pay to the fund.
    pub penalty: Uint128,
    /// Penalty paid to the fund so far.
    pub penalty_collected: Uint128,
    /// Quote value this lot holds of the caps; freed as bids pay its tab.
    pub cap_value: Uint128,
    pub start_price: Decimal256,
    pub started_at: u64,
    /// The market's auction-clock pause (`CircuitState::clock_paused`) when the lot started or
    /// was last reset: a halt since then does not age the lot.
    #[serde(default)]
    pub paused_at_start: u64,
    pub resets: u32,
    pub min_debt: Uint128,
    pub status: LotStatus,
    /// Parameters fixed at the start (Exact rule 10).
    pub buf: Decimal,
    pub curve: Curve,
    pub tail: u64,
    pub cusp: Decimal,
    pub max_resets: u32,
}

pub const PARAMS: Item<AuctionParams> = Item::new("params");
/// The caps alone, kept beside the parameters so that the market reads (raw, at every
/// `Liquidate`) only what it needs.
pub const CAPS: Item<Caps> = Item::new("caps");
pub const CONFIG: Item<Config> = Item::new("config");
/// Quote value of tabs in auction, globally.
pub const IN_AUCTION_TOTAL: Item<Uint128> = Item::new("in_auction_total");
/// Quote value of tabs in auction per collateral denom.
pub const IN_AUCTION_BY_DENOM: Map<&str, Uint128> = Map::new("in_auction_by_denom");
pub const NEXT_LOT_ID: Item<u64> = Item::new("next_lot_id");
pub const LOTS: Map<u64, Lot> = Map::new("lots");
/// Sale lots still running (the backstop's stakers may not exit while any does).
pub const OPEN_SALES: Item<u32> = Item::new("open_sales");

/// The in-auction caps (quote value of tabs): global and per collateral denom.
#[cw_serde]
pub struct Caps {
    pub max_in_auction: Uint128,
    pub max_in_auction_per_denom: Vec<(String, Uint128)>,
}

impl Caps {
    /// The per-denom cap of `denom`, if any.
    pub fn denom_cap(&self, denom: &str) -> Option<Uint128> {
        self.max_in_auction_per_denom
            .iter()
            .find(|(d, _)| d == denom)
            .map(|(_, cap)| *cap)
    }
}

impl AuctionParams {
    /// The per-denom cap of `denom`, if any.
    pub fn denom_cap(&self, denom: &str) -> Option<Uint128> {
        self.caps().denom_cap(denom)
    }

    pub fn caps(&self) -> Caps {
        Caps {
            max_in_auction: self.max_in_auction,
            max_in_auction_per_denom: self.max_in_auction_per_denom.clone(),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.buf < Decimal::one() {
            return Err(format!("buf must be at least 1, got {}", self.buf));
        }
        if self.cusp.is_zero() || self.cusp >= Decimal::one() {
            return Err(format!("cusp must be in (0, 1), got {}", self.cusp));
        }
        if self.tail == 0 {
            return Err("tail must be positive".to_string());
        }
        match &self.curve {
            Curve::Linear { tau } => {
                if *tau == 0 {
                    return Err("curve tau must be positive".to_string());
                }
            }
            Curve::Exponential { cut, step } => {
                if cut.is_zero() || *cut >= Decimal::one() {
                    return Err(format!("curve cut must be in (0, 1), got {cut}"));
                }
                if *step == 0 {
                    return Err("curve step must be positive".to_string());
                }
            }
        }
        if self.chip > Decimal::percent(10) {
            return Err(format!("chip must be at most 10%, got {}", self.chip));
        }
        let mut seen: Vec<&str> = vec![];
        for (denom, _) in &self.max_in_auction_per_denom {
            if seen.contains(&denom.as_str()) {
                return Err(format!("per-denom cap for {denom} is given twice"));
            }
            seen.push(denom);
        }
        Ok(())
    }
}
