//! Backstop: the insurance fund with its stakers, the loss waterfall, failed-lot absorption, and
//! the entry point of auto-deleveraging (whose index lives in the market; see docs/PROTOCOL.md).

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Coin, Decimal, Uint128};
use cw_storage_plus::Item;

pub use crate::market::{AdlQueueEntry, AdlQueueResponse, DeficitResponse, DeficitsResponse};

/// The most ADL buckets a denom's index may have.
pub const MAX_ADL_BUCKETS: usize = 16;
/// The longest `stake_cooldown` and `drawdown_window`: a year.
pub const MAX_PERIOD: u64 = 365 * 86_400;

#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    /// The market; the backstop reads the auction's address from its config.
    pub market: String,
    pub oracle: String,
    pub params: BackstopParams,
}

#[cw_serde]
pub struct BackstopParams {
    /// Denom that stakers stake.
    pub stake_denom: String,
    /// Share of the fund's value that one loss event may draw (the fund's own D balance paying
    /// for penalties collected from the same account is not counted).
    pub max_cover_per_event: Decimal,
    /// Seconds between `Unstake` and `Claim`.
    pub stake_cooldown: u64,
    /// Drawdown of the fund from its high-water mark that raises circuit level 1.
    pub max_drawdown: Decimal,
    /// Window of the high-water mark, and how long an automatic level 1 lasts.
    pub drawdown_window: u64,
    /// Score thresholds of the ADL buckets, ascending (bucket i holds scores in
    /// [adl_buckets[i−1], adl_buckets[i]), the last bucket everything above).
    pub adl_buckets: Vec<Decimal>,
    /// ADL never leaves an account's health factor below this.
    pub adl_min_hf: Decimal,
}

impl BackstopParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.stake_denom.is_empty() {
            return Err("stake_denom must not be empty".to_string());
        }
        if self.max_cover_per_event.is_zero() || self.max_cover_per_event > Decimal::one() {
            return Err(format!(
                "max_cover_per_event must be in (0, 1], got {}",
                self.max_cover_per_event
            ));
        }
        if self.max_drawdown.is_zero() || self.max_drawdown > Decimal::one() {
            return Err(format!(
                "max_drawdown must be in (0, 1], got {}",
                self.max_drawdown
            ));
        }
        if self.drawdown_window == 0 || self.drawdown_window > MAX_PERIOD {
            return Err(format!(
                "drawdown_window must be in 1..={MAX_PERIOD} s, got {}",
                self.drawdown_window
            ));
        }
        // Both are added to the block time: an unbounded value would overflow there.
        if self.stake_cooldown > MAX_PERIOD {
            return Err(format!(
                "stake_cooldown must be at most {MAX_PERIOD} s, got {}",
                self.stake_cooldown
            ));
        }
        if self.adl_buckets.is_empty() || self.adl_buckets.len() > MAX_ADL_BUCKETS {
            return Err(format!(
                "adl_buckets must have 1 to {MAX_ADL_BUCKETS} thresholds, got {}",
                self.adl_buckets.len()
            ));
        }
        if self.adl_buckets.windows(2).any(|w| w[0] >= w[1]) {
            return Err("adl_buckets must be strictly ascending".to_string());
        }
        if self.adl_min_hf < Decimal::one() {
            return Err(format!(
                "adl_min_hf must be at least 1 (ADL must not make accounts liquidatable), got {}",
                self.adl_min_hf
            ));
        }
        Ok(())
    }

    /// The bucket of a score: how many thresholds it reaches.
    pub fn bucket_of(&self, score: Decimal) -> u8 {
        self.adl().bucket_of(score)
    }

    pub fn adl(&self) -> AdlParams {
        AdlParams {
            buckets: self.adl_buckets.clone(),
            min_hf: self.adl_min_hf,
        }
    }
}

/// What the market's ADL index needs of the backstop's parameters.
#[cw_serde]
pub struct AdlParams {
    /// Score thresholds of the buckets, ascending.
    pub buckets: Vec<Decimal>,
    pub min_hf: Decimal,
}

