//! What wasmd (with the Cosmos SDK's default KV gas config) charges, and the [`Gas`] tally that
//! the harness fills per operation, part by part.
//!
//! Sources: wasmd `x/wasm/types/gas_register.go` (instance, events, `DefaultGasMultiplier`),
//! the SDK's `store/types/gas.go` `KVGasConfig` and `store/gaskv` (reads, writes, iterators),
//! wasmd's `GetContractStorePrefix` (the per-contract key prefix).

/// SDK gas for loading a contract instance (execute, instantiate, smart query): wasmd
/// `DefaultInstanceCost`.
pub const INSTANCE: u64 = 60_000;
/// SDK gas for a contract wasmd assumes is in memory: pinned code, and every `reply`
/// (wasmd charges replies with `ReplyCosts(discount = true, ...)`): `DefaultInstanceCostDiscount`.
pub const INSTANCE_DISCOUNT: u64 = 2_000;
/// CosmWasm gas per SDK gas: wasmd `DefaultGasMultiplier` (140,000 since CosmWasm 2.0, which
/// divided VM gas by 1,000; it was 140,000,000 before).
pub const GAS_MULTIPLIER: u64 = 140_000;

pub const READ_FLAT: u64 = 1_000;
pub const READ_PER_BYTE: u64 = 3;
pub const WRITE_FLAT: u64 = 2_000;
pub const WRITE_PER_BYTE: u64 = 30;
pub const DELETE: u64 = 1_000;
pub const HAS: u64 = 1_000;
pub const ITER_NEXT_FLAT: u64 = 30;

pub const EVENT_PER_ATTRIBUTE: u64 = 10;
pub const EVENT_PER_CUSTOM_EVENT: u64 = 20;
pub const EVENT_DATA_PER_BYTE: u64 = 1;
/// Attribute bytes (keys + values) of one response that are free.
pub const EVENT_FREE_TIER: u64 = 100;

/// Bytes that wasmd puts in front of every key of a contract's store, and that the SDK's gas KV
/// store therefore charges: `0x03` (`ContractStorePrefix`) followed by the contract's 32-byte
/// address (`BuildContractAddressClassic`/`BuildContractAddressPredictable` both give 32 bytes).
pub const CONTRACT_KEY_PREFIX: u64 = 1 + 32;

/// wasmd's `DefaultGasCostHumanAddress` / `DefaultGasCostCanonicalAddress`, SDK gas (charged in
/// VM gas as `× GAS_MULTIPLIER`).
pub const HUMANIZE_SDK_GAS: u64 = 5;
pub const CANONICALIZE_SDK_GAS: u64 = 4;

/// A read of a contract's key (`key` without the prefix) that found `value_len` bytes (0 if none).
pub fn read_cost(key_len: usize, value_len: usize) -> u64 {
    READ_FLAT + READ_PER_BYTE * (CONTRACT_KEY_PREFIX + key_len as u64 + value_len as u64)
}

pub fn write_cost(key_len: usize, value_len: usize) -> u64 {
    WRITE_FLAT + WRITE_PER_BYTE * (CONTRACT_KEY_PREFIX + key_len as u64 + value_len as u64)
}

/// One iterator step: the SDK charges it when the iterator moves onto a record (at creation for
/// the first, at each `Next` for the following one), `bytes` being that record's prefixed key and
/// value; moving past the end costs the flat part alone.
pub fn iter_step_cost(bytes: u64) -> u64 {
    ITER_NEXT_FLAT + READ_PER_BYTE * bytes
}

/// wasmd's `EventCosts(attrs, events)`: 10 per attribute, 1 per attribute byte beyond the
/// response's free 100 bytes (the tier is shared by the response's attributes and its custom
/// events), and per custom event 20 plus 1 per byte of its type. Returns (gas, attribute count).
pub fn event_costs(
    attrs: &[(usize, usize)],
    events: &[(usize, Vec<(usize, usize)>)],
) -> (u64, u64) {
    let mut free = EVENT_FREE_TIER;
    let mut count = 0;
    let mut attr_cost = |attrs: &[(usize, usize)], free: &mut u64| -> u64 {
        if attrs.is_empty() {
            return 0;
        }
        let bytes: u64 = attrs.iter().map(|(k, v)| (k + v) as u64).sum();
        let charged = if bytes <= *free {
            *free -= bytes;
            0
        } else {
            let over = bytes - *free;
            *free = 0;
            over
        };
        count += attrs.len() as u64;
        EVENT_DATA_PER_BYTE * charged + EVENT_PER_ATTRIBUTE * attrs.len() as u64
    };
    let mut gas = attr_cost(attrs, &mut free);
    for (type_len, attrs) in events {
        gas += EVENT_PER_CUSTOM_EVENT + EVENT_DATA_PER_BYTE * *type_len as u64;
        gas += attr_cost(attrs, &mut free);
    }
    (gas, count)
}

/// SDK gas for `cw_gas` CosmWasm gas, rounded down as wasmd's `FromWasmVMGas` does per call.
pub fn vm_to_sdk(cw_gas: u64) -> u64 {
    cw_gas / GAS_MULTIPLIER
}

/// Gas of one operation, part by part (SDK gas unless named otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// Instance loads charged in full (execute, instantiate, smart query, Pyth query).
    pub instances: u64,
    /// Instance loads charged at the discount (replies).
    pub discounted_instances: u64,
    pub instance_gas: u64,
    /// CosmWasm gas used inside the VM (all calls).
    pub vm_cw: u64,
    /// Its SDK gas: each call's CosmWasm gas / `GAS_MULTIPLIER`, rounded down per call.
    pub vm_gas: u64,
    pub reads: u64,
    pub read_bytes: u64,
    pub read_gas: u64,
    pub writes: u64,
    pub deletes: u64,
    pub write_bytes: u64,
    /// Writes and deletes.
    pub write_gas: u64,
    pub iter_steps: u64,
    pub iter_bytes: u64,
    pub iter_gas: u64,
    pub attributes: u64,
    pub event_gas: u64,
}

