//! Repeated measurements summed up: median and spread, never a single lucky run.

use serde::Serialize;

/// What repeated runs of one measurement gave.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    /// How many runs (or samples).
    pub(crate) n: usize,
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// The 99th percentile (nearest rank); the maximum when there are fewer than 100.
    pub(crate) p99: f64,
}

impl Summary {
    /// Sums up `samples`; `None` when there are none.
    pub(crate) fn of(samples: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Summary {
            n,
            median,
            min: sorted[0],
            max: sorted[n - 1],
            p99: nearest_rank(&sorted, 0.99),
        })
    }

    /// One value measured once (a count, a size).
    pub(crate) fn once(value: f64) -> Summary {
        Summary {
            n: 1,
            median: value,
            min: value,
            max: value,
            p99: value,
        }
    }
}

/// The `q` quantile of sorted samples by the nearest-rank method.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread_of_odd_and_even_counts() {
        let odd = Summary::of(&[5.0, 1.0, 3.0]).unwrap_or_else(|| Summary::once(-1.0));
        assert_eq!((odd.median, odd.min, odd.max), (3.0, 1.0, 5.0));
        let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap_or_else(|| Summary::once(-1.0));
        assert_eq!(even.median, 2.5);
    }

    #[test]
    fn p99_is_the_nearest_rank() {
        let samples: Vec<f64> = (1..=200).map(f64::from).collect();
        let summary = Summary::of(&samples).unwrap_or_else(|| Summary::once(-1.0));
        assert_eq!(summary.p99, 198.0);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[f64::NAN]).is_none());
    }
}