impl AdlParams {
    /// The bucket of a score: how many thresholds it reaches.
    pub fn bucket_of(&self, score: Decimal) -> u8 {
        self.buckets.iter().filter(|t| score >= **t).count() as u8
    }
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Anyone: the funds sent go to the insurance fund.
    Fund {},
    /// Stakes the `stake_denom` coin sent; stakers take losses after the fund, before ADL.
    Stake {},
    /// Starts the cooldown of `amount` shares. Refused while a deficit is pending or an
    /// absorbed lot is unsold.
    Unstake {
        amount: Uint128,
    },
    /// Pays out unbonded stake whose cooldown has passed. Gated like `Unstake`.
    Claim {},
    /// Market only: a loss of `amount` in `denom` that `borrower`'s collateral could not pay;
    /// funds carry the account's remaining (dust) collateral, listed in `collateral`.
    CoverShortfall {
        denom: String,
        amount: Uint128,
        borrower: String,
        collateral: Vec<Coin>,
        /// Penalty in `denom` that this account's lots paid to the fund (waterfall step 2).
        #[serde(default)]
        penalty_collected: Uint128,
    },
    /// Auction only: a failed lot; funds carry its collateral.
    AbsorbLot {
        lot_id: u64,
    },
    /// Keeper: one bounded ADL step against `denom`'s deficit.
    AdlStep {
        denom: String,
        limit: u32,
    },
    /// Owner at any time; anyone while the denom's oracle circuit is closed and the market's
    /// level is below 1: puts absorbed collateral up for sale by auction.
    SellAbsorbed {
        denom: String,
        amount: Uint128,
        proceeds_denom: Option<String>,
    },
    /// Auction only: keeper incentive, paid from the fund as far as it holds `amount`'s denom.
    PayKeeper {
        keeper: String,
        amount: Coin,
    },
    /// Owner.
    UpdateParams {
        params: BackstopParams,
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
    #[returns(FundResponse)]
    Fund {},
    #[returns(DeficitResponse)]
    Deficit { denom: String },
    #[returns(DeficitsResponse)]
    Deficits {},
    #[returns(AdlQueueResponse)]
    AdlQueue { denom: String, limit: Option<u32> },
    #[returns(StakerResponse)]
    Staker { address: String },
    #[returns(ConfigResponse)]
    Config {},
    #[returns(AbsorbedResponse)]
    Absorbed {},
}

#[cw_serde]
pub struct FundResponse {
    /// What the fund holds, stake excluded.
    pub balances: Vec<Coin>,
    /// Quote value at Liquidation prices.
    pub value: Uint128,
    pub high_water_mark: Uint128,
    /// Tokens backing all stake shares (active and unbonding).
    pub stake_pool: Uint128,
    pub total_shares: Uint128,
}

#[cw_serde]
pub struct Unbonding {
    /// Current value of the unbonding shares.
    pub amount: Uint128,
    pub claimable_at: u64,
}

#[cw_serde]
pub struct StakerResponse {
    pub address: String,
    pub shares: Uint128,
    pub value: Uint128,
    pub unbonding: Vec<Unbonding>,
}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub market: Addr,
    pub oracle: Addr,
    pub params: BackstopParams,
}

#[cw_serde]
pub struct AbsorbedResponse {
    /// Collateral the fund bought from failed lots and has not sold yet.
    pub collateral: Vec<Coin>,
}

// ---------------------------------------------------------------------------------------------
// Storage that siblings read with raw queries (the backstop's `state.rs` uses these constants).
// ---------------------------------------------------------------------------------------------

pub const PARAMS: Item<BackstopParams> = Item::new("params");
/// The ADL part of the parameters, kept beside them: the market reads it (raw) whenever it
/// files a score.
pub const ADL_PARAMS: Item<AdlParams> = Item::new("adl_params");

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BackstopParams {
        BackstopParams {
            stake_denom: "ustake".into(),
            max_cover_per_event: Decimal::percent(50),
            stake_cooldown: 86_400,
            max_drawdown: Decimal::percent(30),
            drawdown_window: 86_400,
            adl_buckets: vec![Decimal::percent(50), Decimal::one(), Decimal::percent(200)],
            adl_min_hf: Decimal::percent(105),
        }
    }

    #[test]
    fn buckets_count_the_thresholds_a_score_reaches() {
        let p = params();
        assert_eq!(p.bucket_of(Decimal::zero()), 0);
        assert_eq!(p.bucket_of(Decimal::percent(49)), 0);
        assert_eq!(p.bucket_of(Decimal::percent(50)), 1);
        assert_eq!(p.bucket_of(Decimal::percent(199)), 2);
        assert_eq!(p.bucket_of(Decimal::percent(200)), 3);
        assert_eq!(p.bucket_of(Decimal::MAX), 3);
    }

    #[test]
    fn validation_refuses_unordered_buckets_and_adl_below_hf_one() {
        assert!(params().validate().is_ok());
        let mut p = params();
        p.adl_buckets = vec![Decimal::one(), Decimal::one()];
        assert!(p.validate().unwrap_err().contains("ascending"));
        let mut p = params();
        p.adl_min_hf = Decimal::percent(99);
        assert!(p.validate().unwrap_err().contains("adl_min_hf"));
        let mut p = params();
        p.max_cover_per_event = Decimal::zero();
        assert!(p.validate().unwrap_err().contains("max_cover_per_event"));
        // periods are added to the block time: a year at most, so that sum cannot overflow
        let mut p = params();
        p.stake_cooldown = MAX_PERIOD;
        p.drawdown_window = MAX_PERIOD;
        assert!(p.validate().is_ok());
        p.stake_cooldown = u64::MAX;
        assert_eq!(
            p.validate().unwrap_err(),
            format!(
                "stake_cooldown must be at most {MAX_PERIOD} s, got {}",
                u64::MAX
            )
        );
        let mut p = params();
        p.drawdown_window = MAX_PERIOD + 1;
        assert!(p.validate().unwrap_err().contains("drawdown_window"));
    }
}
