-- Upstream ironic-inspector's schema at alembic head b55109d5063a, as
-- SQLAlchemy creates it on PostgreSQL (native enum type node_state).
CREATE TYPE node_state AS ENUM ('starting', 'waiting', 'processing', 'finished', 'error', 'reapplying', 'enrolling', 'aborting');

CREATE TABLE nodes (
    uuid VARCHAR(36) NOT NULL,
    version_id VARCHAR(36) DEFAULT '',
    state node_state DEFAULT 'finished' NOT NULL,
    started_at TIMESTAMP WITHOUT TIME ZONE,
    finished_at TIMESTAMP WITHOUT TIME ZONE,
    error TEXT,
    manage_boot BOOLEAN,
    CONSTRAINT nodes_pkey PRIMARY KEY (uuid)
);

CREATE TABLE attributes (
    uuid VARCHAR(36) NOT NULL,
    node_uuid VARCHAR(36),
    name VARCHAR(255) NOT NULL,
    value VARCHAR(255),
    CONSTRAINT attributes_pkey PRIMARY KEY (uuid),
    CONSTRAINT fk_node_attribute FOREIGN KEY(node_uuid) REFERENCES nodes (uuid)
);

CREATE TABLE options (
    uuid VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    value TEXT,
    CONSTRAINT options_pkey PRIMARY KEY (uuid, name),
    CONSTRAINT options_uuid_fkey FOREIGN KEY(uuid) REFERENCES nodes (uuid)
);

CREATE TABLE rules (
    uuid VARCHAR(36) NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    description TEXT,
    disabled BOOLEAN,
    scope VARCHAR(255),
    CONSTRAINT rules_pkey PRIMARY KEY (uuid)
);

CREATE TABLE rule_conditions (
    id SERIAL NOT NULL,
    rule VARCHAR(36),
    op VARCHAR(255) NOT NULL,
    multiple VARCHAR(255) NOT NULL,
    invert BOOLEAN,
    field TEXT,
    params TEXT,
    CONSTRAINT rule_conditions_pkey PRIMARY KEY (id),
    CONSTRAINT rule_conditions_rule_fkey FOREIGN KEY(rule) REFERENCES rules (uuid)
);

CREATE TABLE rule_actions (
    id SERIAL NOT NULL,
    rule VARCHAR(36),
    action VARCHAR(255) NOT NULL,
    params TEXT,
    CONSTRAINT rule_actions_pkey PRIMARY KEY (id),
    CONSTRAINT rule_actions_rule_fkey FOREIGN KEY(rule) REFERENCES rules (uuid)
);

CREATE TABLE introspection_data (
    uuid VARCHAR(36) NOT NULL,
    processed BOOLEAN NOT NULL,
    data TEXT,
    CONSTRAINT introspection_data_pkey PRIMARY KEY (uuid, processed),
    CONSTRAINT introspection_data_uuid_fkey FOREIGN KEY(uuid) REFERENCES nodes (uuid)
);

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

INSERT INTO alembic_version (version_num) VALUES ('b55109d5063a');
