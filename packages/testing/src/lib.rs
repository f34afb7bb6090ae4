//! The in-process chain: the whole protocol in a cw-multi-test `App`, and a Pyth-format price
//! feed contract whose prices and publish times a test sets.

pub mod pyth;
