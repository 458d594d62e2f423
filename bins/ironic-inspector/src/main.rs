//! `ironic-inspector`: the HTTP API and the introspection engine in one
//! process, configured by upstream's `inspector.conf`.

mod auth;
mod coordination;
mod explain;
mod listen;
mod mdns;
mod memory;
mod pxe_filter;
mod systemd;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Parser;
use inspector_api::{ApiOptions, AppState, ContinueLimits};
use inspector_config::{
    ApiProtectionOptions, ConductorOptions, ConfigSources, CoordinationOptions, DatabaseOptions,
    DefaultOptions, HookOptions, IniFile, IronicOptions, MdnsOptions, PxeFilterOptions, StoreData,
    SwiftOptions, TimelineOptions,
};
use inspector_core::{Conductor, ConductorParts, DataStore, SwiftStore};
use inspector_hooks::HookSet;
use inspector_ironic::HttpIronic;
use inspector_node_cache::{Backend, DatabaseUrl, Db, NodeCache, PoolOptions, SchemaStatus};

/// Hardware introspection for OpenStack Bare Metal.
#[derive(Debug, Parser)]
#[command(name = "ironic-inspector", version, about)]
struct Cli {
    /// Configuration file; may be repeated, later files override earlier ones.
    #[arg(long = "config-file", value_name = "PATH", global = true)]
    config_files: Vec<PathBuf>,
    /// Directory of `*.conf` files read after the configuration files.
    #[arg(long = "config-dir", value_name = "DIR", global = true)]
    config_dirs: Vec<PathBuf>,
    /// Prints a sample configuration (every option with its type, default
    /// and help, commented out) and exits.
    #[arg(long)]
    print_sample_config: bool,
    /// Without a command, the service runs.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Prints the timeline of a node's introspection and where it stands,
    /// read from the database of the configuration.
    Explain {
        /// The node's UUID.
        node: String,
    },
}

/// Settings used when no configuration file is given: the embedded default.
const EMBEDDED_DEFAULTS: &str = "[DEFAULT]\nauth_strategy = noauth\nlisten_address = 0.0.0.0\n\
    [ironic]\nauth_type = none\nendpoint_override = http://127.0.0.1:6385\n[pxe_filter]\ndriver = noop\n";

