-- Upstream ironic-inspector's schema at alembic head b55109d5063a, as
-- SQLAlchemy creates it on MySQL (InnoDB, utf8, inline ENUM, LONGTEXT data).
-- Foreign keys are unnamed, as SQLAlchemy emits them: InnoDB then names the
-- constraint <table>_ibfk_<n> and its index after the column.
CREATE TABLE nodes (
    uuid VARCHAR(36) NOT NULL,
    version_id VARCHAR(36) DEFAULT '',
    state ENUM('starting', 'waiting', 'processing', 'finished', 'error', 'reapplying', 'enrolling', 'aborting') NOT NULL DEFAULT 'finished',
    started_at DATETIME NULL,
    finished_at DATETIME NULL,
    error TEXT,
    manage_boot BOOL,
    PRIMARY KEY (uuid),
    CHECK (manage_boot IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE attributes (
    uuid VARCHAR(36) NOT NULL,
    node_uuid VARCHAR(36),
    name VARCHAR(255) NOT NULL,
    value VARCHAR(255),
    PRIMARY KEY (uuid),
    CONSTRAINT fk_node_attribute FOREIGN KEY(node_uuid) REFERENCES nodes (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE options (
    uuid VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    value TEXT,
    PRIMARY KEY (uuid, name),
    FOREIGN KEY(uuid) REFERENCES nodes (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE rules (
    uuid VARCHAR(36) NOT NULL,
    created_at DATETIME NOT NULL,
    description TEXT,
    disabled BOOL,
    scope VARCHAR(255),
    PRIMARY KEY (uuid),
    CHECK (disabled IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE rule_conditions (
    id INTEGER NOT NULL AUTO_INCREMENT,
    rule VARCHAR(36),
    op VARCHAR(255) NOT NULL,
    multiple VARCHAR(255) NOT NULL,
    invert BOOL,
    field TEXT,
    params TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(rule) REFERENCES rules (uuid),
    CHECK (invert IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE rule_actions (
    id INTEGER NOT NULL AUTO_INCREMENT,
    rule VARCHAR(36),
    action VARCHAR(255) NOT NULL,
    params TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY(rule) REFERENCES rules (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE introspection_data (
    uuid VARCHAR(36) NOT NULL,
    processed BOOL NOT NULL,
    data LONGTEXT,
    PRIMARY KEY (uuid, processed),
    FOREIGN KEY(uuid) REFERENCES nodes (uuid),
    CHECK (processed IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    PRIMARY KEY (version_num)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

INSERT INTO alembic_version (version_num) VALUES ('b55109d5063a');
