-- A table beyond upstream's schema (documented in docs/compatibility.md):
-- the timeline of each record's introspection, what an operator reads to
-- learn why it is stuck or failed. Rows go with their record; the newest
-- [timeline] max_events are kept per record.
CREATE TABLE introspection_events (
    id BIGINT NOT NULL AUTO_INCREMENT,
    node_uuid VARCHAR(36) NOT NULL,
    created_at DATETIME NOT NULL,
    kind VARCHAR(64) NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (id),
    KEY introspection_events_node_idx (node_uuid, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
