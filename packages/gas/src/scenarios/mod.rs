//! The operations the report measures, and the deployment they run on.
//!
//! Adding an operation: write a function `fn(&Deployment) -> Result<Vec<Op>>` (or add an `op(...)`
//! call inside an existing one) that sets up state without metering and wraps only the
//! operation itself in `d.chain.measure(...)`; list it in [`scenarios`] with the contracts it
//! needs. A scenario whose artifacts are missing is skipped with a message. A scaling run is a
//! `fn(&Deployment, accounts) -> Result<Gas>` listed in [`scalings`]; fill storage (free) before
//! measuring with [`replicate_account`], [`written_since`] + [`renamed`], [`grow_totals`] or
//! `Chain::world().fill(...)`.

pub mod market;
pub mod oracle;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{anyhow, bail, Context, Result};
use ballast_types::pyth::{PriceFeed, PythPrice};
use cosmwasm_std::{Coin, Decimal256, HexBinary, Uint128};

use crate::api::{contract_addr, user_addr};
use crate::chain::{Chain, CodeCache};
use crate::price::Gas;
use crate::world::Store;

pub const QUOTE: &str = "uusd";
pub const ATOM: &str = "uatom";
pub const OSMO: &str = "uosmo";
pub const QUOTE_DECIMALS: u8 = 6;
pub const ATOM_FEED: &str = "b00b60f88b03a6a625a8d1c048c3f66653edf217439983d037e7222c4e612819";
pub const OSMO_FEED: &str = "5867f5683c757393a0670ef0f701490950fe93fdb006d181c8265a831ac0c5c6";
pub const USER_BALANCE: u128 = 1_000_000_000_000_000;

/// One measured operation.
#[derive(Clone, Debug)]
pub struct Op {
    pub name: String,
    pub gas: Gas,
}

/// How prices are configured: every asset at a fixed price, or the two non-quote assets on
/// Pyth (the Mars comparison's two configurations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prices {
    Fixed,
    Pyth,
}

impl Prices {
    pub fn label(self) -> &'static str {
        match self {
            Prices::Fixed => "fixed prices",
            Prices::Pyth => "Pyth prices",
        }
    }
}

/// A list of measured operations that share a deployment.
pub struct Scenario {
    pub name: &'static str,
    /// Crates whose artifacts (`artifacts/<crate>.wasm`) the scenario needs.
    pub contracts: &'static [&'static str],
    pub prices: Prices,
    pub run: fn(&Deployment) -> Result<Vec<Op>>,
}

/// One operation measured with `accounts` accounts already in storage.
pub struct Scaling {
    pub name: &'static str,
    pub contracts: &'static [&'static str],
    pub prices: Prices,
    pub run: fn(&Deployment, u64) -> Result<Gas>,
}

/// Account counts of the scaling runs.
pub const SCALING_SIZES: [u64; 3] = [10, 1_000, 100_000];

pub fn scenarios() -> Vec<Scenario> {
    let mut all = oracle::scenarios();
    all.extend(market::scenarios());
    all
}

pub fn scalings() -> Vec<Scaling> {
    let mut all = oracle::scalings();
    all.extend(market::scalings());
    all
}

/// Where the optimized wasm files are, and the compiled code shared by every deployment.
pub struct Artifacts {
    pub dir: PathBuf,
    pub code: Rc<CodeCache>,
}

impl Artifacts {
    pub fn new(dir: PathBuf) -> Result<Artifacts> {
        Ok(Artifacts {
            dir,
            code: CodeCache::new()?,
        })
    }

    pub fn path(&self, crate_name: &str) -> PathBuf {
        self.dir
            .join(format!("{}.wasm", crate_name.replace('-', "_")))
    }

    /// The crates among `needed` whose artifact is missing.
    pub fn missing(&self, needed: &[&str]) -> Vec<String> {
        needed
            .iter()
            .filter(|c| !self.path(c).is_file())
            .map(|c| c.to_string())
            .collect()
    }

    pub fn load(&self, crate_name: &str) -> Result<Vec<u8>> {
        let path = self.path(crate_name);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    }
}

