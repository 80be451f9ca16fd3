//! Printing a report: a human table (default) or JSON.

use super::Report;

pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub fn table(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "waggle bench ({} mode) on {}\nmachine: {}\n\n",
        r.mode,
        r.backend,
        super::machine_description()
    ));
    if let Some(ms) = r.cold_start_ms {
        out.push_str(&format!("cold start to first answered request: {ms:.0} ms (target < 1000 ms)\n"));
    }
    if let Some(kib) = r.idle_rss_kib {
        out.push_str(&format!("idle resident memory: {:.1} MiB (target < 50 MiB)\n", kib as f64 / 1024.0));
    }
    out.push('\n');
    out.push_str(&format!(
        "{:<58} {:>11} {:>9} {:>9} {:>9} {:>7}  {}\n",
        "scenario", "ops/s", "p50 ms", "p95 ms", "p99 ms", "errors", "vs limit"
    ));
    for f in &r.figures {
        let limit = match &f.limit {
            Some(l) => format!("{:.0}% of {} ({:.0}/s)", l.ratio * 100.0, l.name, l.throughput),
            None => String::new(),
        };
        let target = f.target.as_deref().map(|t| format!("  [{t}]")).unwrap_or_default();
        out.push_str(&format!(
            "{:<58} {:>11.0} {:>9.2} {:>9.2} {:>9.2} {:>7}  {limit}{target}\n",
            f.scenario, f.throughput, f.p50_ms, f.p95_ms, f.p99_ms, f.errors
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}
