//! Writes the JSON schema of every contract to `schema/<contract>.json` (one command:
//! `scripts/schema.sh`). CI regenerates them and fails when the committed files differ.

use std::fs;
use std::path::Path;

use ballast_types::{auction, backstop, market, oracle};
use cosmwasm_schema::generate_api;

fn main() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    fs::create_dir_all(&out).expect("schema directory");
    let apis = [
        (
            "ballast-market",
            generate_api! {
                name: "ballast-market",
                instantiate: market::InstantiateMsg,
                execute: market::ExecuteMsg,
                query: market::QueryMsg,
                migrate: market::MigrateMsg,
            }
            .render(),
        ),
        (
            "ballast-oracle",
            generate_api! {
                name: "ballast-oracle",
                instantiate: oracle::InstantiateMsg,
                execute: oracle::ExecuteMsg,
                query: oracle::QueryMsg,
                migrate: oracle::MigrateMsg,
            }
            .render(),
        ),
        (
            "ballast-auction",
            generate_api! {
                name: "ballast-auction",
                instantiate: auction::InstantiateMsg,
                execute: auction::ExecuteMsg,
                query: auction::QueryMsg,
                migrate: auction::MigrateMsg,
            }
            .render(),
        ),
        (
            "ballast-backstop",
            generate_api! {
                name: "ballast-backstop",
                instantiate: backstop::InstantiateMsg,
                execute: backstop::ExecuteMsg,
                query: backstop::QueryMsg,
                migrate: backstop::MigrateMsg,
            }
            .render(),
        ),
    ];
    for (name, api) in apis {
        let path = out.join(format!("{name}.json"));
        let text = api.to_string().expect("schema serialises");
        fs::write(&path, text + "\n").expect("write schema");
        println!("wrote {}", path.display());
    }
}
