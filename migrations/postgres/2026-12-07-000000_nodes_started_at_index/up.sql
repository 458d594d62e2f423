-- An index beyond upstream's schema (documented in docs/compatibility.md):
-- GET /v1/introspection lists records newest first, by (started_at, uuid);
-- with the index the first page is read in order instead of sorting every
-- record (100,000 records: see docs/benchmarks.md).
CREATE INDEX IF NOT EXISTS nodes_started_at_uuid_idx ON nodes (started_at, uuid);
