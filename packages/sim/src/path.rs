//! The exogenous price path: what the rest of the world does to a risk asset's price, before
//! any selling by this protocol's liquidations. Both Ballast and the baseline read the same
//! precomputed series, block by block.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// How to move between two points of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    /// Straight lines in price.
    #[default]
    Linear,
    /// Straight lines in log price (a constant rate of fall between points).
    Geometric,
}

/// A path as points `(seconds since the start, multiple of the start price)`. Before the first
/// point the first multiple holds, after the last the last.
#[derive(Clone, Debug, PartialEq)]
pub struct PricePath {
    points: Vec<(f64, f64)>,
    interpolation: Interpolation,
}

impl PricePath {
    /// Points must have increasing times and positive multiples; at least one point.
    pub fn new(points: &[(f64, f64)], interpolation: Interpolation) -> Result<Self, String> {
        if points.is_empty() {
            return Err("a price path needs at least one point".into());
        }
        for w in points.windows(2) {
            if w[1].0 <= w[0].0 {
                return Err(format!(
                    "path times must increase: {} then {}",
                    w[0].0, w[1].0
                ));
            }
        }
        if let Some((t, m)) = points.iter().find(|(_, m)| !(*m > 0.0 && m.is_finite())) {
            return Err(format!("path multiple at {t} s must be positive, got {m}"));
        }
        Ok(PricePath {
            points: points.to_vec(),
            interpolation,
        })
    }

    /// The multiple of the start price at `t` seconds.
    pub fn at(&self, t: f64) -> f64 {
        let first = self.points[0];
        if t <= first.0 {
            return first.1;
        }
        for w in self.points.windows(2) {
            let ((t0, m0), (t1, m1)) = (w[0], w[1]);
            if t <= t1 {
                let f = (t - t0) / (t1 - t0);
                return match self.interpolation {
                    Interpolation::Linear => m0 + (m1 - m0) * f,
                    Interpolation::Geometric => (m0.ln() + (m1.ln() - m0.ln()) * f).exp(),
                };
            }
        }
        self.points[self.points.len() - 1].1
    }

    /// The multiples at the end of each block `0..=blocks` (index 0 is the start), with
    /// optional noise: each block's log return gets `volatility × √(block_seconds / 1 day)`
    /// standard deviations of noise (a daily volatility), cumulated, from `rng`.
    pub fn series(
        &self,
        blocks: u64,
        block_seconds: u64,
        volatility: f64,
        rng: &mut Rng,
    ) -> Vec<f64> {
        let scale = volatility * (block_seconds as f64 / 86_400.0).sqrt();
        let mut noise = 0.0;
        (0..=blocks)
            .map(|b| {
                if b > 0 && scale > 0.0 {
                    noise += scale * rng.normal() - scale * scale / 2.0;
                }
                self.at((b * block_seconds) as f64) * noise.exp()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn linear_interpolates_between_points_and_holds_outside() {
        let p = PricePath::new(&[(0.0, 1.0), (3600.0, 0.5)], Interpolation::Linear).unwrap();
        assert!(close(p.at(-5.0), 1.0));
        assert!(close(p.at(0.0), 1.0));
        assert!(close(p.at(1800.0), 0.75));
        assert!(close(p.at(900.0), 0.875));
        assert!(close(p.at(3600.0), 0.5));
        assert!(close(p.at(10_000.0), 0.5));
    }

    #[test]
    fn geometric_falls_at_a_constant_rate() {
        let p = PricePath::new(&[(0.0, 1.0), (100.0, 0.25)], Interpolation::Geometric).unwrap();
        assert!(close(p.at(50.0), 0.5));
        assert!(close(p.at(25.0), 0.25f64.powf(0.25)));
        // equal steps have equal ratios
        assert!(close(p.at(20.0) / p.at(10.0), p.at(90.0) / p.at(80.0)));
    }

    #[test]
    fn a_v_shaped_path_goes_down_and_back() {
        let p = PricePath::new(
            &[(0.0, 1.0), (300.0, 0.7), (600.0, 1.0)],
            Interpolation::Linear,
        )
        .unwrap();
        assert!(close(p.at(150.0), 0.85));
        assert!(close(p.at(300.0), 0.7));
        assert!(close(p.at(450.0), 0.85));
        assert!(close(p.at(601.0), 1.0));
    }

    #[test]
    fn series_samples_block_ends_and_noise_is_seeded() {
        let p = PricePath::new(&[(0.0, 1.0), (60.0, 0.4)], Interpolation::Linear).unwrap();
        let s = p.series(12, 6, 0.0, &mut Rng::new(1));
        assert_eq!(s.len(), 13);
        assert!(close(s[0], 1.0));
        assert!(close(s[5], 0.7));
        assert!(close(s[10], 0.4));
        assert!(close(s[12], 0.4));
        let a = p.series(100, 6, 0.8, &mut Rng::new(3));
        let b = p.series(100, 6, 0.8, &mut Rng::new(3));
        assert_eq!(a, b);
        assert!(a.iter().zip(&s).any(|(x, y)| !close(*x, *y)));
        assert!(a.iter().all(|m| *m > 0.0));
    }

    #[test]
    fn bad_paths_are_refused() {
        assert!(PricePath::new(&[], Interpolation::Linear).is_err());
        assert!(PricePath::new(&[(0.0, 1.0), (0.0, 0.5)], Interpolation::Linear).is_err());
        assert!(PricePath::new(&[(0.0, 1.0), (10.0, 0.0)], Interpolation::Linear).is_err());
    }
}
