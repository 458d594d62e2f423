//! Table definitions, written by hand to match upstream's schema at head
//! (revision `b55109d5063a`); types are the ones common to every backend.

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::NodeStateSqlType as NodeStateSql;

    /// One introspection record per Ironic node.
    nodes (uuid) {
        uuid -> Text,
        version_id -> Nullable<Text>,
        state -> NodeStateSql,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        error -> Nullable<Text>,
        manage_boot -> Nullable<Bool>,
    }
}

diesel::table! {
    /// Lookup attributes (`bmc_address`, `mac`) of records under introspection.
    attributes (uuid) {
        uuid -> Text,
        node_uuid -> Nullable<Text>,
        name -> Text,
        value -> Nullable<Text>,
    }
}

diesel::table! {
    /// Per-record options, values JSON-encoded.
    options (uuid, name) {
        uuid -> Text,
        name -> Text,
        value -> Nullable<Text>,
    }
}

diesel::table! {
    /// Stored introspection data, processed and unprocessed, as JSON text.
    introspection_data (uuid, processed) {
        uuid -> Text,
        processed -> Bool,
        data -> Nullable<Text>,
    }
}

diesel::table! {
    /// Alembic's bookkeeping: the applied upstream revision.
    alembic_version (version_num) {
        version_num -> Text,
    }
}

diesel::table! {
    /// Introspection rules.
    rules (uuid) {
        uuid -> Text,
        created_at -> Timestamp,
        description -> Nullable<Text>,
        disabled -> Nullable<Bool>,
        scope -> Nullable<Text>,
    }
}

diesel::table! {
    /// Rule conditions; read in `id` order.
    rule_conditions (id) {
        id -> Integer,
        rule -> Nullable<Text>,
        op -> Text,
        multiple -> Text,
        invert -> Nullable<Bool>,
        field -> Nullable<Text>,
        params -> Nullable<Text>,
    }
}

diesel::table! {
    /// Rule actions; read in `id` order.
    rule_actions (id) {
        id -> Integer,
        rule -> Nullable<Text>,
        action -> Text,
        params -> Nullable<Text>,
    }
}

diesel::table! {
    /// Exclusive node locks held by service processes (beyond upstream's schema).
    node_locks (node_uuid) {
        node_uuid -> Text,
        holder -> Text,
        acquired_at -> Timestamp,
        heartbeat_at -> Timestamp,
    }
}

diesel::table! {
    /// Leases of periodic tasks (beyond upstream's schema).
    leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// The timeline of each record's introspection (beyond upstream's schema);
    /// read in `id` order.
    introspection_events (id) {
        id -> BigInt,
        node_uuid -> Text,
        created_at -> Timestamp,
        kind -> Text,
        detail -> Text,
    }
}

diesel::table! {
    /// Ramdisk reports that matched no node (beyond upstream's schema); the
    /// newest are kept.
    unmatched_reports (id) {
        id -> BigInt,
        created_at -> Timestamp,
        client_address -> Nullable<Text>,
        macs -> Text,
        bmc_addresses -> Text,
        reason -> Text,
    }
}

diesel::joinable!(attributes -> nodes (node_uuid));
diesel::allow_tables_to_appear_in_same_query!(nodes, attributes, options, introspection_data);
diesel::allow_tables_to_appear_in_same_query!(rules, rule_conditions, rule_actions);
