//! Log buffer budget: 50,000 buffered lines cost ≤ 20 MB of resident memory, and hostile
//! lines cannot make the buffer hold more than its byte budget. Fills a `LogBuffer` the way the
//! tail does (sanitize + push, one line at a time, nothing else kept) and reads this process's
//! VmRSS before and after.
//!
//! `cargo bench --bench log_rss` pushes realistic lines; `cargo bench --bench log_rss --
//! hostile` pushes lines built to cost the most memory each: the longest line the sanitizer
//! keeps, either all text or a colour change on every character (one style run each).

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
fn plain_line(rng: &mut fastrand::Rng, i: usize) -> String {
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

/// 20 KiB of input, cut by the sanitizer at its 16 KiB line limit: every other line is plain
/// text, the rest switches colour before every character.
fn hostile_line(rng: &mut fastrand::Rng, i: usize) -> String {
    let mut line = String::with_capacity(20 * 1024);
    while line.len() < 20 * 1024 {
        let letter = char::from(rng.u8(b'a'..=b'z'));
        if i % 2 == 1 {
            line.push_str(&format!("\x1b[3{}m", rng.u8(1..8)));
        }
        line.push(letter);
    }
    line
}

fn main() {
    let hostile = std::env::args().any(|arg| arg == "hostile");
    let (kind, line): (&str, fn(&mut fastrand::Rng, usize) -> String) = if hostile {
        ("hostile", hostile_line)
    } else {
        ("plain", plain_line)
    };
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
    let grown_mb = (after.saturating_sub(before)) as f64 / 1024.0;
    println!(
        "log_rss {kind}: {LINES} lines pushed ({:.0} bytes/line raw, {:.1} MB raw), {} kept \
         holding {:.1} MB of {:.0} MB: VmRSS {:.1} MB -> {:.1} MB, buffer +{grown_mb:.1} MB \
         (budget {BUDGET_MB} MB: {})",
        raw_bytes as f64 / LINES as f64,
        raw_bytes as f64 / 1_048_576.0,
        buffer.len(),
        buffer.bytes() as f64 / 1_048_576.0,
        buffer.byte_budget() as f64 / 1_048_576.0,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        if grown_mb <= BUDGET_MB { "ok" } else { "OVER" }
    );
}
