//! The relay: an HTTP + WebSocket server that validates, stores and delivers envelopes it cannot
//! read. It holds no key of any session; it sees envelope bytes and the metadata `inspect` shows.

mod api;
mod auth;
mod hub;
mod limits;
mod mailbox;
mod metrics;
mod moderation;
mod ws;

pub use auth::Caller;
pub use hub::{Event, Hub};
pub use limits::LimitedListener;
pub use metrics::Metrics;

use crate::db::Db;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Relay settings. Defaults are documented in the crate README.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Database URL: `sqlite://path` or `postgres://...`.
    pub database_url: String,
    /// Database pool size (default 8).
    pub db_connections: u32,
    /// Largest envelope accepted, in bytes (default 1 MiB; at most `chatseal::MAX_ENVELOPE`).
    pub max_envelope: usize,
    /// Sustained requests per second per tenant (default 2,000).
    pub rate_per_second: u32,
    /// Burst per tenant (default 4,000).
    pub rate_burst: u32,
    /// Open TCP connections (default 2,048).
    pub max_connections: usize,
    /// Open live WebSockets per tenant (default 1,024).
    pub max_sockets_per_tenant: usize,
    /// Origins allowed by CORS (default none; `*` allows any).
    pub cors_origins: Vec<String>,
    /// Delete conversations idle longer than this (default: keep).
    pub retention: Option<Duration>,
    /// How often retention runs (default 10 min).
    pub retention_every: Duration,
    /// `GET /demo/config` body (demo mode only).
    pub demo: Option<serde_json::Value>,
    /// Static files served under `/` (demo mode).
    pub www: Option<PathBuf>,
}

impl RelayConfig {
    /// Defaults with this database.
    pub fn new(database_url: &str) -> Self {
        RelayConfig {
            database_url: database_url.to_owned(),
            db_connections: 8,
            max_envelope: 1 << 20,
            rate_per_second: 2_000,
            rate_burst: 4_000,
            max_connections: 2_048,
            max_sockets_per_tenant: 1_024,
            cors_origins: Vec::new(),
            retention: None,
            retention_every: Duration::from_secs(600),
            demo: None,
            www: None,
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Arc<Db>,
    /// Live fan-out.
    pub hub: Arc<Hub>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    config: Arc<RelayConfig>,
    keys: Arc<auth::KeyCache>,
    rates: Arc<limits::TenantRates>,
    sockets: Arc<limits::SocketCounts>,
    mailbox: Arc<mailbox::Mailbox>,
    /// This process's tag in cross-process notifications.
    origin: Arc<str>,
}

impl core::fmt::Debug for AppState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppState").field("origin", &self.origin).finish_non_exhaustive()
    }
}

impl AppState {
    /// State over an open database.
    pub fn new(db: Arc<Db>, config: RelayConfig) -> Self {
        let mut tag = [0u8; 8];
        let _ = getrandom::fill(&mut tag);
        AppState {
            db,
            hub: Arc::new(Hub::default()),
            metrics: Arc::new(Metrics::default()),
            rates: Arc::new(limits::TenantRates::new(config.rate_per_second, config.rate_burst)),
            sockets: Arc::new(limits::SocketCounts::new(config.max_sockets_per_tenant)),
            keys: Arc::new(auth::KeyCache::default()),
            mailbox: Arc::new(mailbox::Mailbox::default()),
            config: Arc::new(config),
            origin: chatseal::hex_encode(&tag).into(),
        }
    }
}

/// The relay's routes (see the README's endpoint table).
pub fn router(state: AppState) -> Router {
    let c = &state.config;
    let body_limit = c.max_envelope * 4 / 3 + 4096; // base64url in JSON
    let cors = cors_layer(&c.cors_origins);
    let mut app = Router::new()
        .route("/v1/envelopes", post(api::post_envelope))
        .route("/v1/conversations", get(api::list_conversations))
        .route("/v1/conversations/{handle}", get(api::conversation).delete(api::delete_conversation))
        .route("/v1/conversations/{handle}/envelopes", get(api::envelopes))
        .route("/v1/conversations/{handle}/export", get(api::export))
        .route("/v1/conversations/{handle}/audit", get(api::audit))
        .route("/v1/conversations/{handle}/live", get(ws::conversation_live))
        .route("/v1/service/stream", get(ws::service_stream))
        .route("/v1/service/deletions", get(api::pending_deletions))
        .route("/v1/service/deletions/{id}/ack", post(api::ack_deletion))
        .route("/v1/mailbox/offers", get(mailbox::list_offers))
        .route("/v1/mailbox/{handle}/offer", post(mailbox::post_offer))
        .route("/v1/mailbox/{handle}/answer", get(mailbox::get_answer).post(mailbox::post_answer))
        .route("/v1/tombstones", get(api::tombstones))
        .route("/v1/audit-log", get(api::audit_log))
        .route("/v1/moderation/pii", get(moderation::pii))
        .route("/v1/moderation/volumes", get(moderation::volumes))
        .route("/v1/moderation/flagged", get(moderation::flagged))
        .route("/v1/moderation/subjects/{subject}", get(moderation::subject))
        .route("/metrics", get(api::metrics))
        .route("/healthz", get(api::health))
        .route("/demo/config", get(api::demo_config));
    if let Some(www) = &c.www {
        app = app.fallback_service(tower_http::services::ServeDir::new(www));
    }
    app.layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(cors)
        .with_state(state)
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE, axum::http::HeaderName::from_static("x-api-key")])
        .expose_headers([axum::http::header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}

/// Counts and logs each request by route pattern and status: never a URI (keys may ride in the
/// query), a body or a header value.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("other", |p| p.as_str()).to_owned();
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let secs = started.elapsed().as_secs_f64();
    let labels = vec![("route".to_owned(), route.clone()), ("status".to_owned(), status.to_string())];
    state.metrics.requests.get_or_create(&labels).inc();
    state.metrics.latency.get_or_create(&metrics::label("route", &route)).observe(secs);
    tracing::debug!(%method, route, status, ms = secs * 1e3, "request");
    response
}

/// A relay bound to an address, running until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: RelayConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), crate::BoxError> {
    let max_connections = config.max_connections;
    let db = Arc::new(Db::connect(&config.database_url, config.db_connections).await?);
    let state = AppState::new(Arc::clone(&db), config);
    let background = spawn_background(&state);
    let app = router(state);
    let listener = LimitedListener::new(listener, max_connections);
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    background.iter().for_each(tokio::task::JoinHandle::abort);
    db.close().await;
    Ok(served?)
}

/// Starts the Postgres listener and the retention sweeper.
pub fn spawn_background(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if state.db.backend() == crate::db::Backend::Postgres {
        tasks.push(tokio::spawn(hub::listen_postgres(
            Arc::clone(&state.db),
            Arc::clone(&state.hub),
            state.origin.to_string(),
        )));
    }
    if let Some(retention) = state.config.retention {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(state.config.retention_every);
            loop {
                tick.tick().await;
                match api::purge_expired(&state, retention).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(conversations = n, "retention: deleted expired conversations"),
                    Err(e) => tracing::warn!(code = e.code, "retention sweep failed"),
                }
            }
        }));
    }
    tasks
}
