//! Checks on the coins a message carries. Every contract refuses stray denoms, zero amounts and
//! coins sent to messages that take none, and says what it expected and what it got.

use cosmwasm_std::{Coin, MessageInfo, Uint128};

/// What was expected and what came, as text for the contract's `InvalidFunds` error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundsMismatch {
    pub expected: String,
    pub got: String,
}

/// `"10uatom, 5uusd"`, or `"nothing"`.
pub fn describe(coins: &[Coin]) -> String {
    if coins.is_empty() {
        return "nothing".to_string();
    }
    coins
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A coin's amount as `Uint128` (cosmwasm-std 3 carries `Uint256`; no bank denom exceeds u128).
pub fn amount_u128(coin: &Coin) -> Option<Uint128> {
    Uint128::try_from(coin.amount).ok()
}

/// The message takes no coins.
pub fn no_funds(info: &MessageInfo) -> Result<(), FundsMismatch> {
    if info.funds.is_empty() {
        Ok(())
    } else {
        Err(FundsMismatch {
            expected: "no funds".to_string(),
            got: describe(&info.funds),
        })
    }
}

/// Exactly one coin of any denom, with a positive amount: its denom and amount.
pub fn one_coin(info: &MessageInfo) -> Result<(String, Uint128), FundsMismatch> {
    match info.funds.as_slice() {
        [coin] if !coin.amount.is_zero() => amount_u128(coin)
            .map(|amount| (coin.denom.clone(), amount))
            .ok_or_else(|| FundsMismatch {
                expected: "one coin whose amount fits in 128 bits".to_string(),
                got: describe(&info.funds),
            }),
        _ => Err(FundsMismatch {
            expected: "exactly one coin with a positive amount".to_string(),
            got: describe(&info.funds),
        }),
    }
}

/// Exactly one coin of `denom`, with a positive amount.
pub fn one_coin_of(info: &MessageInfo, denom: &str) -> Result<Uint128, FundsMismatch> {
    match info.funds.as_slice() {
        [coin] if coin.denom == denom && !coin.amount.is_zero() => {
            amount_u128(coin).ok_or_else(|| FundsMismatch {
                expected: format!("a positive amount of {denom} that fits in 128 bits"),
                got: describe(&info.funds),
            })
        }
        _ => Err(FundsMismatch {
            expected: format!("a positive amount of {denom} only"),
            got: describe(&info.funds),
        }),
    }
}

/// Coins of the allowed denoms only, each at most once and positive; returns the amount of
/// each allowed denom (zero when absent).
pub fn only_denoms(info: &MessageInfo, allowed: &[&str]) -> Result<Vec<Uint128>, FundsMismatch> {
    let mut amounts = vec![Uint128::zero(); allowed.len()];
    let mismatch = || FundsMismatch {
        expected: format!("at most one positive coin each of {}", allowed.join(", ")),
        got: describe(&info.funds),
    };
    for coin in &info.funds {
        let index = allowed
            .iter()
            .position(|d| *d == coin.denom)
            .ok_or_else(mismatch)?;
        if coin.amount.is_zero() || !amounts[index].is_zero() {
            return Err(mismatch());
        }
        amounts[index] = amount_u128(coin).ok_or_else(mismatch)?;
    }
    Ok(amounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{coin, Addr};

    fn info(funds: Vec<Coin>) -> MessageInfo {
        MessageInfo {
            sender: Addr::unchecked("sender"),
            funds,
        }
    }

    #[test]
    fn one_coin_refuses_none_two_and_zero() {
        assert_eq!(
            one_coin(&info(vec![coin(5, "a")])).unwrap(),
            ("a".to_string(), Uint128::new(5))
        );
        assert_eq!(one_coin(&info(vec![])).unwrap_err().got, "nothing");
        assert_eq!(
            one_coin(&info(vec![coin(5, "a"), coin(1, "b")]))
                .unwrap_err()
                .got,
            "5a, 1b"
        );
        assert_eq!(one_coin(&info(vec![coin(0, "a")])).unwrap_err().got, "0a");
    }

    #[test]
    fn one_coin_of_names_the_denom() {
        assert_eq!(
            one_coin_of(&info(vec![coin(5, "a")]), "a").unwrap(),
            Uint128::new(5)
        );
        let err = one_coin_of(&info(vec![coin(5, "b")]), "a").unwrap_err();
        assert_eq!(err.expected, "a positive amount of a only");
        assert_eq!(err.got, "5b");
    }

    #[test]
    fn only_denoms_allows_each_at_most_once() {
        assert_eq!(
            only_denoms(&info(vec![coin(3, "b")]), &["a", "b"]).unwrap(),
            vec![Uint128::zero(), Uint128::new(3)]
        );
        assert!(only_denoms(&info(vec![coin(3, "c")]), &["a", "b"]).is_err());
        assert!(only_denoms(&info(vec![coin(3, "a"), coin(3, "a")]), &["a", "b"]).is_err());
        assert!(only_denoms(&info(vec![coin(0, "a")]), &["a"]).is_err());
        assert_eq!(
            only_denoms(&info(vec![]), &["a"]).unwrap(),
            vec![Uint128::zero()]
        );
    }

    #[test]
    fn no_funds_refuses_any_coin() {
        assert!(no_funds(&info(vec![])).is_ok());
        assert_eq!(no_funds(&info(vec![coin(1, "a")])).unwrap_err().got, "1a");
    }
}