/// A chain with the contracts a scenario needs, instantiated and configured like
/// `ballast-testing`'s builder: USD (fixed at 1), ATOM and OSMO (fixed at 10 and 0.5, or on
/// Pyth at the same prices), default risk parameters.
pub struct Deployment {
    pub chain: Chain,
    pub prices: Prices,
    pub owner: String,
    pub guardian: String,
    pub pyth: String,
    pub oracle: Option<String>,
    pub market: Option<String>,
    pub auction: Option<String>,
    pub backstop: Option<String>,
    code_ids: std::collections::BTreeMap<String, u64>,
}

pub fn user(name: &str) -> String {
    user_addr(name)
}

/// A Pyth price of `price` (quote units per display unit), published at `now`, with a 0.1%
/// confidence interval, EMA equal to the price.
pub fn pyth_feed(feed_id: &str, price: i64, now: u64) -> PriceFeed {
    let p = PythPrice {
        price,
        conf: (price / 1_000) as u64,
        expo: -8,
        publish_time: now as i64,
    };
    PriceFeed {
        id: HexBinary::from_hex(feed_id).expect("feed id hex"),
        price: p.clone(),
        ema_price: p,
    }
}

impl Deployment {
    /// Stores the code of `contracts` and instantiates those of the protocol that are among
    /// them (oracle, then market, auction, backstop); all setup is free.
    pub fn new(artifacts: &Artifacts, contracts: &[&str], prices: Prices) -> Result<Deployment> {
        let chain = Chain::with_cache(artifacts.code.clone());
        let mut code_ids = std::collections::BTreeMap::new();
        for c in contracts {
            let wasm = artifacts.load(c)?;
            let id = chain
                .store_code(&wasm)
                .with_context(|| format!("storing {c}"))?;
            code_ids.insert(c.to_string(), id);
        }
        let owner = user("owner");
        let guardian = user("guardian");
        let pyth = contract_addr("pyth");
        chain.set_pyth(&pyth);
        for u in [
            "owner", "alice", "bob", "carol", "dave", "keeper", "keeper2",
        ] {
            chain.mint(
                &user(u),
                &[
                    Coin::new(Uint128::new(USER_BALANCE), QUOTE),
                    Coin::new(Uint128::new(USER_BALANCE), ATOM),
                    Coin::new(Uint128::new(USER_BALANCE), OSMO),
                ],
            );
        }
        let mut d = Deployment {
            chain,
            prices,
            owner,
            guardian,
            pyth,
            oracle: None,
            market: None,
            auction: None,
            backstop: None,
            code_ids,
        };
        d.publish_prices();
        if d.has("ballast-oracle") {
            d.oracle = Some(oracle::instantiate(&d)?);
            oracle::configure_sources(&d)?;
        }
        if d.has("ballast-market") {
            d.market = Some(market::instantiate(&d)?);
        }
        if d.has("ballast-auction") {
            d.auction = Some(market::instantiate_auction(&d)?);
        }
        if d.has("ballast-backstop") {
            d.backstop = Some(market::instantiate_backstop(&d)?);
        }
        if d.market.is_some() {
            market::configure(&d)?;
        }
        Ok(d)
    }

    pub fn has(&self, crate_name: &str) -> bool {
        self.code_ids.contains_key(crate_name)
    }

    pub fn code_id(&self, crate_name: &str) -> Result<u64> {
        self.code_ids
            .get(crate_name)
            .copied()
            .ok_or_else(|| anyhow!("{crate_name} is not deployed"))
    }

    pub fn oracle(&self) -> Result<&str> {
        self.oracle.as_deref().ok_or_else(|| anyhow!("no oracle"))
    }

    pub fn market(&self) -> Result<&str> {
        self.market.as_deref().ok_or_else(|| anyhow!("no market"))
    }

    pub fn auction(&self) -> Result<&str> {
        self.auction.as_deref().ok_or_else(|| anyhow!("no auction"))
    }

    pub fn backstop(&self) -> Result<&str> {
        self.backstop
            .as_deref()
            .ok_or_else(|| anyhow!("no backstop"))
    }

    /// The price of a denom in quote smallest units per smallest unit (all 6 decimals).
    pub fn price_of(denom: &str) -> Decimal256 {
        match denom {
            ATOM => Decimal256::from_ratio(10u8, 1u8),
            OSMO => Decimal256::percent(50),
            _ => Decimal256::one(),
        }
    }

