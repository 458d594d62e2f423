//! Serving accepted connections: HTTP/1.1 over [`ScreenedIo`], at most
//! `[api] max_connections` at once, heads within `[api] header_read_timeout`,
//! graceful shutdown, and the end of each connection done so the client reads
//! its answer (a refused head answered in the error format, an unread body
//! drained before closing).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::response::IntoResponse;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use inspector_api::ApiError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use super::screen::{Limits, Rejection, ScreenedIo};

/// What a connection may hold and how long it may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    /// Connections served at once; more wait in the listen backlog. `None`: no limit.
    pub(crate) max_connections: Option<usize>,
    /// Time a client has to send a request head, idle keep-alive time included. `None`: no limit.
    pub(crate) header_read_timeout: Option<Duration>,
    /// Request head sizes.
    pub(crate) head: Limits,
}

/// Unread request bytes read and discarded before closing a connection, at most.
const DRAIN_BYTES: u64 = 16 * 1024 * 1024;
/// Time spent discarding them, at most.
const DRAIN_TIME: Duration = Duration::from_secs(3);
/// Time for writing a refused head's answer and closing.
const CLOSE_TIME: Duration = Duration::from_secs(5);

/// Accepts connections on `listener` and serves `app` on each until
/// `shutdown` completes, then waits for the open ones to finish their requests.
/// `with_peer` adds the client address (`ConnectInfo`) to each request.
pub(crate) async fn serve<L>(
    mut listener: L,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    with_peer: fn(&L::Addr) -> Option<ConnectInfo<std::net::SocketAddr>>,
) where
    L: Listener,
    L::Io: Send + 'static,
{
    let slots = limits
        .max_connections
        .map(|count| Arc::new(Semaphore::new(count)));
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let slot = match &slots {
            Some(slots) => tokio::select! {
                slot = Arc::clone(slots).acquire_owned() => Some(slot.expect("the semaphore is never closed")),
                () = &mut shutdown => break,
            },
            None => None,
        };
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let peer = with_peer(&peer);
        let app = app.clone();
        let stopped = stopped.clone();
        connections.spawn(async move {
            serve_connection(io, app, peer, limits, stopped).await;
            drop(slot);
        });
        // Finished connections are collected as they go.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
}

/// One connection, from its first byte to its close.
async fn serve_connection<I>(
    io: I,
    app: Router,
    peer: Option<ConnectInfo<std::net::SocketAddr>>,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        if let Some(peer) = peer {
            request.extensions_mut().insert(peer);
        }
        let app = app.clone();
        Box::pin(async move { Ok::<_, Infallible>(app.oneshot(request).await.into_response()) })
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // A client that stops sending still gets its answer: the request runs to its end.
        .half_close(true);
    let mut connection =
        builder.serve_connection(TokioIo::new(ScreenedIo::new(io, limits.head)), service);
    let mut stopping = false;
    let served = loop {
        tokio::select! {
            served = std::future::poll_fn(|cx| connection.poll_without_shutdown(cx)) => break served,
            changed = stopped.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    std::pin::Pin::new(&mut connection).graceful_shutdown();
                }
            }
        }
    };
    if let Err(error) = served {
        tracing::debug!(%error, "connection ended");
    }
    let mut io = connection.into_parts().io.into_inner();
    let _ = tokio::time::timeout(CLOSE_TIME, close(&mut io)).await;
}

/// Answers a refused head, closes the sending side, and reads what the
/// client still sends (within bounds) so the close does not reset the
/// connection under the answer.
async fn close<I: AsyncRead + AsyncWrite + Unpin>(io: &mut ScreenedIo<I>) {
    // Read before the refusal is taken: a refused head leaves the rest of its request unread.
    let unread = io.unread_request();
    if let Some(rejection) = io.take_rejection() {
        tracing::info!(status = rejection.status.as_u16(), error = %rejection.message, "request refused");
        if io
            .inner_mut()
            .write_all(&rejection_answer(rejection))
            .await
            .is_err()
        {
            return;
        }
    }
    let inner = io.inner_mut();
    if inner.shutdown().await.is_err() {
        return;
    }
    if let Some(unread) = unread {
        let budget = unread.min(DRAIN_BYTES);
        let mut sink = tokio::io::sink();
        let _ = tokio::time::timeout(
            DRAIN_TIME,
            tokio::io::copy(&mut inner.take(budget), &mut sink),
        )
        .await;
    }
}

/// A refused head's answer: the API's error body, then the connection closes.
fn rejection_answer(rejection: Rejection) -> Vec<u8> {
    let body = ApiError {
        status: rejection.status.as_u16(),
        message: rejection.message,
    }
    .body();
    let (min, max) = (inspector_api::MIN_VERSION, inspector_api::MAX_VERSION);
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\nconnection: close\r\n\
         x-openstack-ironic-inspector-api-minimum-version: {}.{}\r\n\
         x-openstack-ironic-inspector-api-maximum-version: {}.{}\r\n\r\n{body}",
        min.0,
        min.1,
        max.0,
        max.1,
        status = rejection.status,
        length = body.len(),
    )
    .into_bytes()
}
