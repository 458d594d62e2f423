-- A table beyond upstream's schema (documented in docs/compatibility.md):
-- ramdisk reports that matched no node, so that "a machine called back but
-- nobody knew it" is visible. The newest [timeline] max_unmatched_reports are kept.
CREATE TABLE unmatched_reports (
    id BIGINT NOT NULL AUTO_INCREMENT,
    created_at DATETIME NOT NULL,
    client_address VARCHAR(64) NULL,
    macs TEXT NOT NULL,
    bmc_addresses TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
