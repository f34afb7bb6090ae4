//! The Pyth-format mock feed of `ballast-testing` speaks the real Pyth contract's wire format,
//! byte for byte, so that what the oracle is tested against is what it meets on chain.

use ballast_testing::pyth::{feed_id, pyth_contract, pyth_price, set_feed, PythMockExecuteMsg};
use ballast_types::pyth::{parse_feed_id, PriceFeedResponse, PythQueryMsg};
use cosmwasm_std::{
    to_json_vec, Addr, ContractResult, Empty, QueryRequest, SystemResult, WasmQuery,
};
use cw_multi_test::{App, Executor};

fn mock() -> (App, Addr) {
    let mut app = App::default();
    let admin = app.api().addr_make("admin");
    let code = app.store_code(pyth_contract());
    let pyth = app
        .instantiate_contract(code, admin, &Empty {}, &[], "pyth", None)
        .unwrap();
    (app, pyth)
}

/// The raw JSON answer to a raw JSON query, as a chain would return it.
fn raw_query(app: &App, contract: &Addr, msg: &str) -> Result<String, String> {
    let request: QueryRequest<Empty> = QueryRequest::Wasm(WasmQuery::Smart {
        contract_addr: contract.to_string(),
        msg: msg.as_bytes().to_vec().into(),
    });
    match app.wrap().raw_query(&to_json_vec(&request).unwrap()) {
        SystemResult::Ok(ContractResult::Ok(bytes)) => {
            Ok(String::from_utf8(bytes.to_vec()).unwrap())
        }
        SystemResult::Ok(ContractResult::Err(e)) => Err(e),
        SystemResult::Err(e) => Err(e.to_string()),
    }
}

#[test]
fn the_mock_answers_in_the_pyth_wire_format() {
    let (mut app, pyth) = mock();
    let id = "b00b60f88b03a6a625a8d1c048c3f66653edf217439983d037e7222c4e612819";
    // any sender may set a feed, and the id may carry 0x
    let anyone = app.api().addr_make("anyone");
    app.execute_contract(
        anyone,
        pyth.clone(),
        &set_feed(
            &format!("0x{id}"),
            pyth_price(1_234_567_890, 1_500_000, -8, 1_700_000_000),
            pyth_price(-1_230_000_000, 1_400_000, -8, 1_699_999_990),
        ),
        &[],
    )
    .unwrap();
    let answer = raw_query(&app, &pyth, &format!(r#"{{"price_feed":{{"id":"{id}"}}}}"#)).unwrap();
    assert_eq!(
        answer,
        format!(
            r#"{{"price_feed":{{"id":"{id}","price":{{"price":"1234567890","conf":"1500000","expo":-8,"publish_time":1700000000}},"ema_price":{{"price":"-1230000000","conf":"1400000","expo":-8,"publish_time":1699999990}}}}}}"#
        )
    );
    // and the typed query reads the same
    let typed: PriceFeedResponse = app
        .wrap()
        .query_wasm_smart(
            &pyth,
            &PythQueryMsg::PriceFeed {
                id: parse_feed_id(id).unwrap(),
            },
        )
        .unwrap();
    assert_eq!(typed.price_feed.price.price, 1_234_567_890);
    assert_eq!(typed.price_feed.ema_price.price, -1_230_000_000);
}

#[test]
fn an_unknown_feed_is_a_query_error_and_a_bad_id_is_refused() {
    let (mut app, pyth) = mock();
    let unknown = feed_id(9);
    let err = raw_query(
        &app,
        &pyth,
        &format!(r#"{{"price_feed":{{"id":"{unknown}"}}}}"#),
    )
    .unwrap_err();
    assert!(
        err.contains(&format!("price feed {unknown} not found")),
        "{err}"
    );

    let anyone = app.api().addr_make("anyone");
    let p = pyth_price(1, 0, 0, 0);
    let err = app
        .execute_contract(
            anyone,
            pyth,
            &PythMockExecuteMsg::SetFeed {
                id: "abcd".into(),
                price: p.clone(),
                ema_price: p,
            },
            &[],
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("feed_id must be 32 bytes (64 hex characters), got 2 bytes"),
        "{err}"
    );
}

#[test]
fn the_helpers_build_what_they_say() {
    assert_eq!(feed_id(1), "01".repeat(32));
    assert_eq!(feed_id(171), "ab".repeat(32));
    let p = pyth_price(-5, 7, -3, 42);
    assert_eq!((p.price, p.conf, p.expo, p.publish_time), (-5, 7, -3, 42));
}
