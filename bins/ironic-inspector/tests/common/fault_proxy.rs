//! A fault-injecting TCP proxy between the service and (fake) Ironic: it
//! forwards, refuses connections or answers every request itself with a 5xx,
//! switched at any time by the test (slow answers are the fake's own latency).

#![allow(dead_code)] // Each test file uses part of it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Forwards every byte both ways.
    None,
    /// Closes every connection at once (Ironic unreachable).
    Refuse,
    /// Answers every request with this status (a 500/503 storm).
    Status(u16),
}

/// The proxy; it stops when dropped.
pub(crate) struct FaultProxy {
    address: SocketAddr,
    fault: watch::Sender<Fault>,
    accepted: Arc<Mutex<u64>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port, forwarding to `upstream` (`http://host:port`).
    pub(crate) async fn start(upstream: &str) -> Self {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("an http://IP:port upstream");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (fault, watched) = watch::channel(Fault::None);
        let accepted = Arc::new(Mutex::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                *counter.lock().unwrap() += 1;
                let watched = watched.clone();
                tokio::spawn(connection(client, upstream, watched));
            }
        });
        Self {
            address,
            fault,
            accepted,
            task,
        }
    }

    /// The URL to give the service as Ironic's.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Switches the fault; connections open under another fault are closed.
    pub(crate) fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    /// Connections accepted so far.
    pub(crate) fn accepted(&self) -> u64 {
        *self.accepted.lock().unwrap()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves one client connection under the fault of the moment; ends when the
/// fault changes, so that no pooled connection outlives it.
async fn connection(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut watched: watch::Receiver<Fault>,
) {
    let fault = *watched.borrow_and_update();
    match fault {
        Fault::Refuse => drop(client),
        Fault::Status(status) => {
            // Answers the first request of the connection, then closes it.
            let mut buffer = vec![0_u8; 64 * 1024];
            tokio::select! {
                read = client.read(&mut buffer) => {
                    if matches!(read, Ok(0) | Err(_)) {
                        return;
                    }
                    let body = format!(
                        "{{\"error_message\": \"{{\\\"faultstring\\\": \\\"injected fault {status}\\\"}}\"}}"
                    );
                    let answer = format!(
                        "HTTP/1.1 {status} Injected\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = client.write_all(answer.as_bytes()).await;
                }
                _ = watched.changed() => {}
            }
        }
        Fault::None => {
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = watched.changed() => {}
            }
        }
    }
}
