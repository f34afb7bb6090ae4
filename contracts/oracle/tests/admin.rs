//! Owner actions and their guards: instantiate, `SetSource`, `RemoveSource`,
//! `UpdateCircuitParams`, the two-step ownership transfer, funds on every message, and migrate.

mod common;

use ballast_oracle::contract::{self, CONTRACT_NAME, CONTRACT_VERSION};
use ballast_oracle::ContractError;
use ballast_types::oracle::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, PriceSource, QueryMsg, SourceResponse,
};
use common::*;

/// The smallest `Decimal` step, 10^-18.
fn tiny() -> Decimal {
    Decimal::new(Uint128::new(1))
}
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::{coin, to_json_string, Api, Coin, Decimal, Decimal256, Uint128};
use cw_multi_test::Executor;

fn unauthorized(sender: &cosmwasm_std::Addr, action: &str) -> ContractError {
    ContractError::Unauthorized {
        sender: sender.to_string(),
        action: action.into(),
    }
}

fn invalid_config(reason: &str) -> ContractError {
    ContractError::InvalidConfig {
        reason: reason.into(),
    }
}

fn no_funds(got: &str) -> ContractError {
    ContractError::InvalidFunds {
        expected: "no funds".into(),
        got: got.into(),
    }
}

/// One message of each kind, valid in the state `funded_suite` builds.
fn every_message(s: &Suite) -> Vec<ExecuteMsg> {
    vec![
        ExecuteMsg::SetSource {
            denom: "unew".into(),
            source: PriceSource::Fixed {
                price: Decimal256::one(),
            },
        },
        ExecuteMsg::RemoveSource { denom: ATOM.into() },
        ExecuteMsg::UpdateCircuitParams {
            denom: ATOM.into(),
            max_move: pct(10),
            move_window: 300,
            cooldown: 600,
        },
        ExecuteMsg::Observe {
            denoms: vec![ATOM.into()],
        },
        ExecuteMsg::ProposeOwner {
            owner: s.keeper.to_string(),
        },
        ExecuteMsg::AcceptOwner {},
    ]
}

fn funded_suite() -> Suite {
    let mut s = Suite::new().with_atom();
    s.set_circuit(ATOM, pct(10), 300, 600);
    let keeper = s.keeper.to_string();
    s.owner_does(&ExecuteMsg::ProposeOwner { owner: keeper });
    s
}

#[test]
fn instantiate_stores_the_config_and_refuses_bad_input() {
    let s = Suite::new();
    let config: ConfigResponse = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(
        config,
        ConfigResponse {
            owner: s.owner.clone(),
            pending_owner: None,
            quote_denom: QUOTE.into(),
            quote_decimals: 6,
        }
    );
    let version = cw2::query_contract_info(&s.app.wrap(), s.oracle.to_string()).unwrap();
    assert_eq!(version.contract, "crates.io:ballast-oracle");
    assert_eq!(version.version, env!("CARGO_PKG_VERSION"));

    let mut s = s;
    let owner = s.owner.clone();
    let instantiate = |s: &mut Suite, msg: InstantiateMsg, funds: &[Coin]| {
        s.app
            .instantiate_contract(s.code_id, owner.clone(), &msg, funds, "another", None)
            .unwrap_err()
    };
    let good = InstantiateMsg {
        owner: owner.to_string(),
        quote_denom: QUOTE.into(),
        quote_decimals: 18,
    };
    // 18 quote decimals is the most accepted
    s.app
        .instantiate_contract(s.code_id, owner.clone(), &good, &[], "18", None)
        .unwrap();
    let err = instantiate(
        &mut s,
        InstantiateMsg {
            quote_decimals: 19,
            ..good.clone()
        },
        &[],
    );
    assert_error(
        &err,
        invalid_config("quote_decimals must be at most 18, got 19"),
    );
    let err = instantiate(
        &mut s,
        InstantiateMsg {
            quote_denom: "".into(),
            ..good.clone()
        },
        &[],
    );
    assert_error(
        &err,
        invalid_config("quote_denom must be 1 to 128 characters, got \"\""),
    );
    assert!(s.app.api().addr_validate("not an address").is_err());
    let err = instantiate(
        &mut s,
        InstantiateMsg {
            owner: "not an address".into(),
            ..good.clone()
        },
        &[],
    );
    assert_error(
        &err,
        ContractError::InvalidAddress {
            field: "owner".into(),
            address: "not an address".into(),
            reason: "parse failed".into(),
        },
    );
    let err = instantiate(&mut s, good, &[coin(7, QUOTE)]);
    assert_error(&err, no_funds("7uusd"));
}

