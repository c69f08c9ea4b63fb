//! Log buffer budget: 50,000 buffered lines cost ≤ 20 MB of resident memory. Fills a
//! `LogBuffer` the way the tail does (sanitize + push, one line at a time, nothing else kept)
//! and reads this process's VmRSS before and after.

use ondeck_core::logs::LogBuffer;

const LINES: usize = 50_000;
const BUDGET_MB: f64 = 20.0;

/// Resident memory of this process, in KiB, from /proc/self/status.
fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Container output of about 200 bytes a line: plain, ANSI-coloured and JSON, as in the
/// ingest bench.
fn line(rng: &mut fastrand::Rng, i: usize) -> String {
    let millis = rng.u32(0..1000);
    match i % 4 {
        0 | 1 => format!(
            "2026-11-23T16:17:01.{millis:03}Z INFO  [http-nio-8080-exec-{}] c.e.orders.OrderController - GET /api/orders/{} status=200 duration={}ms user=u{} trace_id={:032x}",
            rng.u32(1..64),
            rng.u32(..1_000_000),
            rng.u32(1..900),
            rng.u32(..10_000),
            rng.u128(..)
        ),
        2 => format!(
            "\x1b[2m2026-11-23T16:17:01.{millis:03}Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[2mworker::jobs\x1b[0m\x1b[2m:\x1b[0m processed job \x1b[1m{}\x1b[0m queue=emails attempt={} elapsed={}ms",
            rng.u64(..u64::MAX / 2),
            rng.u32(1..4),
            rng.u32(1..5000),
        ),
        _ => format!(
            r#"{{"time":"2026-11-23T16:17:01.{millis:03}Z","level":"info","logger":"payments.client","msg":"charge accepted","charge_id":"ch_{:016x}","amount":{},"currency":"eur","latency_ms":{}}}"#,
            rng.u64(..),
            rng.u32(100..100_000),
            rng.u32(1..900)
        ),
    }
}

fn main() {
    let mut rng = fastrand::Rng::with_seed(7);
    let before = vm_rss_kib();
    let mut buffer = LogBuffer::new(LINES);
    let mut raw_bytes = 0usize;
    for i in 0..LINES {
        let text = line(&mut rng, i);
        raw_bytes += text.len();
        buffer.push(1_795_450_621_000 + i as i64, (i % 3) as u16, &text);
    }
    let after = vm_rss_kib();
    assert_eq!(buffer.len(), LINES);
    let grown_mb = (after.saturating_sub(before)) as f64 / 1024.0;
    println!(
        "log_rss: {LINES} lines ({:.0} bytes/line raw, {:.1} MB raw): VmRSS {:.1} MB -> {:.1} MB, \
         buffer +{grown_mb:.1} MB (budget {BUDGET_MB} MB: {})",
        raw_bytes as f64 / LINES as f64,
        raw_bytes as f64 / 1_048_576.0,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        if grown_mb <= BUDGET_MB { "ok" } else { "OVER" }
    );
}
