use super::*;
use crate::logs::style::TextColor;
use proptest::prelude::*;

fn styled(text: &SanitizedText, needle: &str) -> Option<TextStyle> {
    let start = text.text.find(needle)?;
    text.styles
        .iter()
        .find(|run| run.start <= start && start < run.end)
        .map(|run| run.style)
}

#[test]
fn plain_text_passes_unchanged() {
    let out = sanitize("GET /health 200 3ms");
    assert_eq!(out.text, "GET /health 200 3ms");
    assert!(out.styles.is_empty());
    assert!(!out.truncated);
}

#[test]
fn cursor_movement_and_private_modes_are_removed() {
    let out = sanitize("a\x1b[2J\x1b[10;20Hb\x1b[?1049h\x1b[?25lc\x1b[Kd");
    assert_eq!(out.text, "abcd");
    assert!(out.styles.is_empty());
}

#[test]
fn osc_sequences_are_removed_with_either_terminator() {
    let clipboard = "x\x1b]52;c;ZXZpbA==\x07y";
    assert_eq!(sanitize(clipboard).text, "xy");
    let link = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ here";
    assert_eq!(sanitize(link).text, "click here");
    let title = "\x1b]0;pwned\u{9c}after";
    assert_eq!(sanitize(title).text, "after");
    let eight_bit = "\u{9d}2;title\x07ok";
    assert_eq!(sanitize(eight_bit).text, "ok");
}

#[test]
fn unterminated_osc_swallows_the_rest_of_the_line() {
    assert_eq!(sanitize("before\x1b]0;never ends").text, "before");
}

#[test]
fn dcs_sos_pm_apc_strings_are_removed() {
    let out = sanitize("1\x1bPq#0;2;0;0;0\x1b\\2\x1bXsos\x1b\\3\x1b^pm\x1b\\4\x1b_apc\x1b\\5");
    assert_eq!(out.text, "12345");
}

#[test]
fn c1_controls_and_eight_bit_csi_are_removed() {
    assert_eq!(sanitize("a\u{9b}31mb\u{85}c\u{8d}d").text, "abcd");
}

#[test]
fn eight_bit_csi_applies_sgr_like_the_seven_bit_form() {
    let out = sanitize("\u{9b}31mred");
    assert_eq!(out.text, "red");
    assert_eq!(
        styled(&out, "red"),
        Some(TextStyle::new().fg(TextColor::Indexed(1)))
    );
}

#[test]
fn other_escapes_and_bare_esc_are_removed() {
    assert_eq!(sanitize("a\x1b7b\x1b(Bc\x1bcd\x1b").text, "abcd");
    assert_eq!(sanitize("x\x1b\u{e9}").text, "x\u{e9}");
}

#[test]
fn controls_are_removed_and_line_endings_handled() {
    assert_eq!(sanitize("a\x00b\x07c\x08d\x7fe").text, "abcde");
    assert_eq!(sanitize("done\r\n").text, "done");
    assert_eq!(sanitize("done\r").text, "done");
    assert_eq!(sanitize("50%\r100%").text, "50%100%");
    assert_eq!(sanitize("first\nsecond").text, "first↵second");
}

#[test]
fn tabs_expand_to_the_next_multiple_of_eight_columns() {
    assert_eq!(sanitize("\tx").text, "        x");
    assert_eq!(sanitize("abc\tx").text, "abc     x");
    assert_eq!(sanitize("abcdefgh\tx").text, "abcdefgh        x");
    // Wide characters count as two columns.
    assert_eq!(sanitize("日本\tx").text, "日本    x");
}

#[test]
fn sgr_colours_map_to_named_indexed_and_rgb() {
    let out = sanitize(
        "\x1b[31mred\x1b[0m \x1b[92mlime\x1b[m \x1b[38;5;4mblue\x1b[0m \x1b[38;5;200mpink\x1b[0m \x1b[48;2;1;2;3mbg\x1b[0m \x1b[38:2::10:20:30mcolon\x1b[0m plain",
    );
    assert_eq!(out.text, "red lime blue pink bg colon plain");
    assert_eq!(
        styled(&out, "red"),
        Some(TextStyle::new().fg(TextColor::Indexed(1)))
    );
    assert_eq!(
        styled(&out, "lime"),
        Some(TextStyle::new().fg(TextColor::Indexed(10)))
    );
    assert_eq!(
        styled(&out, "blue"),
        Some(TextStyle::new().fg(TextColor::Indexed(4)))
    );
    assert_eq!(
        styled(&out, "pink"),
        Some(TextStyle::new().fg(TextColor::Indexed(200)))
    );
    assert_eq!(
        styled(&out, "bg"),
        Some(TextStyle::new().bg(TextColor::Rgb(1, 2, 3)))
    );
    assert_eq!(
        styled(&out, "colon"),
        Some(TextStyle::new().fg(TextColor::Rgb(10, 20, 30)))
    );
    assert_eq!(styled(&out, "plain"), None);
}

