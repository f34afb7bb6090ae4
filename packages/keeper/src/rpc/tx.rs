//! Transaction assembly and signing (SIGN_MODE_DIRECT), as pure functions: the same key, chain
//! id, account number, sequence, messages and fee always give the same bytes (RFC 6979
//! deterministic ECDSA nonces), which the tests below pin.

use cosmrs::cosmwasm::{MsgExecuteContract, MsgInstantiateContract, MsgStoreCode};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tendermint::chain;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin as SdkCoin};

use crate::chain::{ChainError, ContractMsg};

/// Who signs, where, at which sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerData {
    pub chain_id: String,
    pub account_number: u64,
    pub sequence: u64,
}

fn encode_err(e: impl std::fmt::Display) -> ChainError {
    ChainError::Encode(e.to_string())
}

pub fn sdk_coin(coin: &cosmwasm_std::Coin) -> Result<SdkCoin, ChainError> {
    Ok(SdkCoin {
        denom: coin.denom.parse().map_err(encode_err)?,
        amount: ballast_types::funds::amount_u128(coin)
            .ok_or_else(|| ChainError::Encode(format!("{coin} exceeds u128")))?
            .u128(),
    })
}

fn sdk_coins(coins: &[cosmwasm_std::Coin]) -> Result<Vec<SdkCoin>, ChainError> {
    coins.iter().map(sdk_coin).collect()
}

/// `MsgExecuteContract` from the keeper's message.
pub fn execute_any(sender: &AccountId, msg: &ContractMsg) -> Result<Any, ChainError> {
    MsgExecuteContract {
        sender: sender.clone(),
        contract: msg.contract.parse().map_err(encode_err)?,
        msg: msg.msg.clone(),
        funds: sdk_coins(&msg.funds)?,
    }
    .to_any()
    .map_err(encode_err)
}

/// `MsgStoreCode` (no instantiate permission: the chain's default applies).
pub fn store_code_any(sender: &AccountId, wasm: Vec<u8>) -> Result<Any, ChainError> {
    MsgStoreCode {
        sender: sender.clone(),
        wasm_byte_code: wasm,
        instantiate_permission: None,
    }
    .to_any()
    .map_err(encode_err)
}

/// `MsgInstantiateContract`.
pub fn instantiate_any(
    sender: &AccountId,
    code_id: u64,
    label: &str,
    msg: Vec<u8>,
    admin: Option<&str>,
    funds: &[cosmwasm_std::Coin],
) -> Result<Any, ChainError> {
    MsgInstantiateContract {
        sender: sender.clone(),
        admin: admin.map(|a| a.parse()).transpose().map_err(encode_err)?,
        code_id,
        label: Some(label.to_string()),
        msg,
        funds: sdk_coins(funds)?,
    }
    .to_any()
    .map_err(encode_err)
}

/// The gas limit to ask for: the simulated gas × `adjustment`, rounded up, at most `max`.
pub fn gas_limit(simulated: u64, adjustment: f64, max: u64) -> u64 {
    let adjusted = (simulated as f64 * adjustment.max(1.0)).ceil();
    if adjusted >= max as f64 {
        max
    } else {
        adjusted as u64
    }
}

/// The fee for `gas_limit` at `gas_price` (fee-denom units per gas), rounded up.
pub fn fee_for(gas_limit: u64, gas_price: f64, denom: &str) -> Result<Fee, ChainError> {
    let amount = (gas_limit as f64 * gas_price).ceil().max(0.0) as u128;
    let amount = if amount == 0 {
        vec![]
    } else {
        vec![SdkCoin {
            denom: denom.parse().map_err(encode_err)?,
            amount,
        }]
    };
    Ok(Fee {
        amount,
        gas_limit,
        payer: None,
        granter: None,
    })
}

/// Signs `messages` into the bytes of a `TxRaw`, ready for `broadcast_tx_sync` or `Simulate`.
pub fn sign_tx(
    key: &SigningKey,
    messages: Vec<Any>,
    memo: &str,
    fee: Fee,
    signer: &SignerData,
) -> Result<Vec<u8>, ChainError> {
    let body = Body::new(messages, memo, 0u32);
    let auth_info =
        SignerInfo::single_direct(Some(key.public_key()), signer.sequence).auth_info(fee);
    let chain_id: chain::Id = signer.chain_id.parse().map_err(encode_err)?;
    let sign_doc =
        SignDoc::new(&body, &auth_info, &chain_id, signer.account_number).map_err(encode_err)?;
    let raw = sign_doc.sign(key).map_err(encode_err)?;
    raw.to_bytes().map_err(encode_err)
}

