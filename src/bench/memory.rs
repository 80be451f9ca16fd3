//! Resident memory and cold start of the real binary.

use std::path::Path;
use std::time::{Duration, Instant};

/// Resident set size of a process in KiB (Linux `/proc`), if readable.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Starts `waggle serve` on an empty data dir and measures the time to the first answered
/// request, then the idle RSS; the child is stopped before returning.
pub async fn cold_start(exe: &Path, data_dir: &Path, port: u16) -> Result<(Duration, Option<u64>), String> {
    let start = Instant::now();
    let mut child = tokio::process::Command::new(exe)
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--admin-password")
        .arg("bench-secret")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/status");
    let elapsed = loop {
        if let Ok(resp) = client.get(&url).send().await
            && resp.status().is_success()
        {
            break start.elapsed();
        }
        if start.elapsed() > Duration::from_secs(30) {
            return Err("server did not answer within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    // Let start-up allocations settle before reading the idle footprint.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = child.id().and_then(rss_kib);
    let _ = child.kill().await;
    Ok((elapsed, rss))
}
