//! Every storage key of the oracle. All of them are declared in `ballast-types`, because the
//! market, auction and backstop read them with raw queries: the layout is part of the interface.

pub use ballast_types::oracle::{CIRCUITS, CONFIG, SOURCES};
