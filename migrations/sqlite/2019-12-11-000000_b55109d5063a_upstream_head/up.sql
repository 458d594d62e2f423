-- Upstream ironic-inspector's schema at alembic head b55109d5063a, as
-- SQLAlchemy creates it on SQLite (non-native enum and booleans with CHECKs).
CREATE TABLE nodes (
    uuid VARCHAR(36) NOT NULL,
    version_id VARCHAR(36) DEFAULT '',
    state VARCHAR(10) DEFAULT 'finished' NOT NULL,
    started_at DATETIME,
    finished_at DATETIME,
    error TEXT,
    manage_boot BOOLEAN,
    PRIMARY KEY (uuid),
    CONSTRAINT node_state CHECK (state IN ('starting', 'waiting', 'processing', 'finished', 'error', 'reapplying', 'enrolling', 'aborting')),
    CHECK (manage_boot IN (0, 1))
);

CREATE TABLE attributes (
    uuid VARCHAR(36) NOT NULL,
    node_uuid VARCHAR(36),
    name VARCHAR(255) NOT NULL,
    value VARCHAR(255),
    PRIMARY KEY (uuid),
    CONSTRAINT fk_node_attribute FOREIGN KEY(node_uuid) REFERENCES nodes (uuid)
);

CREATE TABLE options (
    uuid VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    value TEXT,
    PRIMARY KEY (uuid, name),
    FOREIGN KEY(uuid) REFERENCES nodes (uuid)
);

CREATE TABLE rules (
    uuid VARCHAR(36) NOT NULL,
    created_at DATETIME NOT NULL,
    description TEXT,
    disabled BOOLEAN,
    scope VARCHAR(255),
    PRIMARY KEY (uuid),
    CHECK (disabled IN (0, 1))
);

CREATE TABLE rule_conditions (
    id INTEGER NOT NULL,
    rule VARCHAR(36),
    op VARCHAR(255) NOT NULL,
    multiple VARCHAR(255) NOT NULL,
    invert BOOLEAN,
    field TEXT,
    params TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(rule) REFERENCES rules (uuid),
    CHECK (invert IN (0, 1))
);

CREATE TABLE rule_actions (
    id INTEGER NOT NULL,
    rule VARCHAR(36),
    action VARCHAR(255) NOT NULL,
    params TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(rule) REFERENCES rules (uuid)
);

CREATE TABLE introspection_data (
    uuid VARCHAR(36) NOT NULL,
    processed BOOLEAN NOT NULL,
    data TEXT,
    PRIMARY KEY (uuid, processed),
    FOREIGN KEY(uuid) REFERENCES nodes (uuid),
    CHECK (processed IN (0, 1))
);

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

INSERT INTO alembic_version (version_num) VALUES ('b55109d5063a');