fn main() -> ExitCode {
    memory::configure();
    let cli = Cli::parse();
    if cli.print_sample_config {
        return print_sample_config();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcome = match &cli.command {
        Some(Command::Explain { node }) => {
            runtime.block_on(async { explain::run(&sources(&cli)?, node).await })
        }
        None => runtime.block_on(run(cli)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ironic-inspector: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the sample configuration to standard output.
fn print_sample_config() -> ExitCode {
    use std::io::Write as _;
    let sample = inspector_config::catalog::sample_config();
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(sample.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ironic-inspector: error: cannot write the sample configuration: {error}");
            ExitCode::FAILURE
        }
    }
}

fn sources(cli: &Cli) -> anyhow::Result<ConfigSources> {
    if cli.config_files.is_empty() && cli.config_dirs.is_empty() {
        let embedded = IniFile::parse(
            EMBEDDED_DEFAULTS,
            std::path::Path::new("<embedded defaults>"),
        )?;
        return Ok(ConfigSources::from_files(vec![embedded]));
    }
    Ok(ConfigSources::load(&cli.config_files, &cli.config_dirs)?)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let sources = sources(&cli)?;
    let defaults = DefaultOptions::from_sources(&sources)?;
    let protection = ApiProtectionOptions::from_sources(&sources)?;
    init_logging(defaults.debug, protection.use_json);
    let config_dirs: Vec<PathBuf> = cli
        .config_files
        .iter()
        .filter_map(|file| file.parent().map(std::path::Path::to_path_buf))
        .chain(cli.config_dirs.iter().cloned())
        .collect();
    let auth = auth::from_config(&defaults, &sources, &config_dirs)?;
    let endpoint = listen::Endpoint::from_options(&defaults)?;
    let database = DatabaseOptions::from_sources(&sources)?;
    let hook_options = HookOptions::from_sources(&sources)?;
    let conductor_options = ConductorOptions::from_sources(&sources)?;
    let ironic_options = IronicOptions::from_sources(&sources)?;
    let hooks = HookSet::from_options(&hook_options).map_err(anyhow::Error::msg)?;
    let pxe_options = PxeFilterOptions::from_sources(&sources)?;
    let coordination_options = CoordinationOptions::from_sources(&sources)?;
    let timeline = TimelineOptions::from_sources(&sources)?;
    let swift = (conductor_options.store_data == StoreData::Swift)
        .then(|| SwiftOptions::from_sources(&sources))
        .transpose()?;
    let mdns_options = MdnsOptions::from_sources(&sources)?;
    let service_catalog = IronicOptions::service_catalog(&sources)?;
    for unknown in sources.unknown_options() {
        tracing::warn!(
            file = %unknown.path.display(),
            line = unknown.line,
            "[{}] {} is not used by this service; ignored",
            unknown.section,
            unknown.option
        );
    }

    let url = DatabaseUrl::parse(&database.connection)?;
    let db = Db::open(&url, &PoolOptions::from_config(&database))
        .await
        .context("cannot open the database")?;
    prepare_schema(&db).await?;
    let coordination = coordination::from_config(&coordination_options, &url, &db)?;
    let cache = NodeCache::new(db, coordination.locks.clone())
        .keeping_events(timeline.max_events)
        .keeping_unmatched(timeline.max_unmatched_reports);
    let ironic = Arc::new(
        HttpIronic::new(&ironic_options)
            .await
            .context("cannot set up the Ironic client")?,
    );
    let mut parts = ConductorParts::new(cache.clone(), ironic, hooks, conductor_options.clone());
    parts.pxe_filter = pxe_filter::from_config(&pxe_options, &conductor_options)?;
    parts.lease = coordination.lease.clone();
    match conductor_options.store_data {
        StoreData::None => {}
        StoreData::Database => parts.store = DataStore::Database(cache),
        StoreData::Swift => {
            let swift = swift.expect("read for store_data = swift");
            let objects = inspector_ironic::swift::SwiftObjects::new(swift.access, swift.container);
            parts.store = DataStore::Swift(Arc::new(SwiftStore::new(objects, swift.delete_after)));
        }
    }
    let conductor = Conductor::new(parts);
    conductor
        .init_pxe_filter()
        .await
        .map_err(|e| anyhow::anyhow!("cannot set up the PXE filter: {}", e.message))?;
    let api = ApiOptions::from_config(&defaults, &conductor_options, &protection);
    let limits = ContinueLimits::new(
        protection.continue_rate_per_client,
        protection.continue_rate_overall,
    );
    {
        let limits = limits.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                ticker.tick().await;
                limits.retain_recent();
            }
        });
    }
    memory::spawn_trimmer();
    let app =
        inspector_api::router(AppState::new(conductor.clone(), api, auth).with_limits(limits));

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let pxe_sync = {
        let conductor = conductor.clone();
        let mut stopped = stopped.clone();
        let period = std::time::Duration::from_secs(pxe_options.sync_period);
        tokio::spawn(async move {
            conductor
                .run_pxe_filter_sync(period, async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
        })
    };
    let periodic = {
        let conductor = conductor.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            conductor
                .run_periodic_tasks(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
        })
    };
    let (listening, listening_on) = tokio::sync::oneshot::channel();
    systemd::spawn_watchdog();
    let advertisement = mdns_options
        .enabled
        .then(|| tokio::spawn(advertise(mdns_options, service_catalog, listening_on)));
    listen::serve(
        endpoint,
        listen::ConnectionLimits::from_options(&protection),
        app,
        shutdown_signal(),
        listening,
    )
    .await?;
    systemd::stopping();
    let _ = stop.send(true);
    tracing::info!("stopping: finishing background work");
    conductor.wait_idle().await;
    let _ = periodic.await;
    let _ = pxe_sync.await;
    conductor.tear_down_pxe_filter().await;
    if let Some(leases) = &coordination.leases {
        leases.release_all().await;
    }
    if let Some(task) = advertisement
        && let Ok(Some(advertisement)) = task.await
    {
        let _ = tokio::task::spawn_blocking(move || advertisement.withdraw()).await;
    }
    Ok(())
}

/// Advertises the API by mDNS once it listens: at the endpoint
/// `[service_catalog]` names (its `endpoint_override`, or the Keystone
/// catalog), else where it listens. A failure is logged and the service
/// keeps serving.
async fn advertise(
    options: MdnsOptions,
    service_catalog: IronicOptions,
    listening_on: tokio::sync::oneshot::Receiver<String>,
) -> Option<mdns::Advertisement> {
    let listening = listening_on.await.ok();
    let catalog = if service_catalog.locates_a_service() {
        match inspector_ironic::catalog_endpoint(&service_catalog).await {
            Ok(endpoint) => Some(endpoint),
            Err(error) => {
                tracing::warn!(%error, "cannot find this service in the catalog; advertising where it listens");
                None
            }
        }
    } else {
        None
    };
    let Some(endpoint) = catalog.or(listening) else {
        tracing::warn!("not advertised by mDNS: the API listens on a UNIX socket");
        return None;
    };
    let registered =
        tokio::task::spawn_blocking(move || mdns::advertise(&options, &endpoint)).await;
    match registered {
        Ok(Ok(advertisement)) => Some(advertisement),
        Ok(Err(error)) => {
            tracing::error!("cannot advertise the API by mDNS: {error:#}");
            None
        }
        Err(error) => {
            tracing::error!(%error, "the mDNS registration did not finish");
            None
        }
    }
}

/// Text logs (colours on a terminal) or JSON lines; `RUST_LOG` overrides the level.
fn init_logging(debug: bool, json: bool) {
    let level = if debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

/// Creates the schema on first start of the embedded SQLite default; refuses an outdated schema elsewhere.
async fn prepare_schema(db: &Db) -> anyhow::Result<()> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        match db.schema_status_blocking()? {
            SchemaStatus::Empty if db.backend() == Backend::Sqlite => {
                db.upgrade_blocking(None)?;
                tracing::info!("created the database schema");
                Ok(())
            }
            status if status.is_current() => Ok(()),
            status => bail!("the database schema is not current ({status:?}); run `ironic-inspector-dbsync upgrade`"),
        }
    })
    .await?
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}
