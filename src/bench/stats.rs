//! Latency samples → throughput and percentiles.

use std::time::Duration;

/// What one scenario measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Figure {
    pub scenario: String,
    /// Operations per second over the whole run.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub operations: usize,
    pub errors: usize,
    /// The limit this figure is compared with, and the ratio figure/limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<Limit>,
    /// A target from the issue, for the human table (e.g. "p50 < 5 ms").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Limit {
    pub name: String,
    pub throughput: f64,
    pub ratio: f64,
}

impl Figure {
    pub fn from_samples(scenario: &str, mut samples: Vec<Duration>, errors: usize, wall: Duration) -> Figure {
        samples.sort_unstable();
        let pct = |p: f64| -> f64 {
            if samples.is_empty() {
                return 0.0;
            }
            let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
            samples[idx.min(samples.len() - 1)].as_secs_f64() * 1000.0
        };
        let secs = wall.as_secs_f64().max(1e-9);
        Figure {
            scenario: scenario.to_owned(),
            throughput: samples.len() as f64 / secs,
            p50_ms: pct(0.50),
            p95_ms: pct(0.95),
            p99_ms: pct(0.99),
            operations: samples.len(),
            errors,
            limit: None,
            target: None,
        }
    }

    pub fn against(mut self, limit_name: &str, limit_throughput: f64) -> Figure {
        let ratio = if limit_throughput > 0.0 { self.throughput / limit_throughput } else { 0.0 };
        self.limit = Some(Limit { name: limit_name.to_owned(), throughput: limit_throughput, ratio });
        self
    }

    pub fn target(mut self, t: &str) -> Figure {
        self.target = Some(t.to_owned());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let f = Figure::from_samples("x", samples, 0, Duration::from_secs(1));
        assert_eq!(f.operations, 100);
        assert!((f.p50_ms - 51.0).abs() < 1.01);
        assert!((f.p99_ms - 99.0).abs() < 1.01);
        assert!((f.throughput - 100.0).abs() < 1e-6);
    }
}
