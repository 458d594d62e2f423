//! `ironic-inspector-dbsync`: creates and upgrades the database schema named
//! by `[database] connection` of `inspector.conf`, with upstream's commands
//! and alembic revision names.

// A command-line tool: its answers go to standard output.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use inspector_config::{ConfigSources, DatabaseOptions};
use inspector_node_cache::{
    DatabaseUrl, Db, KNOWN_REVISIONS, PoolOptions, SchemaStatus, UPSTREAM_HEAD,
};

/// Creates and upgrades the ironic-inspector database.
#[derive(Debug, Parser)]
#[command(name = "ironic-inspector-dbsync", version, about)]
struct Cli {
    /// Configuration file; may be repeated, later files override earlier ones.
    #[arg(long = "config-file", value_name = "PATH", global = true)]
    config_files: Vec<PathBuf>,
    /// Directory of `*.conf` files read after the configuration files.
    #[arg(long = "config-dir", value_name = "DIR", global = true)]
    config_dirs: Vec<PathBuf>,
    /// Log debug messages.
    #[arg(short, long, global = true)]
    debug: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations up to a revision (default: head).
    Upgrade {
        /// Target revision; `head` (the default) applies everything.
        #[arg(long, num_args = 0..=1, default_missing_value = "head")]
        revision: Option<String>,
    },
    /// Record a revision as current without running migrations.
    Stamp {
        /// The revision to record (`head` or an upstream revision id).
        #[arg(long, required = true)]
        revision: String,
    },
    /// Show the current revision.
    Current,
    /// Show the current revision (same as `current`).
    Version,
    /// List the migration history.
    History,
    /// Show the head revision.
    Heads,
    /// Show branch points (there are none).
    Branches,
    /// Show details of a revision.
    Show {
        /// The revision.
        #[arg(long, required = true)]
        revision: String,
    },
    /// Open a revision's script in an editor (not available: migrations are embedded).
    Edit {
        /// The revision.
        #[arg(long, required = true)]
        revision: String,
    },
    /// Create a new migration script (not available: migrations are embedded).
    Revision {
        /// Message of the new revision.
        #[arg(short, long)]
        message: Option<String>,
        /// Compare the models with the database.
        #[arg(long)]
        autogenerate: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = if cli.debug { "debug" } else { "info" };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ironic-inspector-dbsync: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::History => {
            history();
            return Ok(());
        }
        Command::Heads => {
            println!("{UPSTREAM_HEAD} (head)");
            return Ok(());
        }
        Command::Branches => return Ok(()),
        Command::Show { revision } => return show(revision),
        Command::Edit { .. } | Command::Revision { .. } => {
            bail!(
                "migrations are embedded in this program; there are no scripts to edit or generate"
            )
        }
        _ => {}
    }
    let db = open(&cli)?;
    match cli.command {
        Command::Upgrade { revision } => {
            let applied = db.upgrade_blocking(revision.as_deref())?;
            if applied.is_empty() {
                tracing::info!("the database schema is up to date");
            }
            Ok(())
        }
        Command::Stamp { revision } => Ok(db.stamp_blocking(&revision)?),
        Command::Current | Command::Version => {
            match db.schema_status_blocking()? {
                SchemaStatus::Empty | SchemaStatus::Versioned { alembic: None, .. } => {}
                SchemaStatus::Unversioned => {
                    println!("unversioned: ironic-inspector tables without alembic_version")
                }
                status @ SchemaStatus::Versioned {
                    alembic: Some(_), ..
                } => {
                    let SchemaStatus::Versioned {
                        alembic: Some(revision),
                        pending,
                        ..
                    } = &status
                    else {
                        unreachable!("matched above")
                    };
                    let head = if status.is_current() { " (head)" } else { "" };
                    println!("{revision}{head}");
                    if revision == UPSTREAM_HEAD {
                        for version in pending {
                            println!("pending migration: {version}");
                        }
                    }
                }
            }
            Ok(())
        }
        _ => unreachable!("handled before opening the database"),
    }
}

fn open(cli: &Cli) -> anyhow::Result<Db> {
    let sources = ConfigSources::load(&cli.config_files, &cli.config_dirs)?;
    let options = DatabaseOptions::from_sources(&sources)?;
    let url = DatabaseUrl::parse(&options.connection)?;
    Db::open_blocking(&url, &PoolOptions::from_config(&options)).context("cannot open the database")
}

fn history() {
    for revision in KNOWN_REVISIONS.iter().rev() {
        let head = if revision.id == UPSTREAM_HEAD {
            " (head)"
        } else {
            ""
        };
        let down = revision.down_revision.unwrap_or("<base>");
        println!("{down} -> {}{head}, {}", revision.id, revision.message);
    }
}

fn show(requested: &str) -> anyhow::Result<()> {
    let id = if matches!(requested, "head" | "heads") {
        UPSTREAM_HEAD
    } else {
        requested
    };
    let Some(revision) = KNOWN_REVISIONS.iter().find(|r| r.id == id) else {
        bail!("Can't locate revision identified by '{requested}'");
    };
    let head = if revision.id == UPSTREAM_HEAD {
        " (head)"
    } else {
        ""
    };
    let parent = revision.down_revision.unwrap_or("<base>");
    println!(
        "Rev: {}{head}\nParent: {parent}\n\n    {}\n",
        revision.id, revision.message
    );
    println!(
        "    Revision ID: {}\n    Revises: {}\n    Create Date: {}",
        revision.id,
        revision.down_revision.unwrap_or(""),
        revision.created
    );
    Ok(())
}
