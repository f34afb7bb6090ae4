//! The counting storage backend: one per contract call, over that contract's store in the shared
//! [`World`]. Every access is charged to the world's tally as the SDK's gas KV store charges it,
//! keys counted with wasmd's 33-byte contract prefix.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Storage};

use crate::world::World;

struct Iter {
    start: Option<Vec<u8>>,
    end: Option<Vec<u8>>,
    order: Order,
    /// The record the iterator stands on (`None` past the end).
    current: Option<(Vec<u8>, Vec<u8>)>,
}

/// A contract's storage as the VM sees it. Gas goes to the world's tally, so the VM is told
/// every access is free (`GasInfo::free()`); wasmd likewise charges storage on the SDK gas meter
/// and counts only the VM's own work as "used internally".
pub struct ContractStorage {
    world: Rc<RefCell<World>>,
    contract: String,
    iterators: HashMap<u32, Iter>,
    next_id: u32,
}

impl ContractStorage {
    pub fn new(world: Rc<RefCell<World>>, contract: impl Into<String>) -> Self {
        ContractStorage {
            world,
            contract: contract.into(),
            iterators: HashMap::new(),
            next_id: 1,
        }
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.world.borrow_mut().kv_get(&self.contract, key);
        (Ok(value), GasInfo::free())
    }