    /// Republishes both Pyth feeds at the block time (ATOM 10, OSMO 0.5).
    pub fn publish_prices(&self) {
        let now = self.chain.now();
        self.chain
            .set_pyth_feed(pyth_feed(ATOM_FEED, 1_000_000_000, now));
        self.chain
            .set_pyth_feed(pyth_feed(OSMO_FEED, 50_000_000, now));
    }

    /// Moves time on and keeps the Pyth feeds fresh.
    pub fn advance(&self, seconds: u64) {
        self.chain.advance(seconds);
        self.publish_prices();
    }

    /// Runs `f` metered and names the result; fails if the operation failed.
    pub fn op<R>(
        &self,
        name: impl Into<String>,
        f: impl FnOnce(&Chain) -> Result<R>,
    ) -> Result<(Op, R)> {
        let name = name.into();
        let (result, gas) = self.chain.measure(f);
        let r = result.with_context(|| format!("operation '{name}'"))?;
        Ok((Op { name, gas }, r))
    }
}

/// Runs a scenario: `Ok(None)` with a message when artifacts are missing.
pub fn run_scenario(artifacts: &Artifacts, s: &Scenario) -> Result<Option<Vec<Op>>> {
    let missing = artifacts.missing(s.contracts);
    if !missing.is_empty() {
        return Ok(None);
    }
    let d = Deployment::new(artifacts, s.contracts, s.prices)
        .with_context(|| format!("deploying for '{}'", s.name))?;
    (s.run)(&d).map(Some)
}

