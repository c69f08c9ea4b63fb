//! `F` in `ondeck --demo`, end to end in a pseudo-terminal: the forward dialog offers the
//! instance's container ports, enter forwards the first one to a free loopback port shown on
//! screen, a plain TCP client there gets the demo service's answer, and quitting closes it.

mod pty;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use pty::PtyBuilder;

/// Generous: the debug binary on a shared, busy machine.
const SHORT: Duration = Duration::from_secs(15);

/// The local port in "forwarding localhost:PORT → web:8080".
fn forwarded_port(screen: &str) -> Option<u16> {
    let after = screen.split("forwarding localhost:").nth(1)?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    after[digits.len()..]
        .starts_with(" → web:8080")
        .then(|| digits.parse().ok())
        .flatten()
}

#[test]
fn f_forwards_a_port_that_a_local_client_reaches() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(160, 40, state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck(&["--demo"]);
    pty.wait_for_text("checkout-fix", SHORT);

    // Filter down to checkout-fix (web-stack: web:8080, api:3000, db:5432).
    pty.send_keys("/checkout-fix\r");
    pty.send_keys("F");
    pty.wait_for("the dialog with web:8080 ready", SHORT, |screen| {
        screen.contains("Forward a port")
            && screen
                .lines()
                .any(|line| line.contains("web:8080") && line.contains("agent RUNNING"))
            && screen.contains("db:5432")
    });

    // Accept the prefilled port and a free local one.
    pty.send_keys("\r");
    let screen = pty.wait_for("the forward to listen", SHORT, |screen| {
        forwarded_port(screen).is_some()
    });
    let port = forwarded_port(&screen).unwrap();

    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("the forward listens");
    client
        .set_read_timeout(Some(SHORT))
        .expect("a read timeout");
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    client
        .read_to_string(&mut answer)
        .expect("the demo service answers and closes");
    assert!(answer.starts_with("HTTP/1."), "an HTTP answer: {answer}");
    assert!(
        answer.contains("ondeck demo: web answering on port 8080"),
        "the web container's service answered: {answer}"
    );

    // The detail pane lists it with what it carried.
    pty.send_keys("d");
    pty.wait_for("the forward in the detail pane", SHORT, |screen| {
        screen.lines().any(|line| {
            line.contains(&format!("localhost:{port} → web:8080")) && line.contains(" open")
        })
    });

    pty.send_keys("q");
    pty.wait_for_exit(SHORT);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on {port} once ondeck has quit"
    );
}