    /// Opens an iterator; like the SDK's gas iterator, opening charges the step onto the first
    /// record.
    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let mut world = self.world.borrow_mut();
        let current = world.kv_seek(&self.contract, start, end, order, None);
        world.charge_iter_step(current.as_ref());
        let id = self.next_id;
        self.next_id += 1;
        self.iterators.insert(
            id,
            Iter {
                start: start.map(<[u8]>::to_vec),
                end: end.map(<[u8]>::to_vec),
                order,
                current,
            },
        );
        (Ok(id), GasInfo::free())
    }

    /// Returns the record the iterator stands on and moves it on, charging the step onto the
    /// following record (wasmvm reads key and value, then calls `Next`). At the end: free.
    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some(it) = self.iterators.get_mut(&iterator_id) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let Some(record) = it.current.take() else {
            return (Ok(None), GasInfo::free());
        };
        let mut world = self.world.borrow_mut();
        it.current = world.kv_seek(
            &self.contract,
            it.start.as_deref(),
            it.end.as_deref(),
            it.order,
            Some(&record.0),
        );
        world.charge_iter_step(it.current.as_ref());
        (Ok(Some(record)), GasInfo::free())
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        self.world.borrow_mut().kv_set(&self.contract, key, value);
        (Ok(()), GasInfo::free())
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.world.borrow_mut().kv_remove(&self.contract, key);
        (Ok(()), GasInfo::free())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::Gas;

    fn storage() -> (Rc<RefCell<World>>, ContractStorage) {
        let world = Rc::new(RefCell::new(World::default()));
        world.borrow_mut().metering = true;
        let s = ContractStorage::new(world.clone(), "c");
        (world, s)
    }

    /// The figures below are worked out by hand from the table in WASM.md, with wasmd's
    /// 33-byte prefix (0x03 + 32-byte address) in front of every key.
    #[test]
    fn a_known_sequence_costs_a_known_figure() {
        let (world, mut s) = storage();
        // write "config" (6 bytes) = 20 bytes: 2,000 + 30 × (33 + 6 + 20) = 3,770
        s.set(b"config", &[7u8; 20]).0.unwrap();
        // read it back: 1,000 + 3 × (33 + 6 + 20) = 1,177
        assert_eq!(s.get(b"config").0.unwrap(), Some(vec![7u8; 20]));
        // read a missing 4-byte key: 1,000 + 3 × (33 + 4) = 1,111
        assert_eq!(s.get(b"none").0.unwrap(), None);
        // overwrite with 2 bytes: 2,000 + 30 × (33 + 6 + 2) = 3,230
        s.set(b"config", b"ok").0.unwrap();
        // delete: 1,000 flat
        s.remove(b"config").0.unwrap();
        let g = world.borrow().gas;
        assert_eq!(g.reads, 2);
        assert_eq!(g.read_gas, 1_177 + 1_111);
        assert_eq!(g.writes, 2);
        assert_eq!(g.deletes, 1);
        assert_eq!(g.write_gas, 3_770 + 3_230 + 1_000);
        assert_eq!(g.total(), 1_177 + 1_111 + 3_770 + 3_230 + 1_000);
        assert_eq!(world.borrow().store("c").unwrap().len(), 0);
    }

    #[test]
    fn iterator_steps_are_charged_like_the_sdk_gas_iterator() {
        let (world, mut s) = storage();
        world.borrow_mut().fill(
            "c",
            [
                (b"a1".to_vec(), vec![0u8; 5]),
                (b"a2".to_vec(), vec![0u8; 10]),
                (b"a3".to_vec(), vec![0u8; 15]),
                (b"b1".to_vec(), vec![0u8; 1]),
            ],
        );
        // filling is free
        assert_eq!(world.borrow().gas, Gas::default());
        // range [a, b): open (onto a1: 30 + 3 × (33 + 2 + 5) = 150)
        let id = s.scan(Some(b"a"), Some(b"b"), Order::Ascending).0.unwrap();
        // next → a1, moves onto a2: 30 + 3 × (33 + 2 + 10) = 165
        assert_eq!(s.next(id).0.unwrap().unwrap().0, b"a1".to_vec());
        // next → a2, moves onto a3: 30 + 3 × (33 + 2 + 15) = 180
        assert_eq!(s.next(id).0.unwrap().unwrap().0, b"a2".to_vec());
        // next → a3, moves past the end: 30
        assert_eq!(s.next(id).0.unwrap().unwrap().0, b"a3".to_vec());
        // next at the end: None, free
        assert_eq!(s.next(id).0.unwrap(), None);
        let g = world.borrow().gas;
        assert_eq!(g.iter_steps, 4);
        assert_eq!(g.iter_gas, 150 + 165 + 180 + 30);
        assert_eq!(g.total(), 525);

        // descending from the end, stopping after one record: open onto b1, step onto a3
        let id = s.scan(None, None, Order::Descending).0.unwrap();
        assert_eq!(s.next(id).0.unwrap().unwrap().0, b"b1".to_vec());
        let g2 = world.borrow().gas.since(&g);
        assert_eq!(
            g2.iter_gas,
            (30 + 3 * (33 + 2 + 1)) + (30 + 3 * (33 + 2 + 15))
        );
        // an empty range costs the flat part
        let before = world.borrow().gas;
        let id = s.scan(Some(b"x"), Some(b"y"), Order::Ascending).0.unwrap();
        assert_eq!(s.next(id).0.unwrap(), None);
        assert_eq!(world.borrow().gas.since(&before).iter_gas, 30);
        assert!(s.next(999).0.is_err());
    }

    #[test]
    fn writes_during_iteration_do_not_derail_it() {
        let (world, mut s) = storage();
        world.borrow_mut().fill(
            "c",
            (0u8..5)
                .map(|i| (vec![b'k', i], vec![i]))
                .collect::<Vec<_>>(),
        );
        let id = s.scan(None, None, Order::Ascending).0.unwrap();
        let mut seen = vec![];
        while let Some((k, _)) = s.next(id).0.unwrap() {
            s.remove(&k).0.unwrap();
            seen.push(k[1]);
        }
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
        assert!(world.borrow().store("c").unwrap().is_empty());
    }

    #[test]
    fn nothing_is_charged_while_not_metering() {
        let (world, mut s) = storage();
        world.borrow_mut().metering = false;
        s.set(b"k", b"v").0.unwrap();
        s.get(b"k").0.unwrap();
        assert_eq!(world.borrow().gas, Gas::default());
    }
}
