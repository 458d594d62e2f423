//! `ironic-inspector-migrate-data --from {database|swift} --to {database|swift}`:
//! copies every record's stored introspection data (processed, then
//! unprocessed; records in the order of the status list) from one store to
//! the other, and prints upstream's summary.

#![allow(clippy::print_stdout)] // A command-line tool reporting on standard output.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use inspector_config::{ConfigSources, DatabaseOptions, SwiftOptions};
use inspector_core::{DataStore, StoreError, SwiftStore};
use inspector_ironic::swift::SwiftObjects;
use inspector_node_cache::{DatabaseUrl, Db, InProcessLocks, NodeCache, NodeUuid, PoolOptions};

/// A data store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Store {
    /// The database storage backend.
    Database,
    /// The Swift storage backend.
    Swift,
}

/// Migrate introspected data between Swift and database.
#[derive(Debug, Parser)]
#[command(name = "ironic-inspector-migrate-data", version, about)]
struct Cli {
    /// The source storage where the introspected data will be read from.
    #[arg(long = "from", value_enum)]
    source: Store,
    /// The target storage where the introspected data will be saved to.
    #[arg(long = "to", value_enum)]
    target: Store,
    /// Configuration file; may be repeated, later files override earlier ones.
    #[arg(long = "config-file", value_name = "PATH")]
    config_files: Vec<PathBuf>,
    /// Directory of `*.conf` files read after the configuration files.
    #[arg(long = "config-dir", value_name = "DIR")]
    config_dirs: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        tokio::select! {
            outcome = migrate(&cli) => match outcome {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("{error:#}");
                    ExitCode::FAILURE
                }
            },
            _ = tokio::signal::ctrl_c() => {
                eprintln!("... terminating migration tool");
                ExitCode::from(130)
            }
        }
    })
}

fn store(kind: Store, cache: &NodeCache, sources: &ConfigSources) -> anyhow::Result<DataStore> {
    Ok(match kind {
        Store::Database => DataStore::Database(cache.clone()),
        Store::Swift => {
            let swift = SwiftOptions::from_sources(sources)?;
            DataStore::Swift(Arc::new(SwiftStore::new(
                SwiftObjects::new(swift.access, swift.container),
                swift.delete_after,
            )))
        }
    })
}

/// What happened to one item.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Migrated,
    NoContent,
    Failed,
}

async fn migrate_one(
    source: &DataStore,
    target: &DataStore,
    uuid: NodeUuid,
    processed: bool,
) -> Outcome {
    let data = match source.load(uuid, processed).await {
        Ok(data) if data.is_empty() => return Outcome::NoContent,
        Ok(data) => data,
        // Nothing stored for this item: nothing to move.
        Err(StoreError::NotFound(_)) => return Outcome::NoContent,
        Err(error) => {
            eprintln!(
                "Migrate introspection data failed for node {uuid} (processed {processed}), error: {error}"
            );
            return Outcome::Failed;
        }
    };
    match target.save(uuid, processed, &data).await {
        Ok(()) => Outcome::Migrated,
        // Already there (a previous run): as good as migrated.
        Err(_) if target.load(uuid, processed).await.is_ok() => Outcome::Migrated,
        Err(error) => {
            eprintln!(
                "Migrate introspection data failed for node {uuid} (processed {processed}), error: {error}"
            );
            Outcome::Failed
        }
    }
}

async fn migrate(cli: &Cli) -> anyhow::Result<String> {
    if cli.source == cli.target {
        bail!("Source and destination can not be the same.");
    }
    let sources = ConfigSources::load(&cli.config_files, &cli.config_dirs)?;
    let database = DatabaseOptions::from_sources(&sources)?;
    let url = DatabaseUrl::parse(&database.connection)?;
    let db = Db::open(&url, &PoolOptions::from_config(&database))
        .await
        .context("cannot open the database")?;
    let cache = NodeCache::new(db, Arc::new(InProcessLocks::new()));
    let source = store(cli.source, &cache, &sources)?;
    let target = store(cli.target, &cache, &sources)?;
    let records = cache.list_nodes(None, None, None).await?;
    let items: Vec<(NodeUuid, bool)> = records
        .iter()
        .flat_map(|record| [(record.uuid, true), (record.uuid, false)])
        .collect();
    let mut failed = Vec::new();
    for (uuid, processed) in &items {
        if migrate_one(&source, &target, *uuid, *processed).await == Outcome::Failed {
            failed.push(format!(
                "{uuid}(processed={})",
                if *processed { "True" } else { "False" }
            ));
        }
    }
    Ok(summary(items.len(), &failed))
}

/// Upstream's closing line.
fn summary(total: usize, failed: &[String]) -> String {
    let mut text = format!("Finished introspection data migration, total records: {total}. ");
    if !failed.is_empty() {
        text.push_str("Failed to migrate:\n");
        text.push_str(&failed.join("\n"));
    } else if total > 0 {
        text.push_str("all records are migrated successfully.");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_as_upstream() {
        assert_eq!(
            summary(4, &[]),
            "Finished introspection data migration, total records: 4. all records are migrated successfully."
        );
        assert_eq!(
            summary(2, &["u1(processed=False)".into()]),
            "Finished introspection data migration, total records: 2. Failed to migrate:\nu1(processed=False)"
        );
        assert_eq!(
            summary(0, &[]),
            "Finished introspection data migration, total records: 0. "
        );
    }
}
