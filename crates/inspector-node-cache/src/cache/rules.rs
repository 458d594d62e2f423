//! Introspection rules in upstream's `rules`, `rule_conditions` and
//! `rule_actions` tables: the node cache is the rules engine's [`RuleStore`].

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::prelude::*;
use inspector_rules::{
    ActionDocument, ConditionDocument, Multiple, RuleDocument, RuleStore, StoreError,
};
use serde_json::{Map, Value};

use super::NodeCache;
use super::rows::write_transaction;
use crate::error::{Error, Result};
use crate::schema::{rule_actions, rule_conditions, rules};

type RuleRow = (
    String,
    chrono::NaiveDateTime,
    Option<String>,
    Option<String>,
);
type ConditionRow = (
    i32,
    Option<String>,
    String,
    String,
    Option<bool>,
    Option<String>,
    Option<String>,
);
type ActionRow = (i32, Option<String>, String, Option<String>);

fn params_text(params: &Map<String, Value>) -> Result<String> {
    Ok(serde_json::to_string(params)?)
}

fn params_of(text: Option<String>) -> Result<Map<String, Value>> {
    match text {
        None => Ok(Map::new()),
        Some(text) => Ok(serde_json::from_str(&text)?),
    }
}

fn store_error(error: Error) -> StoreError {
    if error.is_unavailable() {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Backend(error.to_string())
    }
}

/// Rules with their conditions and actions, ordered by creation time, ties
/// broken by insertion order (the first action's `id`).
fn assemble(
    rule_rows: Vec<RuleRow>,
    condition_rows: Vec<ConditionRow>,
    action_rows: Vec<ActionRow>,
) -> Result<Vec<RuleDocument>> {
    let mut conditions: HashMap<String, Vec<ConditionDocument>> = HashMap::new();
    for (_, rule, op, multiple, invert, field, params) in condition_rows {
        conditions
            .entry(rule.unwrap_or_default())
            .or_default()
            .push(ConditionDocument {
                op,
                field: field.unwrap_or_default(),
                multiple: Multiple::from_name(&multiple).unwrap_or_default(),
                invert: invert.unwrap_or(false),
                params: params_of(params)?,
            });
    }
    let mut actions: HashMap<String, (i32, Vec<ActionDocument>)> = HashMap::new();
    for (id, rule, action, params) in action_rows {
        let entry = actions
            .entry(rule.unwrap_or_default())
            .or_insert((id, Vec::new()));
        entry.1.push(ActionDocument {
            action,
            params: params_of(params)?,
        });
    }
    let mut ordered: Vec<(chrono::NaiveDateTime, i32, RuleDocument)> = rule_rows
        .into_iter()
        .map(|(uuid, created_at, description, scope)| {
            let (first_action, rule_actions) = actions.remove(&uuid).unwrap_or((i32::MAX, vec![]));
            let rule = RuleDocument {
                conditions: conditions.remove(&uuid).unwrap_or_default(),
                actions: rule_actions,
                uuid,
                description,
                scope,
            };
            (created_at, first_action, rule)
        })
        .collect();
    ordered.sort_by_key(|(created_at, first_action, _)| (*created_at, *first_action));
    Ok(ordered.into_iter().map(|(_, _, rule)| rule).collect())
}

impl NodeCache {
    async fn load_rules(&self, only: Option<String>) -> Result<Vec<RuleDocument>> {
        self.db
            .run(move |conn| {
                let mut rule_query = rules::table
                    .select((
                        rules::uuid,
                        rules::created_at,
                        rules::description,
                        rules::scope,
                    ))
                    .into_boxed();
                let mut condition_query = rule_conditions::table
                    .select((
                        rule_conditions::id,
                        rule_conditions::rule,
                        rule_conditions::op,
                        rule_conditions::multiple,
                        rule_conditions::invert,
                        rule_conditions::field,
                        rule_conditions::params,
                    ))
                    .order(rule_conditions::id)
                    .into_boxed();
                let mut action_query = rule_actions::table
                    .select((
                        rule_actions::id,
                        rule_actions::rule,
                        rule_actions::action,
                        rule_actions::params,
                    ))
                    .order(rule_actions::id)
                    .into_boxed();
                if let Some(uuid) = &only {
                    rule_query = rule_query.filter(rules::uuid.eq(uuid.clone()));
                    condition_query =
                        condition_query.filter(rule_conditions::rule.eq(uuid.clone()));
                    action_query = action_query.filter(rule_actions::rule.eq(uuid.clone()));
                }
                let rule_rows: Vec<RuleRow> = rule_query.load(conn)?;
                if rule_rows.is_empty() {
                    return Ok(Vec::new());
                }
                let condition_rows: Vec<ConditionRow> = condition_query.load(conn)?;
                let action_rows: Vec<ActionRow> = action_query.load(conn)?;
                assemble(rule_rows, condition_rows, action_rows)
            })
            .await
    }

