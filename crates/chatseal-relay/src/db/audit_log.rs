//! The append-only, hash-chained audit log of reads, exports and deletions, one chain per
//! tenant. Entry n's hash covers entry n−1's hash and all of entry n's fields, so editing,
//! dropping or reordering an entry breaks every hash after it, and the head row pins the end.
//! Appends take the tenant's head row first (an UPDATE), which serialises them across
//! processes on both backends.

use super::{col, now, Db};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// One audit-log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the tenant's chain, from 1.
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// Key id of the caller (or `retention`, `system`).
    pub actor: String,
    /// `read`, `export`, `delete`, `shredded`, `moderation`, `audit`, `subscribe`.
    pub action: String,
    /// What it was about (a handle, a tombstone id, a query name).
    pub target: String,
    /// Ids and counts only.
    pub detail: String,
    /// The chain hash (hex).
    pub hash: String,
}

/// The outcome of verifying one tenant's chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditVerification {
    /// Tenant id.
    pub tenant_id: i64,
    /// Entries checked.
    pub entries: i64,
    /// First sequence number whose hash or position is wrong, if any.
    pub first_bad: Option<i64>,
    /// Whether the head row matches the last entry.
    pub head_ok: bool,
}

impl AuditVerification {
    /// Whether the chain is intact.
    pub fn ok(&self) -> bool {
        self.first_bad.is_none() && self.head_ok
    }
}

fn entry_hash(prev: &[u8], seq: i64, at: i64, fields: [&str; 4]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"chatseal relay audit v1");
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.finalize().to_vec()
}

/// Appends an entry inside the caller's write transaction.
pub(crate) async fn append(
    conn: &mut sqlx::AnyConnection,
    tenant_id: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    // Lock (or create) the head first: seq 0 with a zero hash is the genesis.
    let bumped = sqlx::query("UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash")
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await?;
    let bumped = match bumped {
        Some(r) => r,
        None => {
            // First entry of the tenant: create the genesis head (another writer may race us
            // to it: ON CONFLICT waits for it and does nothing), then take it.
            sqlx::query(
                "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (tenant_id) DO NOTHING",
            )
            .bind(tenant_id)
            .bind(vec![0u8; 32])
            .execute(&mut *conn)
            .await?;
            sqlx::query("UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash")
                .bind(tenant_id)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    let (seq, prev): (i64, Vec<u8>) = (col(&bumped, "seq")?, col(&bumped, "hash")?);
    let at = now();
    let hash = entry_hash(&prev, seq, at, [actor, action, target, detail]);
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, seq, at, actor, action, target, detail, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(seq)
    .bind(at)
    .bind(actor.to_owned())
    .bind(action.to_owned())
    .bind(target.to_owned())
    .bind(detail.to_owned())
    .bind(hash.clone())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_heads SET hash = $1 WHERE tenant_id = $2")
        .bind(hash)
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Db {
    /// Appends an audit entry in its own transaction.
    pub async fn audit(
        &self,
        tenant_id: i64,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.write().await?;
        append(tx.conn(), tenant_id, actor, action, target, detail).await?;
        tx.commit().await
    }

    /// A tenant's audit entries after `since`, oldest first.
    pub async fn audit_entries(&self, tenant_id: i64, since: i64, limit: i64) -> Result<Vec<AuditEntry>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, target, detail, hash FROM audit_log WHERE tenant_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(tenant_id)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let hash: Vec<u8> = col(r, "hash")?;
                Ok(AuditEntry {
                    seq: col(r, "seq")?,
                    at: col(r, "at")?,
                    actor: col(r, "actor")?,
                    action: col(r, "action")?,
                    target: col(r, "target")?,
                    detail: col(r, "detail")?,
                    hash: chatseal::hex_encode(&hash),
                })
            })
            .collect()
    }

    /// Recomputes a tenant's chain from the genesis and compares it with the head row.
    pub async fn verify_audit_log(&self, tenant_id: i64) -> Result<AuditVerification, sqlx::Error> {
        let mut prev = vec![0u8; 32];
        let mut expected_seq = 1i64;
        let mut first_bad = None;
        let mut last = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor, action, target, detail, hash FROM audit_log WHERE tenant_id = $1 AND seq > $2 \
                 ORDER BY seq LIMIT 5000",
            )
            .bind(tenant_id)
            .bind(last)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let seq: i64 = r.try_get("seq")?;
                let fields: [String; 4] = [col(r, "actor")?, col(r, "action")?, col(r, "target")?, col(r, "detail")?];
                let stored: Vec<u8> = col(r, "hash")?;
                let want = entry_hash(&prev, seq, col(r, "at")?, fields.each_ref().map(String::as_str));
                if first_bad.is_none() && (seq != expected_seq || stored != want) {
                    first_bad = Some(seq);
                }
                prev = stored;
                expected_seq = seq + 1;
                last = seq;
            }
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        let head_ok = match head {
            None => last == 0,
            Some(h) => col::<i64>(&h, "seq")? == last && col::<Vec<u8>>(&h, "hash")? == prev,
        };
        Ok(AuditVerification { tenant_id, entries: last, first_bad, head_ok })
    }
}
