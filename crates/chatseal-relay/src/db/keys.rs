//! Tenants and their API keys. A key is shown once when created; the relay stores its SHA-256
//! and a short key id (for logs, tombstones and the audit log) and never the key itself.

use super::{col, now, parse_col, Db};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// What a key may do. Every key belongs to one tenant and sees only that tenant's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Public key embedded in the widget: posts visitor turns (i2r), reads and follows the
    /// conversations whose handle it holds (the handle is the capability), deletes them.
    Widget,
    /// Secret key of the service end: posts replies (r2i), follows the tenant's service stream,
    /// reads, exports and deletes conversations, acknowledges deletions.
    Service,
    /// Moderator key: metadata queries, reads, exports, audits and deletions; posts nothing.
    Moderator,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 3] = [Scope::Widget, Scope::Service, Scope::Moderator];

    /// `"widget"`, `"service"` or `"moderator"`.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Widget => "widget",
            Scope::Service => "service",
            Scope::Moderator => "moderator",
        }
    }
}

impl core::str::FromStr for Scope {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Scope::ALL.into_iter().find(|x| x.name() == s).ok_or(())
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// Tenant id.
    pub tenant_id: i64,
    /// What the key may do.
    pub scope: Scope,
    /// Short public id of the key (not secret; names the caller in logs and records).
    pub key_id: String,
}

/// A new tenant's keys, shown once.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TenantKeys {
    /// Tenant id.
    pub tenant_id: i64,
    /// Tenant name.
    pub tenant: String,
    /// Public key for widgets.
    pub widget_key: String,
    /// Secret key for the service end.
    pub service_key: String,
    /// Secret key for moderators.
    pub moderator_key: String,
}

/// SHA-256 of a key, as stored.
pub(crate) fn key_hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

fn key_id_of(hash: &[u8]) -> String {
    format!("k_{}", chatseal::hex_encode(hash.get(..6).unwrap_or_default()))
}

fn new_key(scope: Scope) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| sqlx::Error::Protocol("no randomness for a key".into()))?;
    Ok(format!("csk_{}_{}", scope.name(), chatseal::base64url_encode(&bytes)))
}

impl Db {
    /// Creates a tenant with one key of each scope.
    pub async fn create_tenant(&self, name: &str) -> Result<TenantKeys, sqlx::Error> {
        let mut tx = self.write().await?;
        let row = sqlx::query("INSERT INTO tenants (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name.to_owned())
            .bind(now())
            .fetch_one(tx.conn())
            .await?;
        let tenant_id: i64 = col(&row, "id")?;
        let mut keys = Vec::new();
        for scope in Scope::ALL {
            let key = new_key(scope)?;
            insert_key(tx.conn(), tenant_id, scope, &key).await?;
            keys.push(key);
        }
        tx.commit().await?;
        let [widget_key, service_key, moderator_key]: [String; 3] =
            keys.try_into().map_err(|_| sqlx::Error::Protocol("key count".into()))?;
        Ok(TenantKeys { tenant_id, tenant: name.to_owned(), widget_key, service_key, moderator_key })
    }

    /// The tenant id of a name.
    pub async fn tenant_id(&self, name: &str) -> Result<Option<i64>, sqlx::Error> {
        let row = sqlx::query("SELECT id FROM tenants WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| col(&r, "id")).transpose()
    }

    /// Adds a key of `scope` to a tenant (rotation: add, deploy, then revoke the old one).
    pub async fn add_key(&self, tenant_id: i64, scope: Scope) -> Result<String, sqlx::Error> {
        let key = new_key(scope)?;
        let mut tx = self.write().await?;
        insert_key(tx.conn(), tenant_id, scope, &key).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Registers a caller-chosen key (demo and tests, where a page must know the key).
    pub async fn import_key(&self, tenant_id: i64, scope: Scope, key: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.write().await?;
        insert_key(tx.conn(), tenant_id, scope, key).await?;
        tx.commit().await
    }

    /// Revokes a key by its key id; whether one was revoked.
    pub async fn revoke_key(&self, key_id: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(key_id.to_owned())
            .execute(tx.conn())
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(done > 0)
    }

    /// The caller a key stands for, if it is known and not revoked.
    pub async fn lookup_key(&self, key: &str) -> Result<Option<ApiKey>, sqlx::Error> {
        let row =
            sqlx::query("SELECT tenant_id, scope, key_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                .bind(key_hash(key))
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            let scope: String = col(&r, "scope")?;
            Ok(ApiKey { tenant_id: col(&r, "tenant_id")?, scope: parse_col(&scope)?, key_id: col(&r, "key_id")? })
        })
        .transpose()
    }

    /// Every tenant id (for the audit-log verification and retention).
    pub async fn tenant_ids(&self) -> Result<Vec<i64>, sqlx::Error> {
        let rows = sqlx::query("SELECT id FROM tenants ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.try_get("id")).collect()
    }
}

async fn insert_key(
    conn: &mut sqlx::AnyConnection,
    tenant_id: i64,
    scope: Scope,
    key: &str,
) -> Result<(), sqlx::Error> {
    let hash = key_hash(key);
    sqlx::query("INSERT INTO api_keys (key_hash, key_id, tenant_id, scope, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(hash.clone())
        .bind(key_id_of(&hash))
        .bind(tenant_id)
        .bind(scope.name().to_owned())
        .bind(now())
        .execute(conn)
        .await?;
    Ok(())
}
