//! The oracle's operations: instantiate, `SetSource` (Fixed, Pyth), circuit parameters,
//! `Observe`, and the `Price`/`Prices` queries.

use anyhow::Result;
use ballast_types::oracle::{
    ExecuteMsg, InstantiateMsg, PriceKind, PriceResponse, PriceSource, PricesResponse, QueryMsg,
    SOURCES,
};
use cosmwasm_std::{Decimal, Decimal256};

use super::{
    Deployment, Op, Prices, Scaling, Scenario, ATOM, ATOM_FEED, OSMO, OSMO_FEED, QUOTE,
    QUOTE_DECIMALS,
};

const ORACLE: &[&str] = &["ballast-oracle"];

pub fn scenarios() -> Vec<Scenario> {
    vec![Scenario {
        name: "oracle",
        contracts: ORACLE,
        prices: Prices::Pyth,
        run: oracle_ops,
    }]
}

pub fn scalings() -> Vec<Scaling> {
    vec![
        Scaling {
            name: "oracle: Price (Pyth) with N other sources stored",
            contracts: ORACLE,
            prices: Prices::Pyth,
            run: price_with_sources,
        },
        Scaling {
            name: "oracle: Observe 1 Pyth denom with N other sources stored",
            contracts: ORACLE,
            prices: Prices::Pyth,
            run: observe_with_sources,
        },
    ]
}

pub fn instantiate_msg(d: &Deployment) -> InstantiateMsg {
    InstantiateMsg {
        owner: d.owner.clone(),
        quote_denom: QUOTE.into(),
        quote_decimals: QUOTE_DECIMALS,
    }
}

pub fn instantiate(d: &Deployment) -> Result<String> {
    let code = d.code_id("ballast-oracle")?;
    d.chain
        .instantiate(code, &d.owner, &instantiate_msg(d), &[], "ballast-oracle")
}

/// The source of a denom under the deployment's price configuration.
pub fn source(d: &Deployment, denom: &str) -> PriceSource {
    let feed = match denom {
        ATOM => ATOM_FEED,
        OSMO => OSMO_FEED,
        _ => "",
    };
    if d.prices == Prices::Fixed || feed.is_empty() {
        PriceSource::Fixed {
            price: Deployment::price_of(denom),
        }
    } else {
        pyth_source(d, feed)
    }
}

pub fn pyth_source(d: &Deployment, feed_id: &str) -> PriceSource {
    PriceSource::Pyth {
        contract: d.pyth.clone(),
        feed_id: feed_id.into(),
        max_staleness: 60,
        max_confidence: Decimal::percent(2),
        max_deviation: Decimal::percent(10),
        conf_multiplier: Decimal::one(),
        denom_decimals: 6,
    }
}

pub fn configure_sources(d: &Deployment) -> Result<()> {
    let oracle = d.oracle()?;
    for denom in [QUOTE, ATOM, OSMO] {
        d.chain.execute(
            oracle,
            &d.owner,
            &ExecuteMsg::SetSource {
                denom: denom.into(),
                source: source(d, denom),
            },
            &[],
        )?;
    }
    Ok(())
}

fn circuit(denom: &str) -> ExecuteMsg {
    ExecuteMsg::UpdateCircuitParams {
        denom: denom.into(),
        max_move: Decimal::percent(20),
        move_window: 3_600,
        cooldown: 1_800,
    }
}

fn price_query(denom: &str) -> QueryMsg {
    QueryMsg::Price {
        denom: denom.into(),
        kind: Some(PriceKind::Default),
    }
}

