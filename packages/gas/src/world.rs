//! The chain's state: every contract's store, the bank, the registry of codes and contracts,
//! the block, the gas tally of the operation being measured, and a journal that lets a failed
//! message be rolled back as a chain's cache context would.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use anyhow::{bail, Result};
use ballast_types::pyth::PriceFeed;
use cosmwasm_std::{BlockInfo, Checksum, Coin, Order, Timestamp, Uint128};

use crate::price::Gas;

pub type Store = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Clone, Debug)]
pub struct ContractMeta {
    pub code_id: u64,
    pub checksum: Checksum,
    pub label: String,
}

enum Undo {
    Kv {
        contract: String,
        key: Vec<u8>,
        old: Option<Vec<u8>>,
    },
    Bank {
        addr: String,
        denom: String,
        old: u128,
    },
    Contract {
        addr: String,
    },
}

/// A Pyth contract answered natively: its address and its feeds by id (hex).
#[derive(Clone, Debug)]
pub struct PythFeeds {
    pub address: String,
    pub feeds: HashMap<String, PriceFeed>,
}

pub struct World {
    stores: HashMap<String, Store>,
    bank: BTreeMap<String, BTreeMap<String, u128>>,
    journal: Vec<Undo>,
    /// The tally of the operation being measured (only while `metering`).
    pub gas: Gas,
    pub metering: bool,
    pub block: BlockInfo,
    pub contracts: BTreeMap<String, ContractMeta>,
    pub codes: Vec<Checksum>,
    pub pyth: Option<PythFeeds>,
}

impl Default for World {
    fn default() -> Self {
        World {
            stores: HashMap::new(),
            bank: BTreeMap::new(),
            journal: vec![],
            gas: Gas::default(),
            metering: false,
            block: BlockInfo {
                height: 1,
                time: Timestamp::from_seconds(1_700_000_000),
                chain_id: "ballast-gas".to_string(),
            },
            contracts: BTreeMap::new(),
            codes: vec![],
            pyth: None,
        }
    }
}

/// Bytes of the SDK bank's balance key and value: `0x02 | len(addr) | addr | denom` and the
/// amount as decimal text (`math.Int`'s encoding).
fn balance_entry_len(addr: &str, denom: &str, amount: u128) -> u64 {
    let addr_len = crate::api::canonical_len(addr).unwrap_or(32) as u64;
    2 + addr_len + denom.len() as u64 + amount.to_string().len() as u64
}

impl World {
    fn meter(&mut self) -> Option<&mut Gas> {
        self.metering.then_some(&mut self.gas)
    }

    // ---------------------------------------------------------------- contract stores

    pub fn store(&self, contract: &str) -> Option<&Store> {
        self.stores.get(contract)
    }

    /// A contract's read, charged.
    pub fn kv_get(&mut self, contract: &str, key: &[u8]) -> Option<Vec<u8>> {
        let value = self.stores.get(contract).and_then(|s| s.get(key)).cloned();
        let len = value.as_ref().map_or(0, Vec::len);
        if let Some(g) = self.meter() {
            g.charge_read(key.len(), len);
        }
        value
    }

    /// A contract's write, charged and journaled.
    pub fn kv_set(&mut self, contract: &str, key: &[u8], value: &[u8]) {
        if let Some(g) = self.meter() {
            g.charge_write(key.len(), value.len());
        }
        let old = self
            .stores
            .entry(contract.to_string())
            .or_default()
            .insert(key.to_vec(), value.to_vec());
        self.journal.push(Undo::Kv {
            contract: contract.to_string(),
            key: key.to_vec(),
            old,
        });
    }

    pub fn kv_remove(&mut self, contract: &str, key: &[u8]) {
        if let Some(g) = self.meter() {
            g.charge_delete();
        }
        let old = self.stores.get_mut(contract).and_then(|s| s.remove(key));
        self.journal.push(Undo::Kv {
            contract: contract.to_string(),
            key: key.to_vec(),
            old,
        });
    }

    /// The first record of `[start, end)` in `order` strictly after `after` (uncharged: the
    /// storage backend charges iterator steps).
    pub fn kv_seek(
        &self,
        contract: &str,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
        after: Option<&[u8]>,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        let store = self.stores.get(contract)?;
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        if let (Some(s), Some(e)) = (start, end) {
            if s >= e {
                return None;
            }
        }
        let (lower, upper) = match (order, after) {
            (Order::Ascending, Some(a)) => (Bound::Excluded(a.to_vec()), upper),
            (Order::Descending, Some(a)) => (lower, Bound::Excluded(a.to_vec())),
            (_, None) => (lower, upper),
        };
        if let (Bound::Excluded(l) | Bound::Included(l), Bound::Excluded(u)) = (&lower, &upper) {
            if l >= u {
                return None;
            }
        }
        let mut range = store.range::<Vec<u8>, _>((lower, upper));
        let found = match order {
            Order::Ascending => range.next(),
            Order::Descending => range.next_back(),
        };
        found.map(|(k, v)| (k.clone(), v.clone()))
    }

    /// Charges an iterator step onto `record` (or past the end).
    pub fn charge_iter_step(&mut self, record: Option<&(Vec<u8>, Vec<u8>)>) {
        if let Some(g) = self.meter() {
            g.charge_iter_step(record.map(|(k, v)| k.len() + v.len()));
        }
    }

    /// Writes records straight into a contract's store: uncharged and not journaled (setup of
    /// the scaling runs).
    pub fn fill(&mut self, contract: &str, records: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) {
        self.stores
            .entry(contract.to_string())
            .or_default()
            .extend(records);
    }

