//! No input makes the config parser panic, and every error it returns is located.

use std::fs;
use std::path::{Path, PathBuf};

use ondeck_core::config::{self, ConfigError, KeySpec};
use ondeck_core::instances::expiry::parse_ttl;
use proptest::prelude::*;

fn valid_fixtures() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<PathBuf> = fs::read_dir(root.join("tests/fixtures/config/valid"))
        .expect("valid fixtures")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.push(root.join("config.example.toml"));
    paths.sort();
    paths
        .iter()
        .map(|path| fs::read_to_string(path).expect("fixture text"))
        .collect()
}

/// The error points at a real place in the text: a line that exists, a column from 1.
fn assert_located(text: &str, error: &ConfigError) {
    let line = error.line.unwrap_or_else(|| panic!("no line: {error}"));
    let column = error.column.unwrap_or_else(|| panic!("no column: {error}"));
    let lines = text.split('\n').count();
    assert!(
        (1..=lines).contains(&line),
        "line {line} of {lines}: {error}"
    );
    let line_length = text.split('\n').nth(line - 1).unwrap_or("").chars().count();
    assert!(
        (1..=line_length + 1).contains(&column),
        "column {column} of {line_length}: {error}"
    );
    assert!(!error.message.is_empty());
}

fn check(text: &str) {
    if let Err(error) = config::parse_with_login(Path::new("fuzz.toml"), text, Some("fuzz")) {
        assert_located(text, &error);
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    DuplicateLine { line: usize },
    DropLine { line: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let insertion = prop_oneof![
        Just("\"".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("=".to_string()),
        Just("\n".to_string()),
        Just("[profiles.dev]\n".to_string()),
        Just("x = 1\n".to_string()),
        Just("-".to_string()),
        Just("0".to_string()),
        Just("é".to_string()),
        ".{0,8}",
    ];
    prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), insertion).prop_map(|(at, text)| Mutation::Insert { at, text }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        any::<usize>().prop_map(|line| Mutation::DropLine { line }),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let mut lines: Vec<&str> = text.split('\n').collect();
    match mutation {
        Mutation::Delete { at, len } => {
            let start = at % (chars.len() + 1);
            let end = (start + len).min(chars.len());
            chars.drain(start..end);
            chars.into_iter().collect()
        }
        Mutation::Insert { at, text: inserted } => {
            let at = at % (chars.len() + 1);
            chars.splice(at..at, inserted.chars());
            chars.into_iter().collect()
        }
        Mutation::DuplicateLine { line } => {
            let line = line % lines.len();
            lines.insert(line, lines[line]);
            lines.join("\n")
        }
        Mutation::DropLine { line } => {
            lines.remove(line % lines.len());
            lines.join("\n")
        }
    }
}

/// Lines that look like this config: known section headers and keys, odd values.
fn tomlish_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("region"),
        Just("cluster"),
        Just("subnets"),
        Just("security_groups"),
        Just("owner"),
        Just("ttl"),
        Just("task_definitions"),
        Just("refresh_busy_secs"),
        Just("refresh_steady_secs"),
        Just("log_buffer_lines"),
        Just("vcpu_hour"),
        Just("default_profile"),
        Just("quit"),
        Just("endpoint_url"),
        Just("spot"),
        Just("subnet"),
    ];
    let value = prop_oneof![
        Just("\"us-east-1\"".to_string()),
        Just("[\"subnet-1\"]".to_string()),
        Just("[\"sg-1\"]".to_string()),
        Just("[]".to_string()),
        Just("true".to_string()),
        Just("0".to_string()),
        Just("-5".to_string()),
        Just("1e400".to_string()),
        Just("nan".to_string()),
        Just("9999999999999999999".to_string()),
        Just("{}".to_string()),
        Just("\"8h\"".to_string()),
        Just("\"ctrl-\"".to_string()),
        "\"[^\"\\\\\n]{0,6}\"",
    ];
    let header = prop_oneof![
        Just("[profiles.dev]"),
        Just("[profiles.dev.prices]"),
        Just("[profiles.dev.templates.web]"),
        Just("[profiles.dev.templates.web.env.app]"),
        Just("[keymap]"),
        Just("[[profiles]]"),
        Just("[profiles]"),
    ];
    prop_oneof![
        3 => (key, value).prop_map(|(key, value)| format!("{key} = {value}")),
        1 => header.prop_map(str::to_string),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn arbitrary_bytes_as_text_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn config_shaped_lines_never_panic(lines in proptest::collection::vec(tomlish_line(), 0..25)) {
        check(&lines.join("\n"));
    }

    #[test]
    fn mutated_valid_files_never_panic(
        which in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let fixtures = valid_fixtures();
        let mut text = fixtures[which % fixtures.len()].clone();
        for mutation in &mutations {
            text = apply(&text, mutation);
        }
        check(&text);
    }

    #[test]
    fn key_specs_that_parse_display_back_to_themselves(text in "((ctrl|alt|Ctrl)-){0,2}\\PC{0,4}") {
        if let Ok(key) = text.parse::<KeySpec>() {
            prop_assert_eq!(key.to_string().parse::<KeySpec>(), Ok(key));
        }
    }

    #[test]
    fn ttl_parsing_never_panics_and_stays_in_range(text in "[0-9dhms ]{0,12}|\\PC{0,12}") {
        if let Ok(ttl) = parse_ttl(&text) {
            prop_assert!(ttl > chrono::Duration::zero());
            prop_assert!(ttl <= chrono::Duration::days(30));
        }
    }
}