impl Gas {
    pub fn total(&self) -> u64 {
        self.instance_gas
            + self.vm_gas
            + self.read_gas
            + self.write_gas
            + self.iter_gas
            + self.event_gas
    }

    /// The total if every contract's code were pinned (every instance at the discount).
    pub fn total_pinned(&self) -> u64 {
        self.total() - self.instances * (INSTANCE - INSTANCE_DISCOUNT)
    }

    pub fn charge_instance(&mut self) {
        self.instances += 1;
        self.instance_gas += INSTANCE;
    }

    pub fn charge_discounted_instance(&mut self) {
        self.discounted_instances += 1;
        self.instance_gas += INSTANCE_DISCOUNT;
    }

    pub fn charge_vm(&mut self, cw_gas: u64) {
        self.vm_cw += cw_gas;
        self.vm_gas += vm_to_sdk(cw_gas);
    }

    /// A read of a contract's key; `value_len` is 0 when the key is absent.
    pub fn charge_read(&mut self, key_len: usize, value_len: usize) {
        self.reads += 1;
        self.read_bytes += CONTRACT_KEY_PREFIX + (key_len + value_len) as u64;
        self.read_gas += read_cost(key_len, value_len);
    }

    /// A read outside contract stores (the bank's balances): `bytes` is the full key + value.
    pub fn charge_module_read(&mut self, bytes: u64) {
        self.reads += 1;
        self.read_bytes += bytes;
        self.read_gas += READ_FLAT + READ_PER_BYTE * bytes;
    }

    pub fn charge_has(&mut self) {
        self.reads += 1;
        self.read_gas += HAS;
    }

    pub fn charge_write(&mut self, key_len: usize, value_len: usize) {
        self.writes += 1;
        self.write_bytes += CONTRACT_KEY_PREFIX + (key_len + value_len) as u64;
        self.write_gas += write_cost(key_len, value_len);
    }

    /// A write outside contract stores: `bytes` is the full key + value.
    pub fn charge_module_write(&mut self, bytes: u64) {
        self.writes += 1;
        self.write_bytes += bytes;
        self.write_gas += WRITE_FLAT + WRITE_PER_BYTE * bytes;
    }

    pub fn charge_delete(&mut self) {
        self.deletes += 1;
        self.write_gas += DELETE;
    }

    /// An iterator moving onto a record of `record_len` bytes (key without prefix + value), or
    /// past the end (`None`).
    pub fn charge_iter_step(&mut self, record_len: Option<usize>) {
        let bytes = record_len.map_or(0, |n| CONTRACT_KEY_PREFIX + n as u64);
        self.iter_steps += 1;
        self.iter_bytes += bytes;
        self.iter_gas += iter_step_cost(bytes);
    }

    pub fn charge_events(&mut self, gas: u64, attributes: u64) {
        self.event_gas += gas;
        self.attributes += attributes;
    }

    /// What `later` added since `self` was taken.
    pub fn since(&self, earlier: &Gas) -> Gas {
        Gas {
            instances: self.instances - earlier.instances,
            discounted_instances: self.discounted_instances - earlier.discounted_instances,
            instance_gas: self.instance_gas - earlier.instance_gas,
            vm_cw: self.vm_cw - earlier.vm_cw,
            vm_gas: self.vm_gas - earlier.vm_gas,
            reads: self.reads - earlier.reads,
            read_bytes: self.read_bytes - earlier.read_bytes,
            read_gas: self.read_gas - earlier.read_gas,
            writes: self.writes - earlier.writes,
            deletes: self.deletes - earlier.deletes,
            write_bytes: self.write_bytes - earlier.write_bytes,
            write_gas: self.write_gas - earlier.write_gas,
            iter_steps: self.iter_steps - earlier.iter_steps,
            iter_bytes: self.iter_bytes - earlier.iter_bytes,
            iter_gas: self.iter_gas - earlier.iter_gas,
            attributes: self.attributes - earlier.attributes,
            event_gas: self.event_gas - earlier.event_gas,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_costs_follow_wasmd() {
        // no attributes, no events: free
        assert_eq!(event_costs(&[], &[]), (0, 0));
        // 2 attributes, 30 bytes: inside the free tier, 10 each
        assert_eq!(event_costs(&[(6, 9), (5, 10)], &[]), (20, 2));
        // 120 bytes in one attribute: 20 bytes over the tier
        assert_eq!(event_costs(&[(20, 100)], &[]), (10 + 20, 1));
        // the tier is shared with the custom events; the event type is never free
        let (gas, n) = event_costs(&[(50, 40)], &[(5, vec![(10, 20)])]);
        // 90 bytes free, then 30 bytes of which 10 free: 20 charged; event 20 + 5
        assert_eq!((gas, n), (10 + 20 + 5 + 10 + 20, 2));
    }

    #[test]
    fn vm_gas_rounds_down_per_call() {
        let mut g = Gas::default();
        g.charge_vm(GAS_MULTIPLIER * 3 - 1);
        g.charge_vm(GAS_MULTIPLIER - 1);
        assert_eq!(g.vm_gas, 2);
        assert_eq!(g.vm_cw, GAS_MULTIPLIER * 4 - 2);
    }
}