#[test]
fn set_source_stores_the_source_and_says_so_in_its_events() {
    let mut s = Suite::new();
    let fixed = PriceSource::Fixed { price: dec("1.5") };
    let res = s.set_source("ufix", fixed.clone());
    assert_eq!(wasm_attr(&res, "action"), "set_source");
    assert_eq!(wasm_attr(&res, "denom"), "ufix");
    assert_eq!(wasm_attr(&res, "source_type"), "fixed");
    assert_eq!(wasm_attr(&res, "source"), r#"{"fixed":{"price":"1.5"}}"#);
    assert_eq!(wasm_attr(&res, "replaced"), "false");
    let answer: SourceResponse = s
        .query(&QueryMsg::Source {
            denom: "ufix".into(),
        })
        .unwrap();
    assert_eq!(
        answer,
        SourceResponse {
            denom: "ufix".into(),
            source: fixed
        }
    );

    let pyth = s.pyth_source(&atom_feed(), 6);
    let res = s.set_source(ATOM, pyth.clone());
    assert_eq!(wasm_attr(&res, "source_type"), "pyth");
    // the whole source is in the event, so an indexer can rebuild it
    assert_eq!(wasm_attr(&res, "source"), to_json_string(&pyth).unwrap());
    // replacing it says so
    let res = s.set_source(ATOM, pyth);
    assert_eq!(wasm_attr(&res, "replaced"), "true");
}

#[test]
fn set_source_is_for_the_owner_only() {
    let mut s = Suite::new();
    let keeper = s.keeper.clone();
    let err = s
        .execute(
            &keeper,
            &ExecuteMsg::SetSource {
                denom: ATOM.into(),
                source: PriceSource::Fixed {
                    price: Decimal256::one(),
                },
            },
            &[],
        )
        .unwrap_err();
    assert_error(&err, unauthorized(&keeper, "set price sources"));
    let err = s
        .query::<SourceResponse>(&QueryMsg::Source { denom: ATOM.into() })
        .unwrap_err();
    assert_error(&err, ContractError::UnknownDenom { denom: ATOM.into() });
}

#[test]
fn set_source_bounds_are_inclusive_at_twenty_percent() {
    let mut s = Suite::new();
    let owner = s.owner.clone();
    let base = s.pyth_source(&atom_feed(), 6);
    let with = |f: &dyn Fn(&mut PriceSource)| {
        let mut source = base.clone();
        f(&mut source);
        source
    };
    let set = |s: &mut Suite, source: PriceSource| {
        s.execute(
            &owner,
            &ExecuteMsg::SetSource {
                denom: ATOM.into(),
                source,
            },
            &[],
        )
    };
    let just_above = pct(20) + tiny();

    // exactly 20% confidence and deviation are accepted
    let at_cap = with(&|p| {
        if let PriceSource::Pyth {
            max_confidence,
            max_deviation,
            ..
        } = p
        {
            *max_confidence = pct(20);
            *max_deviation = pct(20);
        }
    });
    set(&mut s, at_cap.clone()).unwrap();
    let stored: SourceResponse = s.query(&QueryMsg::Source { denom: ATOM.into() }).unwrap();
    assert_eq!(stored.source, at_cap);

    let err = set(
        &mut s,
        with(&|p| {
            if let PriceSource::Pyth { max_confidence, .. } = p {
                *max_confidence = just_above;
            }
        }),
    )
    .unwrap_err();
    assert_error(
        &err,
        invalid_config(
            "source of uatom: max_confidence must be in (0, 0.2], got 0.200000000000000001",
        ),
    );
    let err = set(
        &mut s,
        with(&|p| {
            if let PriceSource::Pyth { max_deviation, .. } = p {
                *max_deviation = just_above;
            }
        }),
    )
    .unwrap_err();
    assert_error(
        &err,
        invalid_config(
            "source of uatom: max_deviation must be in (0, 0.2], got 0.200000000000000001",
        ),
    );
    let err = set(
        &mut s,
        with(&|p| {
            if let PriceSource::Pyth { max_confidence, .. } = p {
                *max_confidence = Decimal::zero();
            }
        }),
    )
    .unwrap_err();
    assert_error(
        &err,
        invalid_config("source of uatom: max_confidence must be in (0, 0.2], got 0"),
    );

    // staleness: 0 refused, 1 s and a day accepted, a day and a second refused
    for (staleness, ok) in [(0u64, false), (1, true), (86_400, true), (86_401, false)] {
        let result = set(
            &mut s,
            with(&|p| {
                if let PriceSource::Pyth { max_staleness, .. } = p {
                    *max_staleness = staleness;
                }
            }),
        );
        if ok {
            result.unwrap();
        } else {
            assert_error(
                &result.unwrap_err(),
                invalid_config(&format!(
                    "source of uatom: max_staleness must be in 1..=86400 seconds, got {staleness}"
                )),
            );
        }
    }

    // a feed id that is not 32 bytes of hex
    let err = set(
        &mut s,
        with(&|p| {
            if let PriceSource::Pyth { feed_id, .. } = p {
                *feed_id = "abcd".into();
            }
        }),
    )
    .unwrap_err();
    assert_error(
        &err,
        invalid_config(
            "source of uatom: feed_id must be 32 bytes (64 hex characters), got 2 bytes",
        ),
    );

    // a Pyth contract that is not an address
    let err = set(
        &mut s,
        with(&|p| {
            if let PriceSource::Pyth { contract, .. } = p {
                *contract = "pyth".into();
            }
        }),
    )
    .unwrap_err();
    assert_error(
        &err,
        ContractError::InvalidAddress {
            field: "Pyth contract".into(),
            address: "pyth".into(),
            reason: "parse failed".into(),
        },
    );

    // a zero fixed price
    let err = set(
        &mut s,
        PriceSource::Fixed {
            price: Decimal256::zero(),
        },
    )
    .unwrap_err();
    assert_error(
        &err,
        invalid_config("source of uatom: a fixed price must be positive"),
    );

    // an empty denom
    let err = s
        .execute(
            &owner,
            &ExecuteMsg::SetSource {
                denom: "".into(),
                source: base.clone(),
            },
            &[],
        )
        .unwrap_err();
    assert_error(
        &err,
        invalid_config("denom must be 1 to 128 characters, got 0 (\"\")"),
    );
}

#[test]
fn remove_source_removes_the_source_and_its_circuit() {
    let mut s = Suite::new().with_atom();
    s.set_circuit(ATOM, pct(10), 300, 600);
    s.observe(&[ATOM]).unwrap();
    assert!(s.circuit_record(ATOM).is_some());

    let keeper = s.keeper.clone();
    let err = s
        .execute(
            &keeper,
            &ExecuteMsg::RemoveSource { denom: ATOM.into() },
            &[],
        )
        .unwrap_err();
    assert_error(&err, unauthorized(&keeper, "remove price sources"));

    let res = s.owner_does(&ExecuteMsg::RemoveSource { denom: ATOM.into() });
    assert_eq!(wasm_attr(&res, "action"), "remove_source");
    assert_eq!(wasm_attr(&res, "denom"), ATOM);
    assert_eq!(wasm_attr(&res, "circuit_removed"), "true");
    assert_eq!(s.circuit_record(ATOM), None);
    let err = s.price(ATOM, None).unwrap_err();
    assert_error(&err, ContractError::UnknownDenom { denom: ATOM.into() });

    // removing it again: unknown
    let owner = s.owner.clone();
    let err = s
        .execute(
            &owner,
            &ExecuteMsg::RemoveSource { denom: ATOM.into() },
            &[],
        )
        .unwrap_err();
    assert_error(&err, ContractError::UnknownDenom { denom: ATOM.into() });
}

#[test]
fn circuit_parameters_need_the_owner_a_source_and_sane_bounds() {
    let mut s = Suite::new().with_atom();
    let (owner, keeper) = (s.owner.clone(), s.keeper.clone());
    let params = |denom: &str, max_move: Decimal, move_window: u64, cooldown: u64| {
        ExecuteMsg::UpdateCircuitParams {
            denom: denom.into(),
            max_move,
            move_window,
            cooldown,
        }
    };
    let err = s
        .execute(&keeper, &params(ATOM, pct(10), 300, 600), &[])
        .unwrap_err();
    assert_error(&err, unauthorized(&keeper, "configure circuits"));
    let err = s
        .execute(&owner, &params("uosmo", pct(10), 300, 600), &[])
        .unwrap_err();
    assert_error(
        &err,
        ContractError::UnknownDenom {
            denom: "uosmo".into(),
        },
    );

    let week = 7 * 86_400;
    let refused = [
        (
            Decimal::zero(),
            300,
            600,
            "max_move must be in (0, 1], got 0",
        ),
        (
            Decimal::one() + tiny(),
            300,
            600,
            "max_move must be in (0, 1], got 1.000000000000000001",
        ),
        (
            pct(10),
            0,
            600,
            "move_window must be in 1..=604800 seconds, got 0",
        ),
        (
            pct(10),
            week + 1,
            600,
            "move_window must be in 1..=604800 seconds, got 604801",
        ),
        (
            pct(10),
            300,
            0,
            "cooldown must be in 1..=604800 seconds, got 0",
        ),
        (
            pct(10),
            300,
            week + 1,
            "cooldown must be in 1..=604800 seconds, got 604801",
        ),
    ];
    for (max_move, window, cooldown, reason) in refused {
        let err = s
            .execute(&owner, &params(ATOM, max_move, window, cooldown), &[])
            .unwrap_err();
        assert_error(&err, invalid_config(reason));
    }
    assert_eq!(s.circuit_record(ATOM), None);

    // the bounds themselves are accepted
    let res = s
        .execute(&owner, &params(ATOM, Decimal::one(), week, week), &[])
        .unwrap();
    assert_eq!(wasm_attr(&res, "action"), "update_circuit_params");
    assert_eq!(wasm_attr(&res, "denom"), ATOM);
    assert_eq!(wasm_attr(&res, "max_move"), "1");
    assert_eq!(wasm_attr(&res, "move_window"), "604800");
    assert_eq!(wasm_attr(&res, "cooldown"), "604800");
    assert_eq!(wasm_attr(&res, "created"), "true");
    let record = s.circuit_record(ATOM).unwrap();
    assert_eq!(
        (record.max_move, record.move_window, record.cooldown),
        (Decimal::one(), week, week)
    );
    s.execute(&owner, &params(ATOM, tiny(), 1, 1), &[]).unwrap();
}

#[test]
fn updating_circuit_parameters_keeps_the_observations() {
    let mut s = Suite::new().with_atom();
    s.set_circuit(ATOM, pct(10), 300, 600);
    s.observe(&[ATOM]).unwrap();
    let before = s.circuit_record(ATOM).unwrap();
    assert_eq!(before.slots.len(), 1);
    let res = s.owner_does(&ExecuteMsg::UpdateCircuitParams {
        denom: ATOM.into(),
        max_move: pct(25),
        move_window: 900,
        cooldown: 1_200,
    });
    assert_eq!(wasm_attr(&res, "created"), "false");
    assert_eq!(wasm_attr(&res, "observations_kept"), "1");
    let after = s.circuit_record(ATOM).unwrap();
    assert_eq!(after.slots, before.slots);
    assert_eq!(
        (after.max_move, after.move_window, after.cooldown),
        (pct(25), 900, 1_200)
    );
}

#[test]
fn a_new_price_stream_drops_the_old_observations_but_new_thresholds_do_not() {
    let mut s = Suite::new().with_atom();
    s.set_circuit(ATOM, pct(10), 300, 600);
    s.observe(&[ATOM]).unwrap();

    // only the thresholds change: same feed, same scale
    let mut looser = s.pyth_source(&atom_feed(), 6);
    if let PriceSource::Pyth { max_staleness, .. } = &mut looser {
        *max_staleness = 120;
    }
    let res = s.set_source(ATOM, looser);
    assert_eq!(wasm_attr(&res, "observations_cleared"), "0");
    assert_eq!(s.circuit_record(ATOM).unwrap().slots.len(), 1);

    // the decimals were wrong: the price scale changes by 10^12, which is no market move
    let res = s.set_source(ATOM, s.pyth_source(&atom_feed(), 18));
    assert_eq!(wasm_attr(&res, "observations_cleared"), "1");
    let record = s.circuit_record(ATOM).unwrap();
    assert!(record.slots.is_empty());
    assert_eq!(record.max_move, pct(10));
    s.observe(&[ATOM]).unwrap();
    assert!(!s.circuit(ATOM).open);
}

#[test]
fn ownership_moves_in_two_steps() {
    let mut s = Suite::new();
    let (owner, keeper, carol) = (s.owner.clone(), s.keeper.clone(), s.addr("carol"));

    let err = s
        .execute(&keeper, &ExecuteMsg::AcceptOwner {}, &[])
        .unwrap_err();
    assert_error(&err, ContractError::NoPendingOwner {});
    let err = s
        .execute(
            &keeper,
            &ExecuteMsg::ProposeOwner {
                owner: keeper.to_string(),
            },
            &[],
        )
        .unwrap_err();
    assert_error(&err, unauthorized(&keeper, "propose an owner"));
    let err = s
        .execute(
            &owner,
            &ExecuteMsg::ProposeOwner {
                owner: "carol".into(),
            },
            &[],
        )
        .unwrap_err();
    assert_error(
        &err,
        ContractError::InvalidAddress {
            field: "owner".into(),
            address: "carol".into(),
            reason: "parse failed".into(),
        },
    );

    let res = s.owner_does(&ExecuteMsg::ProposeOwner {
        owner: carol.to_string(),
    });
    assert_eq!(wasm_attr(&res, "action"), "propose_owner");
    assert_eq!(wasm_attr(&res, "pending_owner"), carol.to_string());
    let config: ConfigResponse = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(config.owner, owner);
    assert_eq!(config.pending_owner, Some(carol.clone()));

    // the owner is still the owner until carol accepts; nobody else may accept
    s.set_source(
        "ufix",
        PriceSource::Fixed {
            price: Decimal256::one(),
        },
    );
    let err = s
        .execute(&keeper, &ExecuteMsg::AcceptOwner {}, &[])
        .unwrap_err();
    assert_error(&err, unauthorized(&keeper, "accept ownership"));
    let err = s
        .execute(&owner, &ExecuteMsg::AcceptOwner {}, &[])
        .unwrap_err();
    assert_error(&err, unauthorized(&owner, "accept ownership"));

    let res = s.execute(&carol, &ExecuteMsg::AcceptOwner {}, &[]).unwrap();
    assert_eq!(wasm_attr(&res, "action"), "accept_owner");
    assert_eq!(wasm_attr(&res, "previous_owner"), owner.to_string());
    assert_eq!(wasm_attr(&res, "owner"), carol.to_string());
    let config: ConfigResponse = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(config.owner, carol);
    assert_eq!(config.pending_owner, None);

    // the old owner is out, the new one is in, and the proposal is spent
    let remove = ExecuteMsg::RemoveSource {
        denom: "ufix".into(),
    };
    let err = s.execute(&owner, &remove, &[]).unwrap_err();
    assert_error(&err, unauthorized(&owner, "remove price sources"));
    s.execute(&carol, &remove, &[]).unwrap();
    let err = s
        .execute(&carol, &ExecuteMsg::AcceptOwner {}, &[])
        .unwrap_err();
    assert_error(&err, ContractError::NoPendingOwner {});
}

#[test]
fn every_message_refuses_any_coin() {
    let mut s = funded_suite();
    let (owner, keeper) = (s.owner.clone(), s.keeper.clone());
    let cases: [(&[Coin], &str); 3] = [
        (&[coin(10, QUOTE)], "10uusd"),
        (&[coin(10, QUOTE), coin(5, ATOM)], "10uusd, 5uatom"),
        // a zero-amount coin beside a real one still reaches the contract, and is refused
        (&[coin(0, ATOM), coin(1, QUOTE)], "0uatom, 1uusd"),
    ];
    for msg in every_message(&s) {
        // the sender the message needs, so that funds are the only thing wrong
        let sender = if matches!(msg, ExecuteMsg::AcceptOwner {} | ExecuteMsg::Observe { .. }) {
            keeper.clone()
        } else {
            owner.clone()
        };
        for (funds, got) in cases {
            let before = s.balances(&sender);
            let err = s.execute(&sender, &msg, funds).unwrap_err();
            assert_error(&err, no_funds(got));
            assert_eq!(s.balances(&sender), before);
            assert_eq!(s.balances(&s.oracle), (0, 0));
        }
        // and without coins it goes through
        s.execute(&sender, &msg, &[]).unwrap();
        s = funded_suite();
    }
}

/// cw-multi-test refuses to move a zero-only coin list before any contract sees it, so this
/// calls the entry points directly.
#[test]
fn a_zero_amount_coin_alone_is_refused_too() {
    let mut deps = mock_dependencies();
    let owner = deps.api.addr_make("owner");
    let zero = [coin(0, QUOTE)];
    let err = contract::instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&owner, &zero),
        InstantiateMsg {
            owner: owner.to_string(),
            quote_denom: QUOTE.into(),
            quote_decimals: 6,
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), no_funds("0uusd").to_string());
    contract::instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&owner, &[]),
        InstantiateMsg {
            owner: owner.to_string(),
            quote_denom: QUOTE.into(),
            quote_decimals: 6,
        },
    )
    .unwrap();
    let s = funded_suite(); // only for its messages
    for msg in every_message(&s) {
        let err = contract::execute(deps.as_mut(), mock_env(), message_info(&owner, &zero), msg)
            .unwrap_err();
        assert_eq!(err.to_string(), no_funds("0uusd").to_string());
    }
}

