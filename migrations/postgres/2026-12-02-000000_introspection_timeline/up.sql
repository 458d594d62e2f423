-- A table beyond upstream's schema (documented in docs/compatibility.md):
-- the timeline of each record's introspection, what an operator reads to
-- learn why it is stuck or failed. Rows go with their record; the newest
-- [timeline] max_events are kept per record.
CREATE TABLE IF NOT EXISTS introspection_events (
    id BIGSERIAL PRIMARY KEY,
    node_uuid VARCHAR(36) NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    kind VARCHAR(64) NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS introspection_events_node_idx ON introspection_events (node_uuid, id);
