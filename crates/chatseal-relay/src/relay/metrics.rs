//! Prometheus-style metrics (`GET /metrics`): request counts and latency by route, envelopes
//! stored and refused by code, live connections. Labels are route patterns and codes only.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// The relay's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests by route pattern and status.
    pub requests: Family<Labels, Counter>,
    /// Request latency by route pattern.
    pub latency: Family<Labels, Histogram>,
    /// Envelopes stored, by direction.
    pub stored: Family<Labels, Counter>,
    /// Identical re-posts answered without storing.
    pub repeated: Counter,
    /// Envelopes refused, by code.
    pub refused: Family<Labels, Counter>,
    /// Open WebSockets, by kind.
    pub sockets: Family<Labels, Gauge>,
    /// Conversations deleted, by reason.
    pub deletions: Family<Labels, Counter>,
    /// Transactions of SQLite's group-commit writer, and the posts they held.
    write_batches: Counter,
    batched_posts: Counter,
}

impl core::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chatseal_relay");
        let requests = Family::<Labels, Counter>::default();
        let latency =
            Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 14)));
        let stored = Family::<Labels, Counter>::default();
        let repeated = Counter::default();
        let refused = Family::<Labels, Counter>::default();
        let sockets = Family::<Labels, Gauge>::default();
        let deletions = Family::<Labels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_seconds", "HTTP request latency by route", latency.clone());
        registry.register("envelopes_stored", "Envelopes stored, by direction", stored.clone());
        registry.register("envelopes_repeated", "Identical re-posts answered without storing", repeated.clone());
        registry.register("envelopes_refused", "Envelopes refused, by code", refused.clone());
        registry.register("websockets", "Open WebSockets, by kind", sockets.clone());
        registry.register("deletions", "Conversations deleted, by reason", deletions.clone());
        let write_batches = Counter::default();
        let batched_posts = Counter::default();
        registry.register(
            "sqlite_write_batches",
            "Transactions of the SQLite group-commit writer",
            write_batches.clone(),
        );
        registry.register(
            "sqlite_batched_posts",
            "Posts written by the SQLite group-commit writer",
            batched_posts.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            stored,
            repeated,
            refused,
            sockets,
            deletions,
            write_batches,
            batched_posts,
        }
    }
}

/// One label.
pub fn label(k: &str, v: &str) -> Labels {
    vec![(k.to_owned(), v.to_owned())]
}

impl Metrics {
    /// Brings the group-commit counters up to the writer's own (batches, posts).
    pub fn sync_group_commit(&self, (batches, posts): (u64, u64)) {
        self.write_batches.inc_by(batches.saturating_sub(self.write_batches.get()));
        self.batched_posts.inc_by(posts.saturating_sub(self.batched_posts.get()));
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
