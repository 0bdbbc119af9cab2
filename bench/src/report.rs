//! Turning samples into the results table (markdown, printed and written).

use std::fmt::Write as _;
use std::time::Duration;

use crate::cost::{Allocations, Memory};

/// One contender's results for one workload over every round.
#[derive(Debug, Clone)]
pub struct Row {
    pub contender: &'static str,
    /// Ops/s of each round.
    pub rounds: Vec<f64>,
    /// Request latencies of every round (for `redis-benchmark`, the medians
    /// of its own p50 and p99 over rounds, stored as two entries).
    pub latencies: Vec<Duration>,
    /// CPU time of the benchmark process per command, each round (clients only).
    pub cpu_per_command: Vec<f64>,
    pub is_reference: bool,
}

impl Row {
    pub fn median_ops(&self) -> f64 {
        median(&self.rounds)
    }

    fn percentile(&self, p: f64) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        if self.is_reference {
            return Some(self.latencies[if p < 0.9 { 0 } else { 1 }]);
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let index = ((sorted.len() - 1) as f64 * p).round() as usize;
        Some(sorted[index])
    }
}

/// The results of one workload.
#[derive(Debug, Clone)]
pub struct WorkloadResult {
    pub name: &'static str,
    /// What one latency is: a command, a pipeline or a transaction.
    pub latency_unit: &'static str,
    pub rows: Vec<Row>,
}

impl WorkloadResult {
    fn reference(&self) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.is_reference)
            .map(Row::median_ops)
    }

    /// The fastest client other than `contender` (the reference is no client).
    pub fn best_other(&self, contender: &str) -> Option<(&'static str, f64)> {
        self.rows
            .iter()
            .filter(|r| !r.is_reference && r.contender != contender)
            .map(|r| (r.contender, r.median_ops()))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// `contender`'s median ops/s over the best other client's, and over the reference's.
    pub fn ratios(&self, contender: &str) -> (Option<f64>, Option<f64>) {
        let Some(row) = self.rows.iter().find(|r| r.contender == contender) else {
            return (None, None);
        };
        let ops = row.median_ops();
        (
            self.best_other(contender).map(|(_, best)| ops / best),
            self.reference().map(|reference| ops / reference),
        )
    }
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn micros(d: Option<Duration>) -> String {
    match d {
        Some(d) if d.as_secs_f64() >= 0.01 => format!("{:.1} ms", d.as_secs_f64() * 1e3),
        Some(d) => format!("{:.0} µs", d.as_secs_f64() * 1e6),
        None => "–".into(),
    }
}

fn ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{r:.2}×"))
}

fn thousands(ops: f64) -> String {
    let n = ops.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The throughput table, one row per contender per workload.
pub fn throughput_table(results: &[WorkloadResult]) -> String {
    let mut out = String::new();
    out.push_str("| workload | client | ops/s (median) | p50 | p99 | × best other client | × redis-benchmark | client CPU / command |\n");
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for result in results {
        for row in &result.rows {
            let (best, reference) = result.ratios(row.contender);
            let latency = |p| {
                let text = micros(row.percentile(p));
                if row.is_reference || result.latency_unit == "command" || text == "–" {
                    text
                } else {
                    format!("{text} /{}", result.latency_unit)
                }
            };
            let name = if row.contender == "redtyped" {
                format!("**{}**", row.contender)
            } else {
                row.contender.to_string()
            };
            let cpu = if row.cpu_per_command.is_empty() {
                "–".to_string()
            } else {
                format!("{:.2} µs", median(&row.cpu_per_command) * 1e6)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {cpu} |",
                result.name,
                name,
                thousands(row.median_ops()),
                latency(0.5),
                latency(0.99),
                if row.is_reference {
                    "–".into()
                } else {
                    ratio(best)
                },
                if row.is_reference {
                    "1.00×".into()
                } else {
                    ratio(reference)
                },
            );
        }
    }
    out
}

/// The cost table: allocations and memory per client, and build times when measured.
pub fn cost_table(
    costs: &[(&'static str, Allocations, Memory)],
    builds: &[(&'static str, Duration)],
) -> String {
    let mut out = String::new();
    out.push_str("| client | allocations / GET | allocations / SET | heap, idle | RSS growth, idle | heap, 1,024 GETs in flight | RSS growth, 1,024 GETs in flight | cold release build |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let kib = |b: isize| format!("{:.1} KiB", b as f64 / 1024.0);
    for (name, allocations, memory) in costs {
        let build = builds.iter().find(|(n, _)| n == name).map_or_else(
            || "not measured".into(),
            |(_, d)| format!("{:.0} s", d.as_secs_f64()),
        );
        let _ = writeln!(
            out,
            "| {name} | {:.2} | {:.2} | {} | {} | {} | {} | {build} |",
            allocations.per_get,
            allocations.per_set,
            kib(memory.idle_heap),
            kib(memory.idle_rss),
            kib(memory.busy_heap),
            kib(memory.busy_rss),
        );
    }
    out
}
