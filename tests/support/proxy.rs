//! A loopback HTTP proxy between the SDK and moto that counts requests per API action and
//! injects faults: latency, resets, 5xx, throttling, answers of its own, answers lost after
//! the server acted, and requests held until the test lets them through. It counts the faults
//! it injected too, so a test can show that its fault fired.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Forward to the server, then close the connection without answering.
    LoseAnswer,
    Delay(Duration),
    /// Close the connection before forwarding.
    Reset,
    /// Answer with this HTTP status and a server error, without forwarding.
    Status(u16),
    /// Answer with a ThrottlingException, without forwarding.
    Throttle,
    /// Answer with this HTTP status and JSON body, without forwarding: an AWS error of any
    /// kind, or a success the client cannot decode.
    Answer(u16, String),
    /// Keep the request until [`Proxy::release`], then forward it.
    Hold,
}

impl Fault {
    /// An AWS error answer: `{"__type": kind, "message": message}` with a 400.
    pub fn aws_error(kind: &str, message: &str) -> Fault {
        Fault::Answer(
            400,
            serde_json::json!({ "__type": kind, "message": message }).to_string(),
        )
    }
}

#[derive(Debug, Clone)]
struct Rule {
    /// Matches the end of `X-Amz-Target` ("RunTask") or a form body's `Action`, or every
    /// request when None.
    action: Option<String>,
    fault: Fault,
    /// How many more requests it applies to; None = until cleared.
    remaining: Option<usize>,
    /// Applies only once a request for this action has been seen (and not to that action).
    after: Option<String>,
}

/// Changes a JSON answer before the client sees it.
pub type Rewrite = Arc<dyn Fn(&mut serde_json::Value) + Send + Sync>;

#[derive(Default)]
struct Shared {
    rules: Vec<Rule>,
    /// Actions sent to another server than moto (a stand-in for what moto lacks).
    routes: BTreeMap<String, String>,
    /// Successful answers to these actions are rewritten (what moto leaves out put in).
    rewrites: BTreeMap<String, Rewrite>,
    counts: BTreeMap<String, usize>,
    /// The JSON bodies of requests per action, for actions whose bodies are recorded.
    bodies: BTreeMap<String, Vec<serde_json::Value>>,
    /// Requests per API action that a fault was applied to.
    injected: BTreeMap<String, usize>,
    /// Requests waiting in a [`Fault::Hold`].
    held: usize,
}

#[derive(Clone)]
pub struct Proxy {
    pub endpoint: String,
    shared: Arc<Mutex<Shared>>,
    /// Open (true) lets held requests through.
    gate: Arc<watch::Sender<bool>>,
}

impl Proxy {
    /// Start in front of `upstream` (`http://127.0.0.1:PORT`) on its own thread.
    pub fn start(upstream: &str) -> Proxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("http upstream")
            .to_string();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (gate, gate_rx) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let state = shared.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
                ready_tx
                    .send(listener.local_addr().expect("addr").port())
                    .expect("ready");
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(serve(
                        client,
                        upstream.clone(),
                        state.clone(),
                        gate_rx.clone(),
                    ));
                }
            });
        });
        let port = ready_rx.recv().expect("proxy port");
        Proxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            shared,
            gate: Arc::new(gate),
        }
    }

    /// Apply `fault` to requests for `action` (or all), `times` times (or until cleared).
    pub fn inject(&self, action: Option<&str>, fault: Fault, times: Option<usize>) {
        self.shared.lock().unwrap().rules.push(Rule {
            action: action.map(str::to_string),
            fault,
            remaining: times,
            after: None,
        });
    }

    /// Hold every request that comes after the first one for `action` (a RunTask, say),
    /// until [`Proxy::release`].
    pub fn hold_after(&self, action: &str) {
        self.shared.lock().unwrap().rules.push(Rule {
            action: None,
            fault: Fault::Hold,
            remaining: None,
            after: Some(action.to_string()),
        });
    }

    /// Requests waiting in a hold now.
    pub fn held(&self) -> usize {
        self.shared.lock().unwrap().held
    }

    /// Let held requests (and any later ones) through.
    pub fn release(&self) {
        self.gate.send_replace(true);
    }

    /// Send requests for `action` (`ExecuteCommand`) to `upstream` (`http://127.0.0.1:PORT`)
    /// instead of moto; they are counted and faulted like the others.
    pub fn route(&self, action: &str, upstream: &str) {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("http upstream")
            .to_string();
        self.shared
            .lock()
            .unwrap()
            .routes
            .insert(action.to_string(), upstream);
    }

    /// Rewrite every successful JSON answer to `action` with `change`.
    pub fn rewrite(
        &self,
        action: &str,
        change: impl Fn(&mut serde_json::Value) + Send + Sync + 'static,
    ) {
        self.shared
            .lock()
            .unwrap()
            .rewrites
            .insert(action.to_string(), Arc::new(change));
    }

    /// Keep the JSON body of every request for `action` (what moto does not store, checked
    /// as sent).
    pub fn record(&self, action: &str) {
        self.shared
            .lock()
            .unwrap()
            .bodies
            .insert(action.to_string(), Vec::new());
    }

    /// The bodies of the requests for `action` since [`Proxy::record`].
    pub fn recorded(&self, action: &str) -> Vec<serde_json::Value> {
        self.shared.lock().unwrap().bodies[action].clone()
    }

    pub fn clear(&self) {
        self.shared.lock().unwrap().rules.clear();
    }

    /// Requests seen for an action ("ListTasks"), faulted or not.
    pub fn count(&self, action: &str) -> usize {
        *self.shared.lock().unwrap().counts.get(action).unwrap_or(&0)
    }

    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.shared.lock().unwrap().counts.clone()
    }

    /// Requests for an action ("ListTasks") that a fault was applied to.
    pub fn injected(&self, action: &str) -> usize {
        *self
            .shared
            .lock()
            .unwrap()
            .injected
            .get(action)
            .unwrap_or(&0)
    }
}

