//! Every storage key of the oracle, in one place. All of them are declared in `ballast-types`,
//! because the market, auction and backstop read them with raw queries: the layout is part of
//! the interface. The oracle keeps nothing private beyond cw2's contract version.
//!
//! | key        | type                     | holds                                              |
//! |------------|--------------------------|----------------------------------------------------|
//! | `config`   | `oracle::Config`         | owner, pending owner, quote denom and decimals     |
//! | `sources`  | denom → `PriceSource`    | each denom's price source                          |
//! | `circuits` | denom → `CircuitRecord`  | circuit parameters, observations, last opening     |
//! | `contract_info` | `cw2::ContractVersion` | name and version, for `migrate`                 |

pub use ballast_types::oracle::{CIRCUITS, CONFIG, SOURCES};
