-- Indexes beyond upstream's schema (documented in docs/compatibility.md):
-- matching ramdisk data searches attributes by (name, value), and every
-- record replacement or deletion finds attributes by node_uuid (also the
-- foreign-key check when a nodes row is deleted).
CREATE INDEX IF NOT EXISTS attributes_name_value_idx ON attributes (name, value);
CREATE INDEX IF NOT EXISTS attributes_node_uuid_idx ON attributes (node_uuid);
