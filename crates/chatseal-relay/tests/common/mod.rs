//! Test harness: a relay in this process on 127.0.0.1 (SQLite in a temp dir, or the database
//! named by `DATABASE_URL`), tenants, widgets (native chatseal initiators) and service ends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatseal::{Metadata, Role, Session, SessionHandle, SessionOptions, StreamAssembler};
use chatseal_relay::client::{ClientError, LiveEvent, LiveStream, Posted, RelayClient};
use chatseal_relay::db::{Db, TenantKeys};
use chatseal_relay::relay::{self, RelayConfig};
use chatseal_relay::service::{
    Builtin, KeywordClassifier, Responder, ServiceEnd, ServiceEndOptions, ServiceKeys, ServiceStore,
};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Every log line of the test process (debug level), to search for canaries.
pub fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedWriter(Arc::clone(&buf));
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
}

#[derive(Clone)]
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether the suite runs on Postgres.
pub fn postgres_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

/// A running relay.
pub struct Harness {
    pub base: String,
    pub db: Db,
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub keys: ServiceKeys,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut RelayConfig)) -> Harness {
        logs();
        let dir = tempfile::tempdir().unwrap();
        let database_url =
            postgres_url().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("relay.db").display()));
        let db = Db::connect(&database_url, 2).await.unwrap();
        let mut config = RelayConfig::new(&database_url);
        config.cors_origins = vec!["http://demo.test".into()];
        configure(&mut config);
        let h = Self::spawn(config, dir, db, database_url).await;
        h
    }

    /// Another relay process-alike on the same database (Postgres fan-out tests).
    pub async fn second(&self) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&self.database_url, 2).await.unwrap();
        let mut h = Self::spawn(RelayConfig::new(&self.database_url), dir, db, self.database_url.clone()).await;
        h.keys = self.keys.clone();
        h
    }

    async fn spawn(config: RelayConfig, dir: tempfile::TempDir, db: Db, database_url: String) -> Harness {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            relay::serve(listener, config, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let h = Harness {
            base,
            db,
            dir,
            database_url,
            keys: ServiceKeys::generate().unwrap(),
            stop: Some(stop),
            task: Some(task),
        };
        for _ in 0..100 {
            if reqwest::get(format!("{}/healthz", h.base)).await.is_ok_and(|r| r.status().is_success()) {
                return h;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("relay did not start");
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }

    pub async fn tenant(&self) -> TenantKeys {
        let mut tag = [0u8; 6];
        getrandom::fill(&mut tag).unwrap();
        self.db.create_tenant(&format!("t-{}", chatseal::hex_encode(&tag))).await.unwrap()
    }

    pub fn client(&self, key: &str) -> RelayClient {
        RelayClient::new(&self.base, key)
    }

    pub fn widget(&self, tenant: &TenantKeys) -> Widget {
        Widget {
            session: Session::initiate_pinned(&self.keys.current_public().unwrap(), SessionOptions::default()).unwrap(),
            client: self.client(&tenant.widget_key),
        }
    }

    /// A service end with the built-in responder (one chunk per answer unless `chunks`).
    pub fn service(
        &self,
        tenant: &TenantKeys,
        chunks: usize,
    ) -> (ServiceEnd, tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>) {
        self.service_with(tenant, Arc::new(Builtin { chunks }), None)
    }

    pub fn service_with(
        &self,
        tenant: &TenantKeys,
        responder: Arc<dyn Responder>,
        store_path: Option<&std::path::Path>,
    ) -> (ServiceEnd, tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>) {
        let history_key = self.keys.history_key().unwrap();
        let store = match store_path {
            Some(p) => ServiceStore::open(p, &history_key).unwrap(),
            None => ServiceStore::memory(&history_key).unwrap(),
        };
        let end = ServiceEnd::new(
            &self.keys,
            store,
            self.client(&tenant.service_key),
            responder,
            Arc::new(KeywordClassifier::default()),
            ServiceEndOptions::default(),
        )
        .unwrap();
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let runner = end.clone();
        let task = tokio::spawn(async move {
            runner
                .run(async {
                    let _ = rx.await;
                })
                .await
        });
        (end, task, stop)
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A native widget: a pinned initiator and a relay client with the widget key.
pub struct Widget {
    pub session: Session,
    pub client: RelayClient,
}

impl Widget {
    pub fn handle(&self) -> SessionHandle {
        *self.session.handle()
    }

    pub fn meta(&self) -> Metadata {
        self.session.metadata(Role::Visitor, now()).unwrap()
    }

    pub fn seal(&mut self, text: &str) -> Vec<u8> {
        let meta = self.meta();
        self.session.seal(text.as_bytes(), &meta).unwrap()
    }

    pub fn seal_with(&mut self, text: &str, meta: &Metadata) -> Vec<u8> {
        self.session.seal(text.as_bytes(), meta).unwrap()
    }

    pub async fn send(&mut self, text: &str) -> Result<Posted, ClientError> {
        let env = self.seal(text);
        self.client.post(&env).await
    }

    pub async fn live(&self) -> LiveStream {
        match self.client.live(&self.handle(), Default::default()).await {
            Ok(l) => l,
            Err(e) => panic!("live socket refused: {e}"),
        }
    }

    /// Reads the live socket until `answers` complete answers (streams) arrived; their texts.
    pub async fn answers(&mut self, live: &mut LiveStream, answers: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut current = String::new();
        let mut assembler = StreamAssembler::new();
        while out.len() < answers {
            let event = tokio::time::timeout(Duration::from_secs(20), live.next()).await.expect("answer in time");
            let Some(Ok(LiveEvent::Envelope(r))) = event else { panic!("live socket ended: {event:?}") };
            if r.direction != chatseal::Direction::ResponderToInitiator {
                continue;
            }
            let opened = self.session.open(&r.envelope).unwrap();
            if opened.header.stream.is_none() {
                continue; // a close
            }
            current.push_str(std::str::from_utf8(&opened.plaintext).unwrap());
            if assembler.push(&opened).unwrap() {
                out.push(std::mem::take(&mut current));
                assembler = StreamAssembler::new();
            }
        }
        out
    }
}

/// The error code of a failed call.
pub fn code(r: Result<Posted, ClientError>) -> (u16, String) {
    let e = r.expect_err("expected a refusal");
    (e.status.unwrap_or(0), e.code)
}