#[test]
fn sgr_attributes_combine_and_reset_individually() {
    let out = sanitize("\x1b[1;3;4;7mall\x1b[22;23mur\x1b[24;27mnone\x1b[2mdim");
    assert_eq!(
        styled(&out, "all"),
        Some(
            TextStyle::new()
                .with(Attrs::BOLD | Attrs::ITALIC | Attrs::UNDERLINED | Attrs::REVERSED)
        )
    );
    assert_eq!(
        styled(&out, "ur"),
        Some(TextStyle::new().with(Attrs::UNDERLINED | Attrs::REVERSED))
    );
    assert_eq!(styled(&out, "none"), None);
    assert_eq!(styled(&out, "dim"), Some(TextStyle::new().with(Attrs::DIM)));
}

#[test]
fn adjacent_text_in_one_style_is_one_run() {
    let out = sanitize("\x1b[33mab\x1b[33mcd\x1b[0m");
    assert_eq!(
        out.styles,
        vec![StyleRun {
            start: 0,
            end: 4,
            style: TextStyle::new().fg(TextColor::Indexed(3))
        }]
    );
}

#[test]
fn malformed_sgr_is_ignored_without_losing_text() {
    let out = sanitize("\x1b[38;5mx\x1b[38;2;999;0;0my\x1b[99999999999mz");
    assert_eq!(out.text, "xyz");
    assert!(out.styles.is_empty());
}

#[test]
fn long_lines_are_capped_on_a_char_boundary_with_a_marker() {
    let raw = "é".repeat(MAX_LINE_BYTES); // 2 bytes each
    let out = sanitize(&raw);
    assert!(out.truncated);
    let dropped = raw.len() - MAX_LINE_BYTES;
    assert!(
        out.text
            .ends_with(&format!("… [truncated {dropped} bytes]"))
    );
    assert!(out.text.len() < MAX_LINE_BYTES + 40);
    assert!(!sanitize(&"a".repeat(MAX_LINE_BYTES)).truncated);
}

#[test]
fn odd_cut_point_stays_on_a_char_boundary() {
    let raw = format!("a{}", "é".repeat(MAX_LINE_BYTES));
    let out = sanitize(&raw);
    assert!(out.truncated);
    assert!(out.text.ends_with(&format!(
        "… [truncated {} bytes]",
        raw.len() - MAX_LINE_BYTES + 1
    )));
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let out = sanitize_bytes(b"ok \xff\xfe \x9b31m end");
    assert_eq!(out.text, "ok \u{fffd}\u{fffd} \u{fffd}31m end");
}

#[test]
fn bidi_overrides_and_invisible_characters_show_as_dim_markers() {
    // "Trojan source": the override makes the comment read as if `admin` came first.
    let out = sanitize("user=guest \u{202e}nimda=resu\u{202c} ok\u{200b}!");
    assert_eq!(
        out.text,
        "user=guest <U+202E>nimda=resu<U+202C> ok<U+200B>!"
    );
    let dim = Some(TextStyle::new().with(Attrs::DIM));
    assert_eq!(styled(&out, "<U+202E>"), dim);
    assert_eq!(styled(&out, "<U+202C>"), dim);
    assert_eq!(styled(&out, "<U+200B>"), dim);
    assert_eq!(
        styled(&out, "nimda"),
        None,
        "the text between keeps its own style"
    );
    assert_eq!(sanitize("\u{feff}bom").text, "<U+FEFF>bom");
    assert_eq!(sanitize("tag\u{e0041}").text, "tag<U+E0041>");
}

#[test]
fn markers_keep_the_colours_around_them() {
    let out = sanitize("\x1b[31mred\u{2066}red\x1b[0m");
    assert_eq!(out.text, "red<U+2066>red");
    assert_eq!(
        styled(&out, "<U+2066>"),
        Some(TextStyle::new().fg(TextColor::Indexed(1)).with(Attrs::DIM))
    );
    assert_eq!(
        styled(&out, "red"),
        Some(TextStyle::new().fg(TextColor::Indexed(1)))
    );
}

