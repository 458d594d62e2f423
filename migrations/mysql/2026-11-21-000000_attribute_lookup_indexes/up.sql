-- Indexes beyond upstream's schema (documented in docs/compatibility.md):
-- matching ramdisk data searches attributes by (name, value). InnoDB already
-- indexes attributes.node_uuid for its foreign key (fk_node_attribute).
CREATE INDEX attributes_name_value_idx ON attributes (name, value);
