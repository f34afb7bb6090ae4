//! A constant-product pool (x · y = k) of a risk asset against the quote currency: the market
//! that liquidated collateral is sold into. Ballast's keepers and the baseline's liquidators use
//! this same code, so the price impact of what each sells is measured the same way.
//!
//! Amounts are smallest units; the price is quote smallest units per base smallest unit (the
//! oracle's convention). The exogenous move of a block is arbitrage against the outside world:
//! it moves the price by a factor without changing k.

/// One pool: `base` (the risk asset) against `quote`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub base: f64,
    pub quote: f64,
    /// Swap fee, a share of the input (0.003 = 30 bp).
    pub fee: f64,
}

impl Pool {
    /// A pool at `price` with `quote_depth` quote units on the quote side.
    pub fn new(price: f64, quote_depth: f64, fee: f64) -> Self {
        assert!(
            price > 0.0 && quote_depth > 0.0,
            "pool needs a price and depth"
        );
        assert!((0.0..1.0).contains(&fee), "fee must be in [0, 1)");
        Pool {
            base: quote_depth / price,
            quote: quote_depth,
            fee,
        }
    }

    /// Quote units per base unit.
    pub fn price(&self) -> f64 {
        self.quote / self.base
    }

    /// The quote units that selling `base_in` would pay, without selling.
    pub fn quote_for_base(&self, base_in: f64) -> f64 {
        if base_in <= 0.0 {
            return 0.0;
        }
        let effective = base_in * (1.0 - self.fee);
        self.quote * effective / (self.base + effective)
    }

    /// Sells `base_in` into the pool; returns the quote paid out.
    pub fn sell_base(&mut self, base_in: f64) -> f64 {
        let out = self.quote_for_base(base_in);
        if out > 0.0 {
            self.base += base_in;
            self.quote -= out;
        }
        out
    }

    /// The quote units that buying `base_out` would cost (infinite when the pool cannot pay).
    pub fn quote_for_base_out(&self, base_out: f64) -> f64 {
        if base_out <= 0.0 {
            return 0.0;
        }
        if base_out >= self.base {
            return f64::INFINITY;
        }
        self.quote * base_out / (self.base - base_out) / (1.0 - self.fee)
    }

    /// Buys `base_out` from the pool; returns the quote paid in.
    pub fn buy_base(&mut self, base_out: f64) -> f64 {
        let cost = self.quote_for_base_out(base_out);
        if cost.is_finite() && cost > 0.0 {
            self.base -= base_out;
            self.quote += cost;
        }
        cost
    }

    /// Moves the price by `factor` at constant k (arbitrage with the outside world).
    pub fn apply_move(&mut self, factor: f64) {
        if factor > 0.0 && factor.is_finite() && factor != 1.0 {
            let s = factor.sqrt();
            self.base /= s;
            self.quote *= s;
        }
    }

    /// Arbitrage back towards `reference` (the price without this protocol's selling): closes
    /// `share` of the gap in log price (0 leaves the impact in place, 1 removes it).
    pub fn recover_towards(&mut self, reference: f64, share: f64) {
        if share > 0.0 && reference > 0.0 {
            let gap = reference / self.price();
            self.apply_move(gap.powf(share.min(1.0)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn a_new_pool_has_its_price_and_depth() {
        let p = Pool::new(10.0, 1_000_000.0, 0.0);
        assert!(close(p.price(), 10.0, 1e-12));
        assert!(close(p.base, 100_000.0, 1e-12));
    }

    #[test]
    fn selling_keeps_k_and_lowers_the_price() {
        let mut p = Pool::new(10.0, 1_000_000.0, 0.0);
        let k = p.base * p.quote;
        // selling 10% of the base side: out = y·Δx/(x+Δx) = 1e6 × 1e4 / 1.1e5
        let out = p.sell_base(10_000.0);
        assert!(close(out, 1_000_000.0 * 10_000.0 / 110_000.0, 1e-12));
        assert!(close(p.base * p.quote, k, 1e-12));
        // price = y/x falls by (1/1.1)²
        assert!(close(p.price(), 10.0 / 1.21, 1e-12));
        // the average price paid lies between the old and the new price
        let avg = out / 10_000.0;
        assert!(avg < 10.0 && avg > p.price());
    }

    #[test]
    fn the_fee_stays_in_the_pool() {
        let mut with_fee = Pool::new(10.0, 1_000_000.0, 0.003);
        let mut without = Pool::new(10.0, 1_000_000.0, 0.0);
        let a = with_fee.sell_base(5_000.0);
        let b = without.sell_base(5_000.0);
        assert!(a < b);
        assert!(with_fee.base * with_fee.quote > without.base * without.quote);
        assert_eq!(with_fee.sell_base(0.0), 0.0);
    }

    #[test]
    fn buying_back_what_was_sold_costs_more_than_it_paid() {
        let mut p = Pool::new(10.0, 1_000_000.0, 0.003);
        let got = p.sell_base(10_000.0);
        let cost = p.buy_base(10_000.0);
        assert!(cost > got);
        assert!(close(p.base, 100_000.0, 1e-9));
        assert!(Pool::new(10.0, 1_000.0, 0.0)
            .quote_for_base_out(1e9)
            .is_infinite());
    }

    #[test]
    fn exogenous_moves_keep_k_and_compose() {
        let mut p = Pool::new(10.0, 1_000_000.0, 0.0);
        let k = p.base * p.quote;
        p.apply_move(0.5);
        assert!(close(p.price(), 5.0, 1e-12));
        assert!(close(p.base * p.quote, k, 1e-9));
        p.apply_move(1.5);
        assert!(close(p.price(), 7.5, 1e-12));
        // depth in quote follows the price: half the price, 1/√2 of the quote side
        let mut q = Pool::new(10.0, 1_000_000.0, 0.0);
        q.apply_move(0.5);
        assert!(close(q.quote, 1_000_000.0 / 2f64.sqrt(), 1e-9));
    }

    #[test]
    fn recovery_closes_a_share_of_the_gap() {
        let mut p = Pool::new(10.0, 1_000_000.0, 0.0);
        p.apply_move(0.64); // 6.4, reference 10
        p.recover_towards(10.0, 0.5);
        assert!(close(p.price(), 8.0, 1e-12));
        p.recover_towards(10.0, 0.0);
        assert!(close(p.price(), 8.0, 1e-12));
        p.recover_towards(10.0, 1.0);
        assert!(close(p.price(), 10.0, 1e-12));
    }
}
