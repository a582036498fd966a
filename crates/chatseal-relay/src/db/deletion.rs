//! Deleting conversations: the envelopes go, a tombstone (what, when, by whom) stays, and the
//! service end is asked to drop its record (crypto-shredding). Retention deletes the same way.

use super::audit_log::append;
use super::conversations::{handle_of, NOTIFY_CHANNEL};
use super::{col, now, Backend, Db};
use chatseal::SessionHandle;
use serde::Serialize;
use sqlx::any::AnyRow;

/// What remains of a deleted conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tombstone {
    /// Tombstone id.
    pub id: i64,
    /// Session handle (hex).
    pub handle: String,
    /// When (Unix seconds).
    pub deleted_at: i64,
    /// Key id of the caller, or `retention`.
    pub deleted_by: String,
    /// `request` or `retention`.
    pub reason: String,
    /// Envelopes removed.
    pub envelopes: i64,
    /// When the service end confirmed it dropped its record.
    pub service_acked_at: Option<i64>,
    /// Digest of the service's deletion record (hex).
    pub service_digest: Option<String>,
}

impl Tombstone {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Tombstone {
            id: col(r, "id")?,
            handle: handle_of(r)?.to_hex(),
            deleted_at: col(r, "deleted_at")?,
            deleted_by: col(r, "deleted_by")?,
            reason: col(r, "reason")?,
            envelopes: col(r, "envelopes")?,
            service_acked_at: col(r, "service_acked_at")?,
            service_digest: col(r, "service_digest")?,
        })
    }
}

const TOMBSTONE_COLUMNS: &str =
    "id, handle, deleted_at, deleted_by, reason, envelopes, service_acked_at, service_digest";

impl Db {
    /// Deletes a live conversation; `None` if the tenant has no live conversation of that handle.
    pub async fn delete_conversation(
        &self,
        tenant_id: i64,
        handle: &SessionHandle,
        by: &str,
        reason: &str,
        origin: &str,
    ) -> Result<Option<Tombstone>, sqlx::Error> {
        let at = now();
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "UPDATE conversations SET deleted_at = $1 WHERE tenant_id = $2 AND handle = $3 AND deleted_at IS NULL RETURNING id",
        )
        .bind(at)
        .bind(tenant_id)
        .bind(handle.as_bytes().to_vec())
        .fetch_optional(tx.conn())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let conversation_id: i64 = col(&row, "id")?;
        let removed = sqlx::query("DELETE FROM envelopes WHERE conversation_id = $1")
            .bind(conversation_id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        let sql = format!(
            "INSERT INTO tombstones (tenant_id, handle, deleted_at, deleted_by, reason, envelopes) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TOMBSTONE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(handle.as_bytes().to_vec())
            .bind(at)
            .bind(by.to_owned())
            .bind(reason.to_owned())
            .bind(i64::try_from(removed).unwrap_or(i64::MAX))
            .fetch_one(tx.conn())
            .await?;
        let tombstone = Tombstone::from_row(&row)?;
        let detail = format!("tombstone={} envelopes={removed} reason={reason}", tombstone.id);
        append(tx.conn(), tenant_id, by, "delete", &handle.to_hex(), &detail).await?;
        if self.backend == Backend::Postgres {
            let payload = format!("{origin}:d:{tenant_id}:{}", tombstone.id);
            sqlx::query("SELECT pg_notify($1, $2)").bind(NOTIFY_CHANNEL).bind(payload).execute(tx.conn()).await?;
        }
        tx.commit().await?;
        Ok(Some(tombstone))
    }

    /// A tombstone by id within a tenant.
    pub async fn tombstone(&self, tenant_id: i64, id: i64) -> Result<Option<Tombstone>, sqlx::Error> {
        let sql = format!("SELECT {TOMBSTONE_COLUMNS} FROM tombstones WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(&sql).bind(tenant_id).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(Tombstone::from_row).transpose()
    }

    /// A tenant's tombstones, newest first (with `pending_only`: those the service has not
    /// confirmed).
    pub async fn tombstones(
        &self,
        tenant_id: i64,
        pending_only: bool,
        limit: i64,
    ) -> Result<Vec<Tombstone>, sqlx::Error> {
        let filter = if pending_only { "AND service_acked_at IS NULL" } else { "" };
        let order = if pending_only { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {TOMBSTONE_COLUMNS} FROM tombstones WHERE tenant_id = $1 {filter} ORDER BY id {order} LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(tenant_id).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(Tombstone::from_row).collect()
    }

    /// Records the service end's confirmation; `false` if no such tombstone.
    pub async fn ack_deletion(&self, tenant_id: i64, id: i64, digest: &str, by: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE tombstones SET service_acked_at = $1, service_digest = $2 WHERE tenant_id = $3 AND id = $4 \
             AND service_acked_at IS NULL",
        )
        .bind(now())
        .bind(digest.to_owned())
        .bind(tenant_id)
        .bind(id)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if done > 0 {
            append(tx.conn(), tenant_id, by, "shredded", &id.to_string(), &format!("digest={digest}")).await?;
        }
        tx.commit().await?;
        Ok(done > 0)
    }

    /// Live conversations whose last activity is before `cutoff` (retention candidates).
    pub async fn expired(&self, cutoff: i64, limit: i64) -> Result<Vec<(i64, SessionHandle)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT tenant_id, handle FROM conversations WHERE deleted_at IS NULL AND last_at < $1 ORDER BY last_at LIMIT $2",
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((col(r, "tenant_id")?, handle_of(r)?))).collect()
    }
}
