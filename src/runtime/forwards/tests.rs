//! Forwards run by the runner against the demo cloud: `F` on an instance listens on a free
//! loopback port whose connections reach the container's stand-in service, figures come back
//! as actions, `x` closes the forward and quitting closes every one.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::runtime::runner::{Runner, Timeouts};
use crate::runtime::{CloudFactory, dispatch};
use ondeck_core::config::Profile;
use ondeck_core::instances::identity::InstanceRef;
use ondeck_engine::ops::OpsContext;
use ondeck_sim::{DemoCloud, demo_config};
use ondeck_tui::state::keymap::{Key, KeyCode, Keymap};
use ondeck_tui::state::timeline::Journal;
use ondeck_tui::state::{Action, AppState, StartOptions};

fn no_factory() -> CloudFactory {
    Arc::new(|_: Profile| Box::pin(async { anyhow::bail!("no credentials for this profile") }))
}

struct Demo {
    state: AppState,
    runner: Runner,
    inbox: UnboundedReceiver<Action>,
    _dir: tempfile::TempDir,
}

impl Demo {
    fn start() -> Demo {
        let config = demo_config("ana");
        let dir = tempfile::tempdir().unwrap();
        let ctx = OpsContext::new(
            Arc::new(DemoCloud::new("ana", 20.0)),
            config.profiles["demo"].clone(),
            dir.path().to_path_buf(),
            false,
        );
        let (actions, inbox) = unbounded_channel();
        let runner = Runner::new(ctx, no_factory(), actions, Timeouts::default());
        let state = AppState::new(
            &config,
            StartOptions {
                profile: "demo".into(),
                read_only: false,
                all_owners: false,
                // Opens on its logs; `Esc` (in `forward`) gives the keys back to the table.
                select: Some(InstanceRef::mine("checkout-fix")),
                keymap: Keymap::default(),
                journal: Journal::default(),
                now: Utc::now(),
            },
        )
        .unwrap();
        Demo {
            state,
            runner,
            inbox,
            _dir: dir,
        }
    }

    fn act(&mut self, action: Action) {
        dispatch(&mut self.state, &mut self.runner, action);
    }

    fn press(&mut self, key: Key) {
        self.act(Action::Key(key));
    }

    /// Takes actions (ticking now and then) until `done` holds; panics after 20 s.
    async fn until(&mut self, what: &str, done: impl Fn(&AppState) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.state) {
            let waited = tokio::time::timeout(Duration::from_millis(200), self.inbox.recv()).await;
            match waited {
                Ok(Some(action)) => self.act(action),
                Ok(None) => panic!("the runner's channel closed"),
                Err(_) => self.act(Action::Tick(Utc::now())),
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited 20 s for {what}"
            );
        }
    }

    /// checkout-fix's first container (web, port 8080) has its exec agent RUNNING.
    fn forwardable(state: &AppState) -> bool {
        state
            .rows()
            .into_iter()
            .find(|instance| instance.name == "checkout-fix")
            .is_some_and(|instance| {
                instance.tasks.iter().any(|task| {
                    task.exec_enabled
                        && task
                            .containers
                            .first()
                            .is_some_and(|c| c.exec_agent.as_deref() == Some("RUNNING"))
                })
            })
    }

    /// `F`, enter on the prefilled port: the local port it listens on.
    async fn forward(&mut self) -> u16 {
        self.until("an instance whose agent runs", Demo::forwardable)
            .await;
        self.press(Key::plain(KeyCode::Esc));
        self.press(Key::char('F'));
        self.press(Key::plain(KeyCode::Enter));
        assert!(
            !self.state.forwards_listed().is_empty(),
            "a forward is opening: {:?}",
            self.state.message
        );
        self.until("the forward to listen", |state| {
            state.forwards_listed().iter().any(|f| f.1.is_some())
        })
        .await;
        self.state.forwards_listed()[0].1.unwrap()
    }
}

async fn get(port: u16) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_carries_http_reports_its_figures_and_x_closes_it() {
    let mut demo = Demo::start();
    let port = demo.forward().await;
    let answer = tokio::time::timeout(Duration::from_secs(10), get(port))
        .await
        .expect("an answer within 10 s")
        .expect("the forward answers");
    assert!(answer.contains("ondeck demo:"), "{answer}");
    assert!(answer.contains("answering on port"), "{answer}");

    demo.until("figures with the bytes moved", |state| {
        state
            .forwards_listed()
            .first()
            .is_some_and(|forward| forward.2.sent > 0 && forward.2.received > 0)
    })
    .await;
    assert_eq!(demo.runner.forward_count(), 1);

    // The cursor's only item may be a link of the template: step onto the forward.
    while !demo.state.forward_selected() {
        demo.press(Key::char(']'));
    }
    demo.press(Key::char('x'));
    assert!(demo.state.forwards_listed().is_empty());
    let closed = async {
        while demo.runner.forward_count() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), closed)
        .await
        .expect("the forward's task ends once closed");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "nothing listens on {port} anymore"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_closes_every_forward() {
    let mut demo = Demo::start();
    let port = demo.forward().await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_ok());
    demo.runner.finish(Duration::from_secs(10)).await;
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "nothing listens on {port} after quitting"
    );
}
