//! Words and text from AWS that ondeck does not control: unknown states, hostile names.

use super::*;

/// ECS may answer with words ondeck has never seen: they are shown as text, never a panic.
#[test]
fn unknown_states_and_stop_codes_render_as_text() {
    let mut state = app(false, at(10, 5));
    let mut odd = task("odd", "9a8b7c6d5e4f", TaskState::parse("HIBERNATING"));
    odd.desired_status = "SUSPENDED".into();
    odd.stop_code = Some("SpotInterruptionV2".into());
    odd.stopped_reason = Some("a reason from the future".into());
    poll(&mut state, at(10, 0), vec![instance("odd", vec![odd])]);
    press(&mut state, Key::char('d'));
    // The smallest screen has no room for the whole detail pane.
    for (width, height) in SIZES[1..].iter().copied() {
        let backend = draw(&state, width, height, true);
        let screen: String = backend
            .buffer()
            .content()
            .iter()
            .map(|cell| cell.symbol())
            .collect();
        assert!(screen.contains("HIBERNATING"), "{width}x{height}");
        assert!(screen.contains("SpotInterruptionV2"), "{width}x{height}");
    }
}

/// Names, tags and reasons come from whoever can tag a task: drawn cleaned, with the
/// characters that hide or reorder text shown as dim markers, and nothing a terminal would
/// obey left in any cell.
#[test]
fn hostile_text_from_aws_is_drawn_visibly_and_harmlessly() {
    const HOSTILE: &str = "evil\x1b]52;c;ZXZpbA==\x07\u{202e}gnp.exe\u{200b}";
    const SHOWN: &str = "evil<U+202E>gnp.exe<U+200B>";
    let mut stopped = task(HOSTILE, "4d3c2b1a00998877", TaskState::Stopped);
    stopped.stop_code = Some("EssentialContainerExited".into());
    stopped.stopped_reason = Some(format!("reason {HOSTILE}"));
    stopped.containers[0].reason = Some(format!("why {HOSTILE}"));
    let mut hostile = instance(HOSTILE, vec![stopped]);
    hostile.owner = HOSTILE.into();
    hostile.template = HOSTILE.into();
    let mut state = app(false, at(10, 5));
    state.all_owners = true;
    poll(&mut state, at(10, 4), vec![hostile]);
    press(&mut state, Key::char('d'));
    assert_eq!(crate::state::fixtures::selected_name(&state), Some(HOSTILE));

    // The smallest screen has no room for the whole detail pane.
    for (width, height) in SIZES[1..].iter().copied() {
        let backend = draw(&state, width, height, true);
        let buffer = backend.buffer();
        for cell in buffer.content() {
            assert!(
                !cell
                    .symbol()
                    .chars()
                    .any(|c| c.is_control() || ondeck_core::logs::sanitize::is_hidden(c)),
                "{width}x{height}: {:?} in a cell",
                cell.symbol()
            );
        }
        let screen = backend.to_string();
        for expected in [
            format!("detail · {SHOWN}"),
            format!("template {SHOWN}"),
            format!("why {SHOWN}"),
        ] {
            assert!(
                screen.contains(&expected),
                "{width}x{height}: {expected}\n{screen}"
            );
        }
        // The marker is dim, the text around it is not.
        let (row, line) = screen
            .lines()
            .enumerate()
            .find(|(_, line)| line.contains(&format!("template {SHOWN}")))
            .expect("the summary line");
        let column = |needle: &str| line[..line.find(needle).unwrap()].chars().count() as u16;
        let marker = &buffer[(column("<U+202E>"), row as u16)];
        assert!(marker.modifier.contains(Modifier::DIM), "{marker:?}");
        let name = &buffer[(column("evil<"), row as u16)];
        assert!(!name.modifier.contains(Modifier::DIM), "{name:?}");
    }
}