#[test]
fn every_listed_range_is_hidden_and_its_neighbours_are_not() {
    let ranges = [
        ('\u{202a}', '\u{202e}'),
        ('\u{2066}', '\u{2069}'),
        ('\u{200b}', '\u{200f}'),
        ('\u{2060}', '\u{2064}'),
        ('\u{feff}', '\u{feff}'),
        ('\u{ad}', '\u{ad}'),
        ('\u{61c}', '\u{61c}'),
        ('\u{2028}', '\u{2029}'),
        ('\u{e0001}', '\u{e0001}'),
        ('\u{e0020}', '\u{e007f}'),
    ];
    for (first, last) in ranges {
        for c in first..=last {
            assert!(is_hidden(c), "U+{:04X}", u32::from(c));
            assert_eq!(
                sanitize(&format!("a{c}b")).text,
                format!("a<U+{:04X}>b", u32::from(c))
            );
        }
    }
    // Visible spaces, emoji presentation and ordinary letters stay as they are.
    for c in [
        '\u{202f}', '\u{a0}', '\u{3000}', '\u{fe0f}', 'é', '日', '→', '\u{fffd}',
    ] {
        assert!(!is_hidden(c), "U+{:04X}", u32::from(c));
        assert_eq!(sanitize(&format!("a{c}b")).text, format!("a{c}b"));
    }
}

