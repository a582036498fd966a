//! Demo mode: one process running a relay on embedded SQLite, a service end with the built-in
//! responder, and the static demo page, all on loopback. The demo tenant's keys and the service
//! keys are created on the first run in the data directory (files with mode 0600) and reused.

use crate::db::{Db, TenantKeys};
use crate::relay::{self, RelayConfig};
use crate::service::{Builtin, KeywordClassifier, ServiceEnd, ServiceEndOptions, ServiceKeys, ServiceStore};
use crate::BoxError;
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Demo settings.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Where to listen (loopback).
    pub listen: SocketAddr,
    /// Where the relay database, the service store and the keys live.
    pub data_dir: PathBuf,
    /// The demo page's directory, served under `/`.
    pub www: Option<PathBuf>,
    /// Chunks per built-in answer.
    pub chunks: usize,
}

fn write_private(path: &Path, text: &str) -> Result<(), BoxError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(f.sync_all()?)
}

/// The demo tenant's keys: read from the data directory or created with the tenant.
async fn demo_tenant(data_dir: &Path, database_url: &str) -> Result<TenantKeys, BoxError> {
    let path = data_dir.join("demo-tenant.json");
    let db = Db::connect(database_url, 2).await?;
    let keys = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            Some(TenantKeys {
                tenant_id: v.get("tenant_id")?.as_i64()?,
                tenant: s("tenant")?,
                widget_key: s("widget_key")?,
                service_key: s("service_key")?,
                moderator_key: s("moderator_key")?,
            })
        }),
        Err(_) => None,
    };
    let keys = match keys {
        Some(k) if db.lookup_key(&k.widget_key).await?.is_some() => k,
        _ => {
            let name = format!("demo-{}", crate::db::now());
            let k = db.create_tenant(&name).await?;
            write_private(&path, &serde_json::to_string_pretty(&k)?)?;
            k
        }
    };
    db.close().await;
    Ok(keys)
}

/// Runs the demo until `shutdown` resolves.
pub async fn run(
    options: DemoOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    std::fs::create_dir_all(&options.data_dir)?;
    let database_url = format!("sqlite://{}", options.data_dir.join("relay.db").display());
    let tenant = demo_tenant(&options.data_dir, &database_url).await?;
    let service_dir = options.data_dir.join("service");
    let keys = ServiceKeys::load_or_create(&service_dir)?;
    let public = keys.current_public()?;
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let addr = listener.local_addr()?;
    let mut config = RelayConfig::new(&database_url);
    config.www = options.www.clone();
    config.demo = Some(json!({
        "tenant": tenant.tenant,
        "widget_key": tenant.widget_key,
        "moderator_key": tenant.moderator_key,
        // The demo's human-agent console posts replies of mutual sessions with a service-scoped key.
        "agent_key": tenant.service_key,
        "service_public_key": chatseal::base64url_encode(public.as_bytes()),
        "service_key_id": chatseal::hex_encode(public.key_id()),
        "note": "demo mode only: a real deployment never hands out its moderator or service (agent) keys",
    }));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let relay_stop = {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.changed().await;
        }
    };
    let relay_task = tokio::spawn(relay::serve(listener, config, relay_stop));
    let store = ServiceStore::open(&service_dir.join("service.db"), &*keys.history_key()?)?;
    let client = crate::client::RelayClient::new(&format!("http://{addr}"), &tenant.service_key);
    let builtin = Arc::new(Builtin { chunks: options.chunks });
    let end = ServiceEnd::new(
        &keys,
        store,
        client,
        builtin,
        Arc::new(KeywordClassifier::default()),
        ServiceEndOptions::default(),
    )?;
    let service_stop = {
        let mut rx = stop_rx;
        async move {
            let _ = rx.changed().await;
        }
    };
    let service_task = tokio::spawn(async move { end.run(service_stop).await });
    tracing::info!(%addr, "demo: relay, service end and page running");
    println!("\n  chatseal demo: http://{addr}/   (relay API under /v1, config at /demo/config)\n");
    shutdown.await;
    let _ = stop_tx.send(true);
    let _ = service_task.await;
    relay_task.await??;
    Ok(())
}