#[test]
fn migrate_accepts_this_contract_up_to_this_version_only() {
    let mut deps = mock_dependencies();
    let owner = deps.api.addr_make("owner");
    contract::instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&owner, &[]),
        InstantiateMsg {
            owner: owner.to_string(),
            quote_denom: QUOTE.into(),
            quote_decimals: 6,
        },
    )
    .unwrap();
    let refused = |name: &str, version: &str| ContractError::InvalidMigration {
        name: name.into(),
        version: version.into(),
        expected_name: CONTRACT_NAME.into(),
        expected_version: format!("{CONTRACT_VERSION} or older"),
    };

    // the same version: a no-op migration is allowed
    let res = contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(res.attributes[0].value, "migrate");

    // an older version, numerically older even where the text sorts after
    for older in ["0.0.1", "0.0.10", "0.1.0-rc.1"] {
        cw2::set_contract_version(deps.as_mut().storage, CONTRACT_NAME, older).unwrap();
        let res = contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        let attrs: Vec<(&str, &str)> = res
            .attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            attrs,
            vec![
                ("action", "migrate"),
                ("from_version", older),
                ("to_version", CONTRACT_VERSION)
            ]
        );
        let stored = cw2::get_contract_version(deps.as_ref().storage).unwrap();
        assert_eq!(stored.version, CONTRACT_VERSION);
    }

    // a downgrade, another contract, and a version that does not parse are refused
    for (name, version) in [
        (CONTRACT_NAME, "99.0.0"),
        (CONTRACT_NAME, "0.10.0"),
        ("crates.io:ballast-market", "0.1.0"),
        (CONTRACT_NAME, "one"),
    ] {
        cw2::set_contract_version(deps.as_mut().storage, name, version).unwrap();
        let err = contract::migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
        assert_eq!(err.to_string(), refused(name, version).to_string());
        // nothing was written
        let stored = cw2::get_contract_version(deps.as_ref().storage).unwrap();
        assert_eq!(
            (stored.contract.as_str(), stored.version.as_str()),
            (name, version)
        );
    }
}

#[test]
fn migrate_on_chain_keeps_every_record() {
    let mut s = Suite::new().with_atom();
    s.set_circuit(ATOM, pct(10), 300, 600);
    s.observe(&[ATOM]).unwrap();
    let record = s.circuit_record(ATOM);
    let (owner, oracle, code) = (s.owner.clone(), s.oracle.clone(), s.code_id);
    let res = s
        .app
        .migrate_contract(owner, oracle, &MigrateMsg {}, code)
        .unwrap();
    assert_eq!(wasm_attr(&res, "action"), "migrate");
    assert_eq!(s.circuit_record(ATOM), record);
    assert_eq!(s.price(ATOM, None).unwrap().price, dec("10"));
}