/// One request per connection: it is forwarded with `Connection: close`, so the answer ends
/// at the server's EOF and the client opens a new connection for the next request.
async fn serve(
    mut client: TcpStream,
    upstream: String,
    shared: Arc<Mutex<Shared>>,
    mut gate: watch::Receiver<bool>,
) {
    let Some((head, body)) = read_request(&mut client).await else {
        return;
    };
    let action = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("x-amz-target")
                .then(|| value.trim().rsplit('.').next().unwrap_or("").to_string())
        })
        .or_else(|| query_action(&body))
        .unwrap_or_else(|| "other".to_string());
    let fault = {
        let mut shared = shared.lock().unwrap();
        *shared.counts.entry(action.clone()).or_default() += 1;
        if let Some(bodies) = shared.bodies.get_mut(&action) {
            bodies.push(serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null));
        }
        let counts = shared.counts.clone();
        let rule = shared.rules.iter_mut().find(|rule| {
            rule.remaining != Some(0)
                && rule.action.as_deref().is_none_or(|a| a == action)
                && rule
                    .after
                    .as_deref()
                    .is_none_or(|after| after != action && counts.contains_key(after))
        });
        let fault = rule.map(|rule| {
            if let Some(left) = rule.remaining.as_mut() {
                *left -= 1;
            }
            rule.fault.clone()
        });
        if fault.is_some() {
            *shared.injected.entry(action.clone()).or_default() += 1;
        }
        fault
    };
    let (upstream, rewrite) = {
        let shared = shared.lock().unwrap();
        (
            shared.routes.get(&action).cloned().unwrap_or(upstream),
            shared.rewrites.get(&action).cloned(),
        )
    };
    match fault {
        Some(Fault::Reset) => return,
        Some(Fault::Status(code)) => {
            let body = r#"{"__type":"ServerException","message":"injected server error"}"#;
            let _ = client.write_all(json_answer(code, body).as_bytes()).await;
            return;
        }
        Some(Fault::Throttle) => {
            let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
            let _ = client.write_all(json_answer(400, body).as_bytes()).await;
            return;
        }
        Some(Fault::Answer(code, body)) => {
            let _ = client.write_all(json_answer(code, &body).as_bytes()).await;
            return;
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Hold) => {
            shared.lock().unwrap().held += 1;
            let _ = gate.wait_for(|open| *open).await;
            shared.lock().unwrap().held -= 1;
        }
        Some(Fault::LoseAnswer) | None => {}
    }
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let mut forwarded: String = head
        .lines()
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:") && !line.is_empty())
        .map(|line| format!("{line}\r\n"))
        .collect();
    forwarded.push_str("Connection: close\r\n\r\n");
    if server.write_all(forwarded.as_bytes()).await.is_err()
        || server.write_all(&body).await.is_err()
    {
        return;
    }
    let mut answer = Vec::new();
    let _ = server.read_to_end(&mut answer).await;
    if fault == Some(Fault::LoseAnswer) {
        return;
    }
    if let Some(rewrite) = rewrite {
        answer = rewritten(answer, &*rewrite);
    }
    let _ = client.write_all(&answer).await;
    let _ = client.shutdown().await;
}

/// The `Action` of a query-protocol form body (STS, EC2): `Action=GetCallerIdentity&…`.
fn query_action(body: &[u8]) -> Option<String> {
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action=").map(str::to_string))
}

/// A 200 with a JSON body, changed; anything else as it was.
fn rewritten(answer: Vec<u8>, rewrite: &(dyn Fn(&mut serde_json::Value) + Send + Sync)) -> Vec<u8> {
    let Some(at) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return answer;
    };
    let head = String::from_utf8_lossy(&answer[..at]).to_string();
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return answer;
    }
    let Ok(mut body) = serde_json::from_slice::<serde_json::Value>(&answer[at + 4..]) else {
        return answer;
    };
    rewrite(&mut body);
    let body = body.to_string();
    let mut head: String = head
        .lines()
        .filter(|line| {
            let lower = line.to_ascii_lowercase();
            !lower.starts_with("content-length:") && !lower.starts_with("transfer-encoding:")
        })
        .map(|line| format!("{line}\r\n"))
        .collect();
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    [head.into_bytes(), body.into_bytes()].concat()
}

fn json_answer(code: u16, body: &str) -> String {
    format!(
        "HTTP/1.1 {code} Injected\r\nContent-Type: application/x-amz-json-1.1\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn read_request(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let read = client.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let read = client.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((head, body))
}
