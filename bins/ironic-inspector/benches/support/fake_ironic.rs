//! The fake Ironic in a process of its own, as a real Ironic is: the
//! benchmark binary runs itself again with `BENCH_FAKE_IRONIC` set, and that
//! copy serves the fake until its standard input closes. Nodes and ports are
//! created over its HTTP API; the number of requests it received is asked
//! for on its standard input, so that no request of the benchmark's own
//! counts as one of the service's.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Semaphore;

const CHILD: &str = "BENCH_FAKE_IRONIC";

/// In the copy started by [`FakeIronicProcess::spawn`]: serves the fake and
/// exits when the benchmark closes its standard input. Elsewhere returns.
pub(crate) fn serve_if_asked() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    // Two workers, as the service has: the fake must not be the bottleneck.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let fake = inspector_fake_ironic::FakeIronic::start()
            .await
            .expect("the fake Ironic listens");
        println!("{}", fake.url());
        let (lines, mut commands) = tokio::sync::mpsc::channel::<String>(1);
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if lines.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(command) = commands.recv().await {
            match command.as_str() {
                "requests" => println!("{}", fake.state().requests().len()),
                other => panic!("unknown command {other:?}"),
            }
        }
    });
    std::process::exit(0);
}

/// A fake Ironic running in a child process; stopped when dropped.
pub(crate) struct FakeIronicProcess {
    child: Child,
    commands: ChildStdin,
    answers: BufReader<ChildStdout>,
    url: String,
}

impl FakeIronicProcess {
    /// Starts the child and waits until it says where it listens.
    pub(crate) fn spawn() -> Self {
        let mut child = Command::new(std::env::current_exe().expect("the benchmark's path"))
            .env(CHILD, "1")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the fake Ironic starts");
        let commands = child.stdin.take().expect("stdin is piped");
        let mut answers = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut url = String::new();
        answers
            .read_line(&mut url)
            .expect("the fake says where it listens");
        assert!(url.starts_with("http://"), "the fake Ironic said {url:?}");
        Self {
            child,
            commands,
            answers,
            url: url.trim().to_owned(),
        }
    }

    /// Ironic's root URL (`endpoint_override`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The child's process ID.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many requests the fake received so far.
    pub(crate) fn requests(&mut self) -> usize {
        writeln!(self.commands, "requests").expect("the fake reads commands");
        let mut line = String::new();
        self.answers.read_line(&mut line).expect("the fake answers");
        line.trim().parse().expect("a count")
    }

    /// Creates one node per `(body, mac)` with a port of that MAC, 16
    /// requests at a time, through the fake's API; their UUIDs, in order.
    pub(crate) async fn add_nodes(
        &self,
        http: &reqwest::Client,
        nodes: Vec<(Value, String)>,
    ) -> Vec<String> {
        let semaphore = Arc::new(Semaphore::new(16));
        let tasks: Vec<_> = nodes
            .into_iter()
            .map(|(body, mac)| {
                let (http, url, semaphore) = (http.clone(), self.url.clone(), semaphore.clone());
                tokio::spawn(async move {
                    let _permit = semaphore.acquire_owned().await.expect("open");
                    let node: Value =
                        created(http.post(format!("{url}/v1/nodes")).json(&body)).await;
                    let uuid = node["uuid"].as_str().expect("a node UUID").to_owned();
                    let port = serde_json::json!({"node_uuid": uuid, "address": mac});
                    created(http.post(format!("{url}/v1/ports")).json(&port)).await;
                    uuid
                })
            })
            .collect();
        let mut uuids = Vec::with_capacity(tasks.len());
        for task in tasks {
            uuids.push(task.await.expect("the creation task ends"));
        }
        uuids
    }
}

/// The document created by `request`, which must answer 201.
async fn created(request: reqwest::RequestBuilder) -> Value {
    let answer = request.send().await.expect("the fake answers");
    assert_eq!(answer.status(), 201, "creating in the fake Ironic");
    answer.json().await.expect("a JSON document")
}

impl Drop for FakeIronicProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