#[test]
fn labels_drop_colours_and_escapes_but_keep_dim_markers() {
    let tag = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07\x1b[30;40mteam\u{202e}x\x1b[0m";
    let out = sanitize_label(tag);
    assert_eq!(out.text, "team<U+202E>x");
    assert_eq!(
        out.styles,
        vec![StyleRun {
            start: 4,
            end: 12,
            style: TextStyle::new().with(Attrs::DIM)
        }]
    );
}

#[test]
fn printable_borrows_plain_ascii_and_cleans_the_rest() {
    assert!(matches!(printable("rev-1 ok"), Cow::Borrowed("rev-1 ok")));
    assert_eq!(printable("a\x1b]52;c;ZXZpbA==\x07b"), "ab");
    assert_eq!(printable("caf\u{e9}\u{200f}"), "caf\u{e9}<U+200F>");
    assert_eq!(printable("two\nlines\t."), "two↵lines       .");
}

#[test]
fn json_escaping_keeps_the_value_and_hides_nothing_raw() {
    let hostile = "\x1b]52;c;ZXZpbA==\x07 \u{9b}2J \u{7f} \u{202e}txt.exe \u{e0041}\u{200b} é 日 ✓";
    let value = serde_json::json!({ "name": hostile, "plain": "ok" });
    let escaped = escape_json_for_terminal(serde_json::to_string_pretty(&value).unwrap());
    let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
    assert_eq!(back, value, "the JSON says the same");
    assert!(
        escaped.chars().all(|c| !is_control(c) || c == '\n'),
        "{escaped:?}"
    );
    assert!(!escaped.chars().any(is_hidden), "{escaped:?}");
    assert!(escaped.contains("\\u202e") && escaped.contains("\\udb40\\udc41"));
    assert!(escaped.contains("é 日 ✓"), "other text stays readable");
    let plain = serde_json::to_string(&value["plain"]).unwrap();
    assert_eq!(escape_json_for_terminal(plain.clone()), plain);
}

#[test]
fn level_words_are_detected() {
    let cases = [
        ("ERROR failed to connect", Some(Level::Error)),
        ("2024-01-01 error: boom", Some(Level::Error)),
        ("[ERR] disk full", Some(Level::Error)),
        ("[E] something", Some(Level::Error)),
        ("E1123 16:17:01.000 main.go:10] oops", Some(Level::Error)),
        ("WARNING: low memory", Some(Level::Warn)),
        ("[W] careful", Some(Level::Warn)),
        ("INFO started", Some(Level::Info)),
        ("DEBUG cache miss", Some(Level::Debug)),
        ("trace: enter fn", Some(Level::Trace)),
        ("GET /health 200", None),
        ("errors_total=3 interrupted", None),
    ];
    for (line, expected) in cases {
        assert_eq!(detect_level(line), expected, "{line}");
    }
}

#[test]
fn explicit_level_fields_win_over_words() {
    let cases = [
        ("level=info msg=\"retrying after error\"", Some(Level::Info)),
        ("ts=1 level=warn", Some(Level::Warn)),
        ("lvl=\"debug\" error=none", Some(Level::Debug)),
        (
            r#"{"msg":"error budget ok","level":"info"}"#,
            Some(Level::Info),
        ),
        (
            r#"{"severity": "ERROR", "message": "x"}"#,
            Some(Level::Error),
        ),
        (r#"{"level":50,"msg":"pino"}"#, Some(Level::Error)),
        (r#"{"level":30,"msg":"pino"}"#, Some(Level::Info)),
        (r#"{"levelname": "WARNING"}"#, Some(Level::Warn)),
    ];
    for (line, expected) in cases {
        assert_eq!(detect_level(line), expected, "{line}");
    }
}

#[test]
fn pretty_json_indents_objects_and_arrays_keeping_key_order() {
    let pretty = pretty_json(r#" {"z":1,"a":[true,null,{}],"s":"x,{y}:\"q\""} "#).unwrap();
    assert_eq!(
        pretty,
        "{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null,\n    {}\n  ],\n  \"s\": \"x,{y}:\\\"q\\\"\"\n}"
    );
    assert_eq!(pretty_json("[1, 2.50e3]").unwrap(), "[\n  1,\n  2.50e3\n]");
}

#[test]
fn pretty_json_rejects_non_json_and_scalars() {
    assert_eq!(pretty_json("hello"), None);
    assert_eq!(pretty_json("42"), None);
    assert_eq!(pretty_json("\"str\""), None);
    assert_eq!(pretty_json("{\"a\":1} trailing"), None);
    assert_eq!(pretty_json("{broken"), None);
}

fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

proptest! {
    #[test]
    fn no_control_character_survives(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
        let out = sanitize_bytes(&raw);
        for c in out.text.chars() {
            prop_assert!(!is_control(c), "{:?} in {:?}", c, out.text);
        }
        for run in &out.styles {
            prop_assert!(run.start < run.end && run.end <= out.text.len());
            prop_assert!(out.text.is_char_boundary(run.start) && out.text.is_char_boundary(run.end));
        }
        for pair in out.styles.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start);
        }
    }

    #[test]
    fn no_hidden_character_survives_and_labels_have_only_dim_runs(
        parts in proptest::collection::vec(
            prop_oneof![
                (0x202au32..=0x202e).prop_map(|c| char::from_u32(c).unwrap().to_string()),
                (0x2060u32..=0x206f).prop_map(|c| char::from_u32(c).unwrap().to_string()),
                (0xe0000u32..=0xe007f).prop_map(|c| char::from_u32(c).unwrap().to_string()),
                Just("\u{200d}".to_string()), Just("\u{feff}".to_string()),
                Just("\x1b[31m".to_string()), Just("\x1b]0;t\x07".to_string()),
                "\\PC{0,3}", any::<char>().prop_map(String::from),
            ],
            0..40,
        )
    ) {
        let raw = parts.concat();
        for out in [sanitize(&raw), sanitize_label(&raw)] {
            let leaked = out.text.chars().find(|&c| is_hidden(c) || is_control(c));
            prop_assert!(leaked.is_none(), "{:?} in {:?}", leaked, out.text);
        }
        let label = sanitize_label(&raw);
        prop_assert!(label.styles.iter().all(|run| run.style == TextStyle::new().with(Attrs::DIM)));
        prop_assert_eq!(printable(&raw), label.text);
    }

    #[test]
    fn escaped_json_reads_back_the_same(text in any::<String>()) {
        let json = escape_json_for_terminal(serde_json::to_string(&text).unwrap());
        prop_assert!(!json.chars().any(|c| is_hidden(c) || is_control(c)), "{:?}", json);
        prop_assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
    }

    #[test]
    fn escape_heavy_input_never_leaks_controls(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("\x1b".to_string()), Just("\x1b[".to_string()), Just("\x1b]".to_string()),
                Just("\u{9b}".to_string()), Just("\u{9c}".to_string()), Just("\x07".to_string()),
                Just("\t".to_string()), Just("\r".to_string()), Just("\n".to_string()),
                Just(";".to_string()), Just("38".to_string()), Just("m".to_string()),
                "[ -~]{0,4}", "\\PC{0,2}",
            ],
            0..60,
        )
    ) {
        let out = sanitize(&parts.concat());
        let leaked = out.text.chars().find(|&c| is_control(c));
        prop_assert!(leaked.is_none(), "{:?} in {:?}", leaked, out.text);
    }
}
