use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::*;

#[test]
fn text_that_fits_is_left_alone() {
    assert_eq!(fit("data-pipeline", 13, "…"), "data-pipeline");
    assert!(matches!(fit("web", 8, "…"), Cow::Borrowed("web")));
    assert_eq!(fit("", 0, "…"), "");
}

#[test]
fn a_cut_ends_with_the_ellipsis_within_the_width() {
    assert_eq!(fit("data-pipeline", 8, "…"), "data-pi…");
    assert_eq!(fit("data-pipeline", 8, "~"), "data-pi~");
    assert_eq!(fit("DEPROVISIONING", 1, "…"), "…");
    assert_eq!(fit("DEPROVISIONING", 0, "…"), "");
}

#[test]
fn wide_characters_are_counted_by_columns_and_never_split() {
    // "⏰" and "名" take two columns each.
    assert_eq!(fit("⏰ scratch", 6, "…"), "⏰ sc…");
    assert_eq!(fit("名前名前", 4, "…"), "名…");
    assert_eq!(UnicodeWidthStr::width(fit("名前名前", 4, "…").as_ref()), 3);
}

#[test]
fn an_address_keeps_its_port_and_loses_the_start_of_its_host() {
    assert_eq!(
        fit_start("10.123.234.56:18080", 19, "…"),
        "10.123.234.56:18080"
    );
    assert_eq!(fit_start("10.123.234.56:18080", 12, "…"), "…34.56:18080");
    assert_eq!(fit_start("10.123.234.56:18080", 12, "~"), "~34.56:18080");
}

#[test]
fn a_line_is_cut_in_the_span_at_the_edge_and_keeps_the_styles_before_it() {
    let line = Line::from(vec![
        Span::styled("⏰ ", Style::new().red()),
        Span::raw("checkout-fix-nightly"),
    ]);
    let cut = fit_line(line.clone(), 10, "…");
    assert_eq!(cut.width(), 10);
    assert_eq!(cut.spans[0], Span::styled("⏰ ", Style::new().red()));
    assert_eq!(cut.spans[1].content, "checko");
    assert_eq!(cut.spans[2].content, "…");
    assert_eq!(fit_line(line.clone(), 40, "…"), line);
    let right = Line::from("0.025").right_aligned();
    assert_eq!(
        fit_line(right, 4, "…").alignment,
        Some(ratatui::layout::Alignment::Right)
    );
}
