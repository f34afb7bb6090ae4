//! Keeper pay: `tip + chip × debt`, asked of the backstop as a submessage that may fail without
//! failing the liquidation, reset or bid that earned it (Exact rule 7).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Attribute, Coin, Decimal256, Event, Reply, Response, SubMsg,
    SubMsgResult, Uint128, WasmMsg,
};

use ballast_types::auction::AuctionParams;
use ballast_types::backstop::ExecuteMsg as BackstopMsg;
use ballast_types::math::{dec256, div_dec, mul_dec, MathError, Rounding};

use crate::error::{ContractError, ContractResult};

/// Reply id of the `PayKeeper` submessage (`reply_on_error`).
pub const KEEPER_PAY_REPLY: u64 = 1;

/// What a `PayKeeper` submessage asked for, carried as its payload so that the reply can say
/// which pay failed.
#[cw_serde]
pub struct KeeperPay {
    pub lot_id: u64,
    pub keeper: String,
    pub amount: Coin,
}

/// `⌊tip / debt_price⌋ + ⌊chip × debt⌋` in the debt denom: `tip` is in quote units, converted
/// at the debt denom's Liquidation price (both parts rounded down: the fund pays no more).
pub fn keeper_pay_amount(
    params: &AuctionParams,
    debt: Uint128,
    debt_price: Decimal256,
) -> ContractResult<Uint128> {
    let tip = if params.tip.is_zero() || debt_price.is_zero() {
        Uint128::zero()
    } else {
        match div_dec(params.tip, debt_price, Rounding::Down) {
            Ok(tip) => tip,
            // a debt denom worth almost nothing: the tip is more units than exist
            Err(MathError::Overflow { .. }) => Uint128::MAX,
            Err(e) => return Err(e.into()),
        }
    };
    let chip = mul_dec(debt, dec256(params.chip), Rounding::Down)?;
    Ok(tip.saturating_add(chip))
}

/// The `PayKeeper` submessage for `amount` of `denom`, or none when there is nothing to pay or no
/// backstop to pay it (`backstop` may be `None` when `amount` is zero); with the attributes that
/// say which.
pub fn keeper_pay(
    backstop: Option<&Addr>,
    keeper: &Addr,
    lot_id: u64,
    denom: &str,
    amount: Uint128,
) -> ContractResult<(Option<SubMsg>, Vec<Attribute>)> {
    if amount.is_zero() {
        return Ok((None, vec![Attribute::new("keeper_pay", "0")]));
    }
    let Some(backstop) = backstop else {
        return Ok((
            None,
            vec![Attribute::new("keeper_pay", "none (no backstop)")],
        ));
    };
    let coin = Coin::new(amount, denom);
    let payload = KeeperPay {
        lot_id,
        keeper: keeper.to_string(),
        amount: coin.clone(),
    };
    let msg = SubMsg::reply_on_error(
        WasmMsg::Execute {
            contract_addr: backstop.to_string(),
            msg: to_json_binary(&BackstopMsg::PayKeeper {
                keeper: keeper.to_string(),
                amount: coin,
            })?,
            funds: vec![],
        },
        KEEPER_PAY_REPLY,
    )
    .with_payload(to_json_binary(&payload)?);
    Ok((
        Some(msg),
        vec![Attribute::new("keeper_pay", format!("{amount}{denom}"))],
    ))
}

/// The reply to a failed `PayKeeper`: the failure is recorded in an event and the transaction
/// goes on (the fund's failure to pay a keeper never undoes the keeper's work).
pub fn on_reply(reply: Reply) -> ContractResult<Response> {
    if reply.id != KEEPER_PAY_REPLY {
        return Err(ContractError::UnknownReply { id: reply.id });
    }
    let error = match reply.result {
        SubMsgResult::Ok(_) => return Ok(Response::new()),
        SubMsgResult::Err(error) => error,
    };
    let mut event = Event::new("ballast_keeper_pay_failed").add_attribute("error", error);
    if let Ok(pay) = from_json::<KeeperPay>(&reply.payload) {
        event = event
            .add_attribute("lot_id", pay.lot_id.to_string())
            .add_attribute("keeper", pay.keeper)
            .add_attribute("owed", pay.amount.to_string());
    }
    Ok(Response::new()
        .add_attribute("action", "keeper_pay_failed")
        .add_event(event))
}
