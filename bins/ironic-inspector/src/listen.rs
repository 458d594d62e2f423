//! Where the API listens: TCP (`listen_address` / `listen_port`), TLS over TCP
//! (`use_ssl` with `[ssl] cert_file` / `key_file`), or a UNIX socket
//! (`listen_unix_socket`, `listen_unix_socket_mode`); each connection is
//! served by `connection.rs` over the checks of `screen.rs`.

mod connection;
mod screen;

use std::future::Future;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use inspector_config::{ApiProtectionOptions, DefaultOptions};
use tokio::net::{TcpListener, TcpStream, UnixListener};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

pub(crate) use connection::ConnectionLimits;

/// TLS handshakes that do not finish in this time are dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to listen, checked from the options before anything starts.
pub(crate) enum Endpoint {
    /// Plain HTTP over TCP.
    Tcp(SocketAddr),
    /// HTTPS over TCP.
    Tls(SocketAddr, TlsAcceptor),
    /// Plain HTTP on a UNIX socket with an optional file mode.
    Unix(PathBuf, Option<u32>),
}

impl Endpoint {
    /// The endpoint `[DEFAULT]` and `[ssl]` describe; certificate problems are errors here.
    pub(crate) fn from_options(defaults: &DefaultOptions) -> anyhow::Result<Self> {
        if let Some(path) = &defaults.listen_unix_socket {
            return Ok(Self::Unix(
                PathBuf::from(path),
                defaults.listen_unix_socket_mode,
            ));
        }
        let address = tcp_address(defaults)?;
        Ok(if defaults.use_ssl {
            Self::Tls(address, tls_acceptor(defaults)?)
        } else {
            Self::Tcp(address)
        })
    }
}

impl ConnectionLimits {
    /// The limits `[api]` sets.
    pub(crate) fn from_options(options: &ApiProtectionOptions) -> Self {
        Self {
            max_connections: (options.max_connections > 0)
                .then(|| usize::try_from(options.max_connections).unwrap_or(usize::MAX)),
            header_read_timeout: (options.header_read_timeout > 0)
                .then(|| Duration::from_secs(options.header_read_timeout)),
            head: screen::Limits::default(),
        }
    }
}

/// Serves `app` on `endpoint` until `shutdown` completes; once bound, the
/// URL clients reach it by (`http://ADDR:PORT`, `https://...`) goes to
/// `listening` (nothing for a UNIX socket); systemd hears that the service
/// is ready.
pub(crate) async fn serve(
    endpoint: Endpoint,
    limits: ConnectionLimits,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    listening: tokio::sync::oneshot::Sender<String>,
) -> anyhow::Result<()> {
    let (address, tls) = match endpoint {
        Endpoint::Unix(path, mode) => return serve_unix(path, mode, limits, app, shutdown).await,
        Endpoint::Tcp(address) => (address, None),
        Endpoint::Tls(address, acceptor) => (address, Some(acceptor)),
    };
    let tcp = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = tcp.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{local}");
    crate::systemd::ready(&url);
    let _ = listening.send(url);
    tracing::info!("listening on {scheme}://{local}");
    // The client address reaches the handlers as `ConnectInfo`.
    let peer = |address: &SocketAddr| Some(ConnectInfo(*address));
    match tls {
        Some(acceptor) => {
            connection::serve(TlsListener::new(tcp, acceptor), app, limits, shutdown, peer).await;
        }
        None => connection::serve(tcp, app, limits, shutdown, peer).await,
    }
    Ok(())
}

fn tcp_address(defaults: &DefaultOptions) -> anyhow::Result<SocketAddr> {
    let host = defaults.listen_address.trim_matches(['[', ']']);
    let bracketed = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    format!("{bracketed}:{}", defaults.listen_port)
        .parse()
        .with_context(|| format!("invalid listen address {host}"))
}

/// A UNIX socket; a stale socket file is removed at start and at stop.
async fn serve_unix(
    path: PathBuf,
    mode: Option<u32>,
    limits: ConnectionLimits,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    match std::fs::remove_file(&path) {
        Ok(()) => tracing::info!(path = %path.display(), "removed a stale socket file"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => bail!("cannot remove {}: {error}", path.display()),
    }
    let listener = UnixListener::bind(&path)
        .with_context(|| format!("cannot listen on {}", path.display()))?;
    if let Some(mode) = mode {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of {}", path.display()))?;
    }
    tracing::info!("listening on unix:{}", path.display());
    crate::systemd::ready(&format!("unix:{}", path.display()));
    connection::serve(listener, app, limits, shutdown, |_| None).await;
    let _ = std::fs::remove_file(&path);
    Ok(())
}

fn tls_acceptor(defaults: &DefaultOptions) -> anyhow::Result<TlsAcceptor> {
    let (Some(cert_file), Some(key_file)) = (&defaults.ssl_cert_file, &defaults.ssl_key_file)
    else {
        bail!("use_ssl = true needs [ssl] cert_file and key_file");
    };
    let certificates = CertificateDer::pem_file_iter(cert_file)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("[ssl] cert_file {cert_file}"))?;
    let key = PrivateKeyDer::from_pem_file(key_file)
        .with_context(|| format!("[ssl] key_file {key_file}"))?;
    let config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_no_client_auth()
    .with_single_cert(certificates, key)
    .context("[ssl] cert_file and key_file do not make a usable certificate")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// TCP connections after their TLS handshake; handshakes run concurrently so
/// a slow client cannot hold up the others.
struct TlsListener {
    local: SocketAddr,
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> Self {
        let local = tcp.local_addr().expect("a bound listener has an address");
        let (sender, ready) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if sender.is_closed() {
                    return;
                }
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = sender.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => tracing::info!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Self { local, ready }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accepting task only ends once this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
