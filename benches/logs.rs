//! Log pane budgets: ingest ≥ 500,000 lines/s through sanitize + push, and one 160×48 frame of
//! a 50,000-line buffer in ≤ 2 ms.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ondeck_core::logs::LogBuffer;
use ondeck_tui::logview::LogView;
use ondeck_tui::ui::LogPane;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const BUFFERED: usize = 50_000;

/// A deterministic mix of container output averaging about 200 bytes a line: half plain text,
/// a quarter ANSI-coloured, a quarter JSON; one line in fifty is a warning about a timeout.
fn realistic_lines(count: usize) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..count)
        .map(|i| {
            let millis = rng.u32(0..1000);
            if i % 50 == 49 {
                return format!(
                    "2026-11-23T16:17:01.{millis:03}Z WARN  [pool-2] c.e.payments.Client - upstream timeout after {}ms calling payments, retrying (attempt {} of 5) trace_id={:032x}",
                    rng.u32(1000..30000),
                    rng.u32(1..5),
                    rng.u128(..)
                );
            }
            match i % 4 {
                0 | 1 => format!(
                    "2026-11-23T16:17:01.{millis:03}Z INFO  [http-nio-8080-exec-{}] c.e.orders.OrderController - GET /api/orders/{} status=200 duration={}ms user=u{} region=eu-west-1 trace_id={:032x}",
                    rng.u32(1..64),
                    rng.u32(..1_000_000),
                    rng.u32(1..900),
                    rng.u32(..10_000),
                    rng.u128(..)
                ),
                2 => format!(
                    "\x1b[2m2026-11-23T16:17:01.{millis:03}Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[2mworker::jobs\x1b[0m\x1b[2m:\x1b[0m processed job \x1b[1m{}\x1b[0m queue=emails attempt={} elapsed={}ms \x1b[3mhost=ip-10-0-{}-{}.eu-west-1.compute.internal\x1b[0m",
                    rng.u64(..u64::MAX / 2),
                    rng.u32(1..4),
                    rng.u32(1..5000),
                    rng.u8(..),
                    rng.u8(..)
                ),
                _ => format!(
                    r#"{{"time":"2026-11-23T16:17:01.{millis:03}Z","level":"info","logger":"payments.client","msg":"charge accepted","charge_id":"ch_{:016x}","amount":{},"currency":"eur","latency_ms":{}}}"#,
                    rng.u64(..),
                    rng.u32(100..100_000),
                    rng.u32(1..900)
                ),
            }
        })
        .collect()
}

fn filled_buffer(lines: &[String]) -> LogBuffer {
    let mut buffer = LogBuffer::new(BUFFERED);
    for (i, line) in lines.iter().cycle().take(BUFFERED).enumerate() {
        buffer.push(1_795_450_621_000 + i as i64, (i % 3) as u16, line);
    }
    buffer
}

fn ingest(c: &mut Criterion) {
    let lines = realistic_lines(10_000);
    let average = lines.iter().map(String::len).sum::<usize>() / lines.len();
    eprintln!("ingest: {} lines, {average} bytes on average", lines.len());
    let mut buffer = LogBuffer::new(BUFFERED);
    let mut group = c.benchmark_group("logs");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("ingest_sanitize_push", |b| {
        b.iter(|| {
            for (i, line) in lines.iter().enumerate() {
                black_box(buffer.push(i as i64, (i % 3) as u16, line));
            }
        })
    });
    group.finish();
}

fn render(c: &mut Criterion) {
    let buffer = filled_buffer(&realistic_lines(10_000));
    let sources = vec![
        "web".to_string(),
        "worker".to_string(),
        "payments".to_string(),
    ];
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
    let mut frame_of = |name: &str, view: &LogView, c: &mut Criterion| {
        c.bench_function(name, |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| {
                        frame.render_widget(
                            LogPane::new(&buffer, view, &sources).title_extra("live"),
                            frame.area(),
                        )
                    })
                    .expect("draw");
            })
        });
    };

    frame_of("logs/render_following", &LogView::new(), c);

    let mut paused = LogView::new();
    paused.scroll_up(&buffer, BUFFERED / 2);
    frame_of("logs/render_paused_mid_buffer", &paused, c);

    let mut filtered = LogView::new();
    filtered.set_search("timeout");
    filtered.toggle_filter();
    frame_of("logs/render_filter_2_percent", &filtered, c);

    // Worst case, outside the budget: a filter nothing matches walks the whole buffer.
    let mut no_match = LogView::new();
    no_match.set_search("no such text");
    no_match.toggle_filter();
    frame_of("logs/render_filter_no_match", &no_match, c);
}

criterion_group!(benches, ingest, render);
criterion_main!(benches);