    fn delete_rows(conn: &mut crate::db::AnyConnection, only: Option<&str>) -> Result<usize> {
        match only {
            Some(uuid) => {
                diesel::delete(rule_actions::table.filter(rule_actions::rule.eq(uuid)))
                    .execute(conn)?;
                diesel::delete(rule_conditions::table.filter(rule_conditions::rule.eq(uuid)))
                    .execute(conn)?;
                Ok(diesel::delete(rules::table.filter(rules::uuid.eq(uuid))).execute(conn)?)
            }
            None => {
                diesel::delete(rule_actions::table).execute(conn)?;
                diesel::delete(rule_conditions::table).execute(conn)?;
                Ok(diesel::delete(rules::table).execute(conn)?)
            }
        }
    }
}

#[async_trait]
impl RuleStore for NodeCache {
    async fn create_rule(&self, rule: &RuleDocument) -> std::result::Result<(), StoreError> {
        let rule = rule.clone();
        let now = self.now();
        let uuid = rule.uuid.clone();
        let created = self
            .db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    diesel::insert_into(rules::table)
                        .values((
                            rules::uuid.eq(&rule.uuid),
                            rules::created_at.eq(now),
                            rules::description.eq(&rule.description),
                            rules::disabled.eq(Some(false)),
                            rules::scope.eq(&rule.scope),
                        ))
                        .execute(conn)?;
                    for condition in &rule.conditions {
                        diesel::insert_into(rule_conditions::table)
                            .values((
                                rule_conditions::rule.eq(Some(&rule.uuid)),
                                rule_conditions::op.eq(&condition.op),
                                rule_conditions::multiple.eq(condition.multiple.as_str()),
                                rule_conditions::invert.eq(Some(condition.invert)),
                                rule_conditions::field.eq(Some(&condition.field)),
                                rule_conditions::params.eq(Some(params_text(&condition.params)?)),
                            ))
                            .execute(conn)?;
                    }
                    for action in &rule.actions {
                        diesel::insert_into(rule_actions::table)
                            .values((
                                rule_actions::rule.eq(Some(&rule.uuid)),
                                rule_actions::action.eq(&action.action),
                                rule_actions::params.eq(Some(params_text(&action.params)?)),
                            ))
                            .execute(conn)?;
                    }
                    Ok(())
                })
            })
            .await;
        // The primary key refuses a second rule with the same UUID.
        match created {
            Ok(()) => Ok(()),
            Err(error) if error.is_unique_violation() => Err(StoreError::Duplicate(uuid)),
            Err(other) => Err(store_error(other)),
        }
    }

    async fn rules(&self) -> std::result::Result<Vec<RuleDocument>, StoreError> {
        self.load_rules(None).await.map_err(store_error)
    }

    async fn rule(&self, uuid: &str) -> std::result::Result<Option<RuleDocument>, StoreError> {
        let found = self
            .load_rules(Some(uuid.to_owned()))
            .await
            .map_err(store_error)?;
        // Exact, case-sensitive match even where the column's collation is not.
        Ok(found.into_iter().find(|rule| rule.uuid == uuid))
    }

    async fn delete_rule(&self, uuid: &str) -> std::result::Result<bool, StoreError> {
        if self.rule(uuid).await?.is_none() {
            return Ok(false);
        }
        let uuid = uuid.to_owned();
        self.db
            .write(move |conn| write_transaction(conn, |conn| Self::delete_rows(conn, Some(&uuid))))
            .await
            .map(|deleted| deleted > 0)
            .map_err(store_error)
    }

    async fn delete_rules(&self) -> std::result::Result<(), StoreError> {
        self.db
            .write(|conn| write_transaction(conn, |conn| Self::delete_rows(conn, None)))
            .await
            .map(|_| ())
            .map_err(store_error)
    }
}
