//! `ironic-inspector explain <node-uuid>`: the timeline of a node's
//! introspection and where it stands, in plain text, read from the database
//! named by the configuration (no API or Ironic call).

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, bail};
use inspector_config::{ConfigSources, DatabaseOptions, TimelineOptions};
use inspector_node_cache::{
    DatabaseUrl, Db, Error as CacheError, InProcessLocks, NodeCache, NodeUuid, PoolOptions,
    SchemaStatus,
};

/// Prints the account of `node`'s introspection to standard output.
pub(crate) async fn run(sources: &ConfigSources, node: &str) -> anyhow::Result<()> {
    let uuid = NodeUuid::parse(node).map_err(|_| {
        anyhow::anyhow!("{node} is not a node UUID (names need Ironic; use the UUID)")
    })?;
    let database = DatabaseOptions::from_sources(sources)?;
    let url = DatabaseUrl::parse(&database.connection)?;
    let mut pool = PoolOptions::from_config(&database);
    pool.connect_attempts = 1;
    let db = Db::open(&url, &pool)
        .await
        .context("cannot open the database")?;
    let status = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || db.schema_status_blocking()).await??
    };
    if status == SchemaStatus::Empty {
        bail!(
            "the database holds no introspection records (is this the configuration of the service?)"
        );
    }
    if !status.is_current() {
        bail!(
            "the database schema is not current ({status:?}); run `ironic-inspector-dbsync upgrade`"
        );
    }
    let bounds = TimelineOptions::from_sources(sources)?;
    let cache = NodeCache::new(db, Arc::new(InProcessLocks::new()))
        .keeping_unmatched(bounds.max_unmatched_reports);
    let record = match cache.get_node(uuid).await {
        Ok(record) => record,
        Err(CacheError::NodeNotInCache(_)) => {
            bail!("node {uuid} has no introspection record in this database")
        }
        Err(other) => return Err(other.into()),
    };
    let events = cache.timeline(uuid).await?;
    let mut unmatched = cache
        .unmatched_since(record.started_at.unwrap_or_default())
        .await?;
    // Only those that came while the introspection ran.
    unmatched.retain(|report| record.finished_at.is_none_or(|end| report.at <= end));
    let text = inspector_core::explain_text(&record, &events, &unmatched);
    std::io::stdout()
        .write_all(text.as_bytes())
        .context("cannot write to standard output")?;
    Ok(())
}
