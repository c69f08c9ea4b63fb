//! Every size the dashboard accepts: the name is the last column to go, cut text shows its
//! cut, every dialog keeps its controls, help scrolls to its last rows, a smaller screen
//! says so, and the ASCII symbols.

use super::*;

fn text(state: &AppState, width: u16, height: u16) -> String {
    draw(state, width, height, false).to_string()
}

#[test]
fn the_name_is_the_last_column_to_shrink_and_cuts_show_an_ellipsis() {
    let state = populated();
    for width in [50, 56, 60, 66, 70, 80, 90, 100, 120, 160, 200] {
        let screen = text(&state, width, 24);
        for name in ["checkout-fix", "search-tuning", "jobs-x7k2", "api-demo"] {
            assert!(screen.contains(name), "{width}: {name} missing\n{screen}");
        }
        // A port is never cut: either all of 18080 or no endpoint.
        for (at, _) in screen.match_indices(":18") {
            assert!(
                screen[at..].starts_with(":18080"),
                "{width}: a cut port\n{screen}"
            );
        }
        let row = screen
            .lines()
            .find(|line| line.contains("checkout-fix"))
            .expect("the long row");
        if !row.contains("checkout-fix-nightly-rebuild") {
            assert!(
                row.contains("checkout-fix-") && row.contains('…'),
                "{width}: {row}"
            );
        }
    }
    let wide = text(&state, 200, 60);
    for whole in [
        "checkout-fix-nightly-rebuild",
        "data-pipeline",
        "◐ DEPROVISIONING",
        "10.123.234.56:18080 (ingest)",
    ] {
        assert!(wide.contains(whole), "{whole} at 200 columns\n{wide}");
    }
    assert!(text(&state, 80, 24).contains("◐ DEPROVISIONING"));
}

#[test]
fn a_long_filter_is_cut_inside_the_title_with_its_border_kept() {
    let mut state = populated();
    press(&mut state, Key::char('/'));
    type_text(&mut state, "checkout-fix-nightly-rebuild-and-then-some");
    press(&mut state, Key::plain(KeyCode::Enter));
    for width in [50, 80] {
        let screen = text(&state, width, 24);
        let title = screen.lines().nth(1).expect("the title row");
        assert!(title.contains("filter: check"), "{title}");
        assert!(title.contains("… ┐"), "{title}");
    }
}

/// `(scene, keys that open it, text of its controls)`.
fn dialogs() -> Vec<(&'static str, AppState, &'static str)> {
    let mut launch = populated();
    press(&mut launch, Key::char('n'));
    let mut destroy = populated();
    press(&mut destroy, Key::ctrl('d'));
    // How long to extend by, with a refused answer's reason; someone else's then asks for
    // its name.
    let mut extend = populated();
    select(&mut extend, "api-demo");
    press(&mut extend, Key::char('e'));
    type_text(&mut extend, "s");
    press(&mut extend, Key::plain(KeyCode::Enter));
    let mut extend_foreign = app(false, at(10, 5));
    extend_foreign.all_owners = true;
    poll(
        &mut extend_foreign,
        at(10, 4),
        vec![owned_by("bob", "search-tuning")],
    );
    press(&mut extend_foreign, Key::char('e'));
    press(&mut extend_foreign, Key::plain(KeyCode::Enter));
    let mut profiles = populated();
    press(&mut profiles, Key::char('p'));
    let mut help = populated();
    press(&mut help, Key::char('?'));
    vec![
        ("launch", launch, "[ Launch ]"),
        ("destroy", destroy, "[y/N]"),
        ("extend", extend, "esc keeps it"),
        ("extend_foreign", extend_foreign, "esc keeps it"),
        ("profiles", profiles, "esc cancel"),
        ("help", help, "close"),
    ]
}

#[test]
fn every_dialog_shows_its_controls_at_every_size() {
    for (scene, state, controls) in dialogs() {
        for (width, height) in SIZES {
            let screen = text(&state, width, height);
            assert!(
                screen.contains(controls),
                "{scene} at {width}x{height} lost `{controls}`\n{screen}"
            );
        }
    }
}

#[test]
fn the_extend_and_profile_dialogs() {
    for (scene, state, _) in dialogs() {
        if matches!(scene, "extend" | "extend_foreign" | "profiles") {
            snapshot_all_sizes(&format!("{scene}_dialog"), &state);
        }
    }
}