/// Runs a scaling at every size: `Ok(None)` when artifacts are missing.
pub fn run_scaling(artifacts: &Artifacts, s: &Scaling) -> Result<Option<Vec<(u64, Gas)>>> {
    if !artifacts.missing(s.contracts).is_empty() {
        return Ok(None);
    }
    let mut out = vec![];
    for n in SCALING_SIZES {
        let d = Deployment::new(artifacts, s.contracts, s.prices)?;
        let gas = (s.run)(&d, n).with_context(|| format!("'{}' with {n} accounts", s.name))?;
        out.push((n, gas));
    }
    Ok(Some(out))
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn names(bytes: &[u8], name: &[u8]) -> bool {
    bytes.windows(name.len()).any(|w| w == name)
}

/// A copy of a contract's store (setup only: to see later what an action wrote).
pub fn snapshot(d: &Deployment, contract: &str) -> Store {
    d.chain.world().store(contract).cloned().unwrap_or_default()
}

/// The records of `contract` that are new or changed since `before`.
pub fn written_since(d: &Deployment, contract: &str, before: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
    d.chain
        .world()
        .store(contract)
        .map(|s| {
            s.iter()
                .filter(|(k, v)| before.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The `i`-th address that the scaling runs fill storage with (a user address, the length of
/// every `user(..)`).
pub fn scaled_account(i: u64) -> String {
    user(&format!("scaled account {i}"))
}

/// The records among `records` that name `template` (in the key or the value), with the name
/// replaced by `addr` (which must have the same length).
pub fn renamed(
    records: &[(Vec<u8>, Vec<u8>)],
    template: &str,
    addr: &str,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    if addr.len() != template.len() {
        bail!("replicated addresses must keep the template's length");
    }
    let (name, to) = (template.as_bytes(), addr.as_bytes());
    Ok(records
        .iter()
        .filter(|(k, v)| names(k, name) || names(v, name))
        .map(|(k, v)| (replace_all(k, name, to), replace_all(v, name, to)))
        .collect())
}

/// Fills `contract`'s store with `n` copies of one account, for free: runs `act` (which should
/// make `template` an account of the kind wanted, e.g. a depositor or a borrower), takes every
/// record it wrote that names `template`, and writes it again for `n` other addresses of the
/// same length (the address replaced in keys and values). Records that do not name the account
/// (totals) are left as they are: the scaling runs measure storage size, not consistent totals
/// (a run whose operation reads a total grows it with [`grow_totals`]).
pub fn replicate_account(
    d: &Deployment,
    contract: &str,
    template: &str,
    n: u64,
    act: impl FnOnce(&Chain) -> Result<()>,
) -> Result<usize> {
    let before = snapshot(d, contract);
    act(&d.chain)?;
    let name = template.as_bytes();
    let records: Vec<(Vec<u8>, Vec<u8>)> = written_since(d, contract, &before)
        .into_iter()
        .filter(|(k, v)| names(k, name) || names(v, name))
        .collect();
    if records.is_empty() {
        bail!("the template account wrote no record naming it in {contract}");
    }
    let mut copies = Vec::with_capacity(records.len() * n as usize);
    for i in 0..n {
        copies.extend(renamed(&records, template, &scaled_account(i))?);
    }
    d.chain.world().fill(contract, copies);
    Ok(records.len())
}

/// Makes the `Uint128` totals at `keys` of `contract` count `n` more copies of what they gained
/// since `before`: each becomes `now + n × (now − before)` (a missing record counts as 0). Used
/// after [`replicate_account`] for the totals that the copied accounts belong in. Returns how
/// many totals it grew.
pub fn grow_totals(
    d: &Deployment,
    contract: &str,
    before: &Store,
    keys: &[Vec<u8>],
    n: u64,
) -> Result<usize> {
    let grown = grown_totals(before, &snapshot(d, contract), keys, n)?;
    let count = grown.len();
    d.chain.world().fill(contract, grown);
    Ok(count)
}

fn grown_totals(
    before: &Store,
    now: &Store,
    keys: &[Vec<u8>],
    n: u64,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let read = |v: Option<&Vec<u8>>| -> Result<Uint128> {
        v.map(|v| serde_json::from_slice::<Uint128>(v))
            .transpose()
            .map(Option::unwrap_or_default)
            .context("a total that is not a Uint128")
    };
    let mut grown = vec![];
    for key in keys {
        let (old, new) = (read(before.get(key))?, read(now.get(key))?);
        if new > old {
            let total = new + (new - old) * Uint128::from(n);
            grown.push((key.clone(), serde_json::to_vec(&total)?));
        }
    }
    Ok(grown)
}

pub fn must_exist(path: &Path) -> Result<()> {
    if !path.is_dir() {
        bail!(
            "no artifacts directory at {} (run scripts/build-wasm.sh)",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(k: &[u8], v: &[u8]) -> (Vec<u8>, Vec<u8>) {
        (k.to_vec(), v.to_vec())
    }

    #[test]
    fn renamed_copies_only_the_records_that_name_the_template() {
        let (template, other) = (user("template"), scaled_account(7));
        let key = [b"\x00\x08accounts".as_slice(), template.as_bytes()].concat();
        let lot = format!(r#"{{"borrower":"{template}","debt":"5"}}"#);
        let records = vec![
            rec(&key, b"{}"),
            rec(
                b"\x00\x04lots\x00\x00\x00\x00\x00\x00\x00\x01",
                lot.as_bytes(),
            ),
            rec(b"total", b"\"9\""),
        ];
        let copies = renamed(&records, &template, &other).unwrap();
        assert_eq!(copies.len(), 2);
        assert_eq!(
            copies[0].0,
            [b"\x00\x08accounts".as_slice(), other.as_bytes()].concat()
        );
        assert_eq!(copies[1].0, records[1].0);
        assert_eq!(
            String::from_utf8(copies[1].1.clone()).unwrap(),
            lot.replace(&template, &other)
        );
        assert!(renamed(&records, &template, "short").is_err());
    }

    #[test]
    fn grown_totals_count_the_copies_of_what_the_template_added() {
        let before: Store = [rec(b"a", b"\"100\""), rec(b"c", b"\"7\"")].into();
        let now: Store = [
            rec(b"a", b"\"130\""),
            rec(b"b", b"\"20\""),
            rec(b"c", b"\"7\""),
        ]
        .into();
        let keys = [b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()];
        let grown = grown_totals(&before, &now, &keys, 10).unwrap();
        // a: 130 + 10 × 30; b: 20 + 10 × 20; c unchanged and d missing: left alone
        assert_eq!(grown, vec![rec(b"a", b"\"430\""), rec(b"b", b"\"220\"")]);
        let bad: Store = [rec(b"a", b"not a number")].into();
        assert!(grown_totals(&before, &bad, &keys, 1).is_err());
    }
}
