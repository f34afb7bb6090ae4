//! Stakers: first-loss capital after the fund, counted in shares (Exact rule 6).

use cosmwasm_std::{coins, BankMsg, DepsMut, Env, MessageInfo, Response, Uint128};

use ballast_types::funds::{no_funds, one_coin_of};
use ballast_types::math::{mul_ratio, MathError, Rounding};

use crate::error::{ContractError, ContractResult};
use crate::execute::ensure_exit_open;
use crate::state::{StakePool, Unbond, CONFIG, PARAMS, STAKERS, STAKE_POOL};

/// Tokens that `shares` are worth now (rounded down).
pub fn shares_value(pool: &StakePool, shares: Uint128) -> ContractResult<Uint128> {
    if pool.shares.is_zero() {
        return Ok(Uint128::zero());
    }
    Ok(mul_ratio(shares, pool.tokens, pool.shares, Rounding::Down)?)
}

pub fn stake(deps: DepsMut, info: MessageInfo) -> ContractResult<Response> {
    let params = PARAMS.load(deps.storage)?;
    let amount = one_coin_of(&info, &params.stake_denom)?;
    let mut pool = STAKE_POOL.may_load(deps.storage)?.unwrap_or_default();
    let minted = if pool.shares.is_zero() {
        amount
    } else if pool.tokens.is_zero() {
        return Err(ContractError::StakePoolWipedOut {});
    } else {
        // rounded down: a new staker never dilutes the others
        mul_ratio(amount, pool.shares, pool.tokens, Rounding::Down)?
    };
    if minted.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    // A stake too large for the pool's totals is an error, never a panic.
    let overflow = |operation| MathError::Overflow { operation };
    pool.tokens = pool
        .tokens
        .checked_add(amount)
        .map_err(|_| overflow("stake pool tokens"))?;
    pool.shares = pool
        .shares
        .checked_add(minted)
        .map_err(|_| overflow("stake pool shares"))?;
    STAKE_POOL.save(deps.storage, &pool)?;
    let mut staker = STAKERS
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    // a staker's shares are part of the pool's, which did not overflow
    staker.shares += minted;
    STAKERS.save(deps.storage, &info.sender, &staker)?;
    Ok(Response::new()
        .add_attribute("action", "stake")
        .add_attribute("staker", info.sender)
        .add_attribute("amount", amount)
        .add_attribute("shares", minted))
}

pub fn unstake(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> ContractResult<Response> {
    no_funds(&info)?;
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let config = CONFIG.load(deps.storage)?;
    ensure_exit_open(deps.as_ref(), &config, env.block.time.seconds())?;
    let params = PARAMS.load(deps.storage)?;
    let mut staker = STAKERS
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    if amount > staker.shares {
        return Err(ContractError::InsufficientShares {
            address: info.sender.to_string(),
            requested: amount,
            available: staker.shares,
        });
    }
    let claimable_at = env.block.time.seconds() + params.stake_cooldown;
    staker.shares -= amount;
    staker.unbonding.push(Unbond {
        shares: amount,
        claimable_at,
    });
    STAKERS.save(deps.storage, &info.sender, &staker)?;
    Ok(Response::new()
        .add_attribute("action", "unstake")
        .add_attribute("staker", info.sender)
        .add_attribute("shares", amount)
        .add_attribute("claimable_at", claimable_at.to_string()))
}

pub fn claim(deps: DepsMut, env: Env, info: MessageInfo) -> ContractResult<Response> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    ensure_exit_open(deps.as_ref(), &config, env.block.time.seconds())?;
    let params = PARAMS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let mut staker = STAKERS
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    let (ready, waiting): (Vec<Unbond>, Vec<Unbond>) = staker
        .unbonding
        .drain(..)
        .partition(|u| u.claimable_at <= now);
    staker.unbonding = waiting;
    let shares: Uint128 = ready.iter().map(|u| u.shares).sum();
    if shares.is_zero() {
        return Err(ContractError::NothingToClaim {
            address: info.sender.to_string(),
            next: staker.unbonding.iter().map(|u| u.claimable_at).min(),
        });
    }
    let mut pool = STAKE_POOL.load(deps.storage)?;
    let tokens = shares_value(&pool, shares)?;
    pool.tokens -= tokens;
    pool.shares -= shares;
    STAKE_POOL.save(deps.storage, &pool)?;
    if staker.shares.is_zero() && staker.unbonding.is_empty() {
        STAKERS.remove(deps.storage, &info.sender);
    } else {
        STAKERS.save(deps.storage, &info.sender, &staker)?;
    }
    let mut response = Response::new()
        .add_attribute("action", "claim")
        .add_attribute("staker", info.sender.as_str())
        .add_attribute("shares", shares)
        .add_attribute("amount", tokens);
    if !tokens.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: info.sender.to_string(),
            amount: coins(tokens.u128(), params.stake_denom),
        });
    }
    Ok(response)
}