/// The sequence the node expected, from a CheckTx/simulation log such as "account sequence
/// mismatch, expected 12, got 11: incorrect account sequence".
pub fn expected_sequence(log: &str) -> Option<u64> {
    if !log.contains("sequence") {
        return None;
    }
    let rest = &log[log.find("expected ")? + "expected ".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// The SDK's code for a wrong sequence (`sdkerrors.ErrWrongSequence`).
pub const CODE_WRONG_SEQUENCE: u32 = 32;
/// The SDK's code for a transaction already in the mempool cache (`ErrTxInMempoolCache`).
pub const CODE_TX_IN_CACHE: u32 = 19;

#[cfg(test)]
mod tests {
    use super::*;
    use cosmrs::proto::cosmos::tx::v1beta1::{SignDoc as ProtoSignDoc, TxRaw};
    use cosmrs::proto::traits::Message;
    use cosmrs::Tx;
    use cosmwasm_std::coin;
    use k256::ecdsa::signature::hazmat::PrehashVerifier;
    use k256::ecdsa::{Signature, VerifyingKey};
    use sha2::{Digest, Sha256};

    const CONTRACT: &str = "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d";

    fn key() -> SigningKey {
        SigningKey::from_slice(&[7u8; 32]).unwrap()
    }

    fn signer(sequence: u64) -> SignerData {
        SignerData {
            chain_id: "ballast-test-1".into(),
            account_number: 42,
            sequence,
        }
    }

    fn liquidate_tx(key: &SigningKey, sequence: u64) -> Vec<u8> {
        let sender = key.public_key().account_id("wasm").unwrap();
        let update = ContractMsg::new(
            "wasm1suhgf5svhu4usrurvxzlgn54ksxmn8gljarjtxqnapv8kjnp4nrss5maay",
            &serde_json::json!({"update_price_feeds":{"data":["dmFh"]}}),
            vec![coin(1, "untrn")],
        )
        .unwrap();
        let liquidate = ContractMsg::new(
            CONTRACT,
            &ballast_types::market::ExecuteMsg::Liquidate {
                borrower: "wasm1borrower".into(),
            },
            vec![],
        )
        .unwrap();
        let msgs = vec![
            execute_any(&sender, &update).unwrap(),
            execute_any(&sender, &liquidate).unwrap(),
        ];
        let fee = fee_for(gas_limit(200_000, 1.4, 5_000_000), 0.025, "untrn").unwrap();
        sign_tx(key, msgs, "ballast-keeper", fee, &signer(sequence)).unwrap()
    }

    #[test]
    fn same_inputs_same_bytes() {
        let a = liquidate_tx(&key(), 5);
        let b = liquidate_tx(&key(), 5);
        assert_eq!(a, b);
        // Pinned: a change here means the wire format or the signing changed.
        assert_eq!(
            hex::encode(Sha256::digest(&a)),
            "c7f4d868654406d4868ead29befa0b4283c4dca1b55008eb1222bf0b3704d4a3"
        );
        assert_ne!(a, liquidate_tx(&key(), 6));
    }

    #[test]
    fn bytes_decode_to_the_messages_fee_and_signer() {
        let key = key();
        let bytes = liquidate_tx(&key, 5);
        let tx = Tx::from_bytes(&bytes).unwrap();
        assert_eq!(tx.body.memo, "ballast-keeper");
        assert_eq!(tx.body.messages.len(), 2);
        let sender = key.public_key().account_id("wasm").unwrap();
        let update = MsgExecuteContract::from_any(&tx.body.messages[0]).unwrap();
        assert_eq!(update.sender, sender);
        assert_eq!(update.funds, vec![sdk_coin(&coin(1, "untrn")).unwrap()]);
        let liquidate = MsgExecuteContract::from_any(&tx.body.messages[1]).unwrap();
        assert_eq!(liquidate.contract.to_string(), CONTRACT);
        assert_eq!(
            liquidate.msg,
            br#"{"liquidate":{"borrower":"wasm1borrower"}}"#.to_vec()
        );
        assert!(liquidate.funds.is_empty());
        assert_eq!(
            tx.body.messages[1].type_url,
            "/cosmwasm.wasm.v1.MsgExecuteContract"
        );

        let info = &tx.auth_info.signer_infos[0];
        assert_eq!(tx.auth_info.signer_infos.len(), 1);
        assert_eq!(info.sequence, 5);
        assert_eq!(
            info.public_key.as_ref().unwrap().single(),
            Some(&key.public_key())
        );
        assert_eq!(tx.auth_info.fee.gas_limit, 280_000);
        assert_eq!(
            tx.auth_info.fee.amount,
            vec![sdk_coin(&coin(7_000, "untrn")).unwrap()]
        );
        assert_eq!(tx.signatures.len(), 1);
    }

    #[test]
    fn signature_verifies_against_the_reconstructed_sign_doc() {
        let key = key();
        let bytes = liquidate_tx(&key, 5);
        let raw = TxRaw::decode(bytes.as_slice()).unwrap();
        let sign_doc = |chain_id: &str, account_number: u64| {
            ProtoSignDoc {
                body_bytes: raw.body_bytes.clone(),
                auth_info_bytes: raw.auth_info_bytes.clone(),
                chain_id: chain_id.into(),
                account_number,
            }
            .encode_to_vec()
        };
        let verifying = VerifyingKey::from_sec1_bytes(&key.public_key().to_bytes()).unwrap();
        let signature = Signature::from_slice(&raw.signatures[0]).unwrap();
        // Cosmos wants low-S signatures.
        assert!(signature.normalize_s().is_none());
        // The chain verifies sha256(SignDoc bytes).
        let digest = Sha256::digest(sign_doc("ballast-test-1", 42));
        verifying.verify_prehash(&digest, &signature).unwrap();
        // ... and nothing else: another chain id or account number does not verify.
        let wrong_chain = Sha256::digest(sign_doc("other-1", 42));
        assert!(verifying.verify_prehash(&wrong_chain, &signature).is_err());
        let wrong_account = Sha256::digest(sign_doc("ballast-test-1", 43));
        assert!(verifying
            .verify_prehash(&wrong_account, &signature)
            .is_err());
    }

    #[test]
    fn store_and_instantiate_messages_round_trip() {
        let sender = key().public_key().account_id("wasm").unwrap();
        let any = store_code_any(&sender, b"\0asm\x01\0\0\0".to_vec()).unwrap();
        let msg = MsgStoreCode::from_any(&any).unwrap();
        assert_eq!(msg.wasm_byte_code, b"\0asm\x01\0\0\0".to_vec());
        let any = instantiate_any(
            &sender,
            3,
            "ballast-market",
            br#"{"owner":"x"}"#.to_vec(),
            Some(sender.as_ref()),
            &[],
        )
        .unwrap();
        let msg = MsgInstantiateContract::from_any(&any).unwrap();
        assert_eq!(
            (msg.code_id, msg.label.as_deref()),
            (3, Some("ballast-market"))
        );
        assert_eq!(msg.admin, Some(sender));
    }

    #[test]
    fn gas_fee_and_sequence_helpers() {
        assert_eq!(gas_limit(100_000, 1.3, 1_000_000), 130_000);
        assert_eq!(gas_limit(100_001, 1.5, 1_000_000), 150_002);
        assert_eq!(gas_limit(900_000, 1.5, 1_000_000), 1_000_000);
        assert_eq!(gas_limit(100_000, 0.5, 1_000_000), 100_000); // never below the simulation
        let fee = fee_for(100_001, 0.025, "untrn").unwrap();
        assert_eq!(fee.amount[0].amount, 2_501);
        assert!(fee_for(10, 0.0, "untrn").unwrap().amount.is_empty());
        assert_eq!(
            expected_sequence(
                "account sequence mismatch, expected 12, got 11: incorrect account sequence"
            ),
            Some(12)
        );
        assert_eq!(expected_sequence("out of gas"), None);
    }
}
