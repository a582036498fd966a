//! Moderation queries over the metadata columns, per tenant, without any key: conversations with
//! PII of a category, volumes by role and time, flagged conversations, a subject's conversations.

use super::conversations::handle_of;
use super::rows::pii_column;
use super::{col, Db};
use chatseal::PiiCategory;
use serde::Serialize;
use std::collections::BTreeMap;

/// A conversation with PII findings of one category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PiiConversation {
    /// Session handle (hex).
    pub handle: String,
    /// Turns with at least one finding.
    pub turns: i64,
    /// Findings in total.
    pub findings: i64,
    /// Last such turn stored (coarse).
    pub last_at: i64,
}

/// Turns of one role in one time bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumeBucket {
    /// Bucket start (Unix seconds, server arrival time).
    pub start: i64,
    /// Role name.
    pub role: String,
    /// Turns.
    pub turns: i64,
}

/// A conversation whose turns carry moderation flags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlaggedConversation {
    /// Session handle (hex).
    pub handle: String,
    /// Flags seen, sorted.
    pub flags: Vec<String>,
    /// Flagged turns.
    pub turns: i64,
    /// Last flagged turn stored (coarse).
    pub last_at: i64,
}

impl Db {
    /// Conversations with PII of `category` stored in `[since, until)`.
    pub async fn pii_conversations(
        &self,
        tenant_id: i64,
        category: PiiCategory,
        since: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<PiiConversation>, sqlx::Error> {
        let c = pii_column(category);
        let sql = format!(
            "SELECT c.handle, COUNT(*) AS turns, CAST(SUM(e.{c}) AS BIGINT) AS findings, MAX(e.stored_at) AS last_at \
             FROM envelopes e JOIN conversations c ON c.id = e.conversation_id \
             WHERE c.tenant_id = $1 AND e.{c} > 0 AND e.stored_at >= $2 AND e.stored_at < $3 \
             GROUP BY c.handle ORDER BY last_at DESC LIMIT $4"
        );
        let rows = sqlx::query(&sql).bind(tenant_id).bind(since).bind(until).bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(PiiConversation {
                    handle: handle_of(r)?.to_hex(),
                    turns: col(r, "turns")?,
                    findings: col(r, "findings")?,
                    last_at: col(r, "last_at")?,
                })
            })
            .collect()
    }

    /// Turns per role per `bucket` seconds, stored in `[since, until)`.
    pub async fn volumes(
        &self,
        tenant_id: i64,
        bucket: i64,
        since: i64,
        until: i64,
    ) -> Result<Vec<VolumeBucket>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT (e.stored_at / $2) * $2 AS start, e.role, COUNT(*) AS turns \
             FROM envelopes e JOIN conversations c ON c.id = e.conversation_id \
             WHERE c.tenant_id = $1 AND e.stored_at >= $3 AND e.stored_at < $4 \
             GROUP BY (e.stored_at / $2) * $2, e.role ORDER BY start, e.role",
        )
        .bind(tenant_id)
        .bind(bucket)
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(VolumeBucket { start: col(r, "start")?, role: col(r, "role")?, turns: col(r, "turns")? }))
            .collect()
    }

    /// Conversations with flagged turns (optionally only those carrying `flag`).
    pub async fn flagged(
        &self,
        tenant_id: i64,
        flag: Option<&str>,
        since: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<FlaggedConversation>, sqlx::Error> {
        let pattern = flag.map_or_else(|| "%".to_owned(), |f| format!("%,{f},%"));
        let rows = sqlx::query(
            "SELECT c.handle, e.flags, COUNT(*) AS turns, MAX(e.stored_at) AS last_at \
             FROM envelopes e JOIN conversations c ON c.id = e.conversation_id \
             WHERE c.tenant_id = $1 AND e.flags <> '' AND e.flags LIKE $2 AND e.stored_at >= $3 AND e.stored_at < $4 \
             GROUP BY c.handle, e.flags",
        )
        .bind(tenant_id)
        .bind(pattern)
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        let mut by_handle: BTreeMap<String, FlaggedConversation> = BTreeMap::new();
        for r in &rows {
            let flags: String = col(r, "flags")?;
            let flags: Vec<&str> = flags.split(',').filter(|f| !f.is_empty()).collect();
            if flag.is_some_and(|f| !flags.contains(&f)) {
                continue; // LIKE treats `_` as a wildcard
            }
            let handle = handle_of(r)?.to_hex();
            let entry = by_handle.entry(handle.clone()).or_insert(FlaggedConversation {
                handle,
                flags: vec![],
                turns: 0,
                last_at: 0,
            });
            entry.turns += col::<i64>(r, "turns")?;
            entry.last_at = entry.last_at.max(col(r, "last_at")?);
            for f in flags {
                if !entry.flags.iter().any(|x| x == f) {
                    entry.flags.push(f.to_owned());
                }
            }
        }
        let mut out: Vec<FlaggedConversation> = by_handle.into_values().collect();
        out.iter_mut().for_each(|c| c.flags.sort());
        out.sort_by(|a, b| b.last_at.cmp(&a.last_at).then(a.handle.cmp(&b.handle)));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    /// Handles of the conversations whose turns carry this pseudonymous subject.
    pub async fn subject_conversations(
        &self,
        tenant_id: i64,
        subject: &[u8],
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT DISTINCT c.handle FROM envelopes e JOIN conversations c ON c.id = e.conversation_id \
             WHERE c.tenant_id = $1 AND e.subject = $2 LIMIT $3",
        )
        .bind(tenant_id)
        .bind(subject.to_vec())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(handle_of(r)?.to_hex())).collect()
    }
}