#[test]
fn help_scrolls_to_its_last_rows_on_a_small_screen() {
    let mut state = populated();
    press(&mut state, Key::char('?'));
    let first = text(&state, 50, 15);
    assert!(first.contains("more below"), "{first}");
    assert!(!first.contains("quit"), "{first}");
    for _ in 0..40 {
        press(&mut state, Key::char('j'));
    }
    let last = text(&state, 50, 15);
    assert!(
        last.contains("quit") && last.contains("this help"),
        "{last}"
    );
    assert!(!last.contains("more below"), "{last}");
    insta::assert_snapshot!("help_scrolled_50x15", draw(&state, 50, 15, true));
    // Any other key still closes it.
    press(&mut state, Key::char('x'));
    assert_eq!(state.mode, crate::state::Mode::Normal);
}

#[test]
fn below_the_smallest_size_the_dashboard_says_so() {
    let state = populated();
    for (width, height) in [(49, 15), (50, 14), (30, 8)] {
        let screen = text(&state, width, height);
        assert!(screen.contains("too small"), "{width}x{height}\n{screen}");
        assert!(screen.contains("50×15"), "{width}x{height}\n{screen}");
        assert!(!screen.contains("instances"), "{width}x{height}\n{screen}");
    }
    assert!(!text(&state, 50, 15).contains("too small"));
    insta::assert_snapshot!("too_small_40x12", draw(&state, 40, 12, true));
}

fn draw_ascii(state: &AppState, width: u16, height: u16) -> TestBackend {
    let ctx = RenderContext {
        theme: Theme {
            color: false,
            glyphs: Glyphs::ASCII,
        },
        ..context(false)
    };
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| render(frame, state, &ctx))
        .expect("draw");
    terminal.backend().clone()
}

#[test]
fn the_ascii_symbols_leave_nothing_but_ascii_on_screen() {
    let mut scenes = vec![("table", expiring())];
    for (scene, state, _) in dialogs() {
        scenes.push((scene, state));
    }
    let mut detail = expiring();
    select(&mut detail, "checkout-fix");
    press(&mut detail, Key::char('d'));
    scenes.push(("detail", detail));
    for (scene, state) in &scenes {
        for (width, height) in SIZES {
            let backend = draw_ascii(state, width, height);
            for cell in backend.buffer().content() {
                assert!(
                    cell.symbol().is_ascii(),
                    "{scene} at {width}x{height}: {:?}",
                    cell.symbol()
                );
            }
        }
    }
    let table = draw_ascii(&scenes[0].1, 80, 24);
    let screen = table.to_string();
    // The expiry marker takes one column and leaves the name whole.
    assert!(screen.contains("! scratch"), "{screen}");
    assert!(
        screen.contains("* RUNNING") && screen.contains("+ PENDING"),
        "{screen}"
    );
    insta::assert_snapshot!("ascii_80x24", table);
}

#[test]
fn the_command_line_lists_what_tab_could_complete() {
    let mut state = populated();
    press(&mut state, Key::char(':'));
    type_text(&mut state, "launch w");
    press(&mut state, Key::plain(KeyCode::Tab));
    let screen = text(&state, 80, 24);
    assert!(screen.contains(":launch w█  web worker"), "{screen}");
    snapshot_all_sizes("command_line_completion", &state);
}

#[test]
fn the_detail_pane_scrolled_to_its_end_shows_its_last_lines_not_blank() {
    let mut state = populated();
    select(&mut state, "api-demo");
    press(&mut state, Key::char('d'));
    lay_out(&mut state, 80, 24);
    press(&mut state, Key::plain(KeyCode::Tab));
    // The pane's lines between its borders.
    let pane_of = |screen: &str| -> Vec<String> {
        let mut lines: Vec<String> = screen
            .lines()
            .skip_while(|line| !line.contains("detail ·"))
            .skip(1)
            .take_while(|line| !line.contains('└'))
            .map(|line| {
                line.trim_matches(|c| c == '"' || c == '│')
                    .trim()
                    .to_string()
            })
            .collect();
        while lines.last().is_some_and(|line| line.is_empty()) {
            lines.pop();
        }
        lines
    };
    let whole = pane_of(&text(&state, 200, 60));
    let top = pane_of(&text(&state, 80, 24));
    assert_ne!(
        top.last(),
        whole.last(),
        "at 80×24 the detail is taller than its pane"
    );
    press(&mut state, Key::char('G'));
    let end = pane_of(&text(&state, 80, 24));
    assert_eq!(end.last(), whole.last(), "{end:#?}");
    assert!(
        !end.iter().any(|line| line.contains("template web")),
        "{end:#?}"
    );
    press(&mut state, Key::char('g'));
    assert_eq!(pane_of(&text(&state, 80, 24)), top);
}