fn oracle_ops(d: &Deployment) -> Result<Vec<Op>> {
    let code = d.code_id("ballast-oracle")?;
    let oracle = d.oracle()?.to_string();
    let owner = d.owner.clone();
    let mut ops = vec![];

    let (op, _) = d.op("oracle: instantiate", |c| {
        c.instantiate(code, &owner, &instantiate_msg(d), &[], "another oracle")
    })?;
    ops.push(op);

    // a new denom each, so both write a new record
    let (op, _) = d.op("oracle: SetSource Fixed (new denom)", |c| {
        c.execute(
            &oracle,
            &owner,
            &ExecuteMsg::SetSource {
                denom: "ufix".into(),
                source: PriceSource::Fixed {
                    price: Decimal256::percent(150),
                },
            },
            &[],
        )
    })?;
    ops.push(op);
    let (op, _) = d.op("oracle: SetSource Pyth (new denom)", |c| {
        c.execute(
            &oracle,
            &owner,
            &ExecuteMsg::SetSource {
                denom: "upyth".into(),
                source: pyth_source(d, ATOM_FEED),
            },
            &[],
        )
    })?;
    ops.push(op);
    let (op, _) = d.op("oracle: UpdateCircuitParams", |c| {
        c.execute(&oracle, &owner, &circuit(ATOM), &[])
    })?;
    ops.push(op);
    d.chain.execute(&oracle, &owner, &circuit(OSMO), &[])?;
    d.chain.execute(&oracle, &owner, &circuit(QUOTE), &[])?;

    let keeper = super::user("keeper");
    let (op, _) = d.op("oracle: Observe 1 Pyth denom (first observation)", |c| {
        c.execute(
            &oracle,
            &keeper,
            &ExecuteMsg::Observe {
                denoms: vec![ATOM.into()],
            },
            &[],
        )
    })?;
    ops.push(op);
    d.advance(30);
    let (op, _) = d.op("oracle: Observe 3 denoms (1 Fixed, 2 Pyth)", |c| {
        c.execute(
            &oracle,
            &keeper,
            &ExecuteMsg::Observe {
                denoms: vec![QUOTE.into(), ATOM.into(), OSMO.into()],
            },
            &[],
        )
    })?;
    ops.push(op);

    let (op, p) = d.op("oracle: query Price (Fixed)", |c| {
        c.query::<PriceResponse>(&oracle, &price_query(QUOTE))
    })?;
    anyhow::ensure!(p.price == Decimal256::one(), "USD price {}", p.price);
    ops.push(op);
    let (op, p) = d.op("oracle: query Price (Pyth)", |c| {
        c.query::<PriceResponse>(&oracle, &price_query(ATOM))
    })?;
    anyhow::ensure!(
        p.price == Deployment::price_of(ATOM),
        "ATOM price {}",
        p.price
    );
    ops.push(op);
    let (op, p) = d.op("oracle: query Prices (3 denoms: 1 Fixed, 2 Pyth)", |c| {
        c.query::<PricesResponse>(
            &oracle,
            &QueryMsg::Prices {
                denoms: vec![QUOTE.into(), ATOM.into(), OSMO.into()],
                kind: Some(PriceKind::Default),
            },
        )
    })?;
    anyhow::ensure!(p.prices.len() == 3, "{} prices", p.prices.len());
    ops.push(op);
    Ok(ops)
}

/// Stores `n` extra Fixed sources straight into the oracle's store (free).
fn fill_sources(d: &Deployment, n: u64) -> Result<()> {
    let oracle = d.oracle()?;
    let value = serde_json::to_vec(&PriceSource::Fixed {
        price: Decimal256::one(),
    })?;
    let records: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| {
            let denom = format!("ufill{i:06}");
            (SOURCES.key(denom.as_str()).to_vec(), value.clone())
        })
        .collect();
    d.chain.world().fill(oracle, records);
    Ok(())
}

fn price_with_sources(d: &Deployment, n: u64) -> Result<crate::price::Gas> {
    fill_sources(d, n)?;
    let oracle = d.oracle()?.to_string();
    let (op, _) = d.op("price", |c| {
        c.query::<PriceResponse>(&oracle, &price_query(ATOM))
    })?;
    Ok(op.gas)
}

fn observe_with_sources(d: &Deployment, n: u64) -> Result<crate::price::Gas> {
    fill_sources(d, n)?;
    let oracle = d.oracle()?.to_string();
    d.chain.execute(&oracle, &d.owner, &circuit(ATOM), &[])?;
    let keeper = super::user("keeper");
    let (op, _) = d.op("observe", |c| {
        c.execute(
            &oracle,
            &keeper,
            &ExecuteMsg::Observe {
                denoms: vec![ATOM.into()],
            },
            &[],
        )
    })?;
    Ok(op.gas)
}