    // ---------------------------------------------------------------- bank

    pub fn balance(&self, addr: &str, denom: &str) -> u128 {
        self.bank
            .get(addr)
            .and_then(|b| b.get(denom))
            .copied()
            .unwrap_or(0)
    }

    fn set_balance_journaled(&mut self, addr: &str, denom: &str, amount: u128) {
        let old = self.balance(addr, denom);
        self.bank
            .entry(addr.to_string())
            .or_default()
            .insert(denom.to_string(), amount);
        self.journal.push(Undo::Bank {
            addr: addr.to_string(),
            denom: denom.to_string(),
            old,
        });
    }

    /// Genesis balances (uncharged, not journaled).
    pub fn mint(&mut self, addr: &str, coins: &[Coin]) {
        for c in coins {
            *self
                .bank
                .entry(addr.to_string())
                .or_default()
                .entry(c.denom.clone())
                .or_default() += amount_of(c);
        }
    }

    /// A bank balance query: one read of the SDK's balance record.
    pub fn query_balance(&mut self, addr: &str, denom: &str) -> u128 {
        let amount = self.balance(addr, denom);
        let len = balance_entry_len(addr, denom, amount);
        if let Some(g) = self.meter() {
            g.charge_module_read(len);
        }
        amount
    }

    /// The SDK's `SendCoins`, priced as: per coin, read and write the sender's balance, read and
    /// write the recipient's; then one `has` for the recipient's account. Fails (changing
    /// nothing) when the sender lacks a coin.
    pub fn send(&mut self, from: &str, to: &str, coins: &[Coin]) -> Result<()> {
        for c in coins {
            let have = self.balance(from, &c.denom);
            if have < amount_of(c) {
                bail!(
                    "insufficient funds: {from} has {have}{} and sends {}",
                    c.denom,
                    c
                );
            }
        }
        for c in coins.iter().filter(|c| !c.amount.is_zero()) {
            let amount = amount_of(c);
            let from_old = self.balance(from, &c.denom);
            let to_old = self.balance(to, &c.denom);
            let from_new = from_old - amount;
            let to_new = to_old + amount;
            let lens = [
                balance_entry_len(from, &c.denom, from_old),
                balance_entry_len(from, &c.denom, from_new),
                balance_entry_len(to, &c.denom, to_old),
                balance_entry_len(to, &c.denom, to_new),
            ];
            if let Some(g) = self.meter() {
                g.charge_module_read(lens[0]);
                g.charge_module_write(lens[1]);
                g.charge_module_read(lens[2]);
                g.charge_module_write(lens[3]);
            }
            self.set_balance_journaled(from, &c.denom, from_new);
            self.set_balance_journaled(to, &c.denom, to_new);
        }
        if !coins.is_empty() {
            if let Some(g) = self.meter() {
                g.charge_has();
            }
        }
        Ok(())
    }

    /// `BankMsg::Burn`: read and write the burner's balance per coin.
    pub fn burn(&mut self, from: &str, coins: &[Coin]) -> Result<()> {
        for c in coins {
            let have = self.balance(from, &c.denom);
            if have < amount_of(c) {
                bail!("insufficient funds to burn {c}: {from} has {have}");
            }
        }
        for c in coins {
            let old = self.balance(from, &c.denom);
            let new = old - amount_of(c);
            let (r, w) = (
                balance_entry_len(from, &c.denom, old),
                balance_entry_len(from, &c.denom, new),
            );
            if let Some(g) = self.meter() {
                g.charge_module_read(r);
                g.charge_module_write(w);
            }
            self.set_balance_journaled(from, &c.denom, new);
        }
        Ok(())
    }

    pub fn balances(&self, addr: &str) -> Vec<Coin> {
        self.bank
            .get(addr)
            .map(|b| {
                b.iter()
                    .filter(|(_, a)| **a > 0)
                    .map(|(d, a)| Coin::new(Uint128::new(*a), d.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    // ---------------------------------------------------------------- registry

    pub fn register_contract(&mut self, addr: &str, meta: ContractMeta) {
        self.contracts.insert(addr.to_string(), meta);
        self.stores.entry(addr.to_string()).or_default();
        self.journal.push(Undo::Contract {
            addr: addr.to_string(),
        });
    }

    // ---------------------------------------------------------------- rollback

    pub fn checkpoint(&self) -> usize {
        self.journal.len()
    }

    /// Undoes every change made since `checkpoint` (gas stays spent, as on a chain).
    pub fn revert(&mut self, checkpoint: usize) {
        while self.journal.len() > checkpoint {
            match self.journal.pop().expect("journal entry") {
                Undo::Kv { contract, key, old } => {
                    let store = self.stores.entry(contract).or_default();
                    match old {
                        Some(v) => store.insert(key, v),
                        None => store.remove(&key),
                    };
                }
                Undo::Bank { addr, denom, old } => {
                    self.bank.entry(addr).or_default().insert(denom, old);
                }
                Undo::Contract { addr } => {
                    self.contracts.remove(&addr);
                }
            }
        }
    }

    /// Forgets the journal (at the end of a successful transaction).
    pub fn commit(&mut self) {
        self.journal.clear();
    }
}

/// A coin's amount; the harness's balances are `u128` (every amount it moves fits).
fn amount_of(c: &Coin) -> u128 {
    Uint128::try_from(c.amount)
        .expect("coin amounts in the harness fit in u128")
        .u128()
}
