//! Stored introspection data (the `database` backend of `[processing] store_data`).

use diesel::prelude::*;
use inspector_types::NodeUuid;

use super::NodeCache;
use super::rows::write_transaction;
use crate::error::{Error, Result};
use crate::schema::introspection_data;

impl NodeCache {
    /// Stores one item of a node's introspection data, replacing the previous one.
    /// `processed` selects the item: data after hooks (true) or as received (false).
    pub async fn store_introspection_data(
        &self,
        uuid: NodeUuid,
        processed: bool,
        data: &(impl serde::Serialize + ?Sized),
    ) -> Result<()> {
        let encoded = serde_json::to_string(data)?;
        self.db
            .write(move |conn| {
                write_transaction(conn, |conn| {
                    let key = uuid.to_string();
                    diesel::delete(
                        introspection_data::table
                            .filter(introspection_data::uuid.eq(&key))
                            .filter(introspection_data::processed.eq(processed)),
                    )
                    .execute(conn)?;
                    diesel::insert_into(introspection_data::table)
                        .values((
                            introspection_data::uuid.eq(&key),
                            introspection_data::processed.eq(processed),
                            introspection_data::data.eq(&encoded),
                        ))
                        .execute(conn)?;
                    Ok(())
                })
            })
            .await
    }

    /// Reads one item of a node's stored introspection data.
    pub async fn introspection_data(
        &self,
        uuid: NodeUuid,
        processed: bool,
    ) -> Result<serde_json::Value> {
        let stored: Option<Option<String>> = self
            .db
            .read_by_key(move |conn| {
                Ok(introspection_data::table
                    .filter(introspection_data::uuid.eq(uuid.to_string()))
                    .filter(introspection_data::processed.eq(processed))
                    .select(introspection_data::data)
                    .first(conn)
                    .optional()?)
            })
            .await?;
        match stored.flatten() {
            Some(text) => Ok(serde_json::from_str(&text)?),
            None => Err(Error::DataNotFound { uuid, processed }),
        }
    }
}
