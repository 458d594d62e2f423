-- Tables beyond upstream's schema (documented in docs/compatibility.md): the
-- database is the coordination engine of several service processes.
-- node_locks: one row per node whose exclusive lock is held; the primary key
-- makes the insert that takes a lock succeed for exactly one process.
CREATE TABLE IF NOT EXISTS node_locks (
    node_uuid VARCHAR(36) NOT NULL PRIMARY KEY,
    holder VARCHAR(255) NOT NULL,
    acquired_at DATETIME NOT NULL,
    heartbeat_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS node_locks_holder_idx ON node_locks (holder);
-- leases: which process runs a periodic task, until when.
CREATE TABLE IF NOT EXISTS leases (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    holder VARCHAR(255) NOT NULL,
    expires_at DATETIME NOT NULL
);
