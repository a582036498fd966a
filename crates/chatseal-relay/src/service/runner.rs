//! The service end's loop: one worker per conversation (turns of a conversation are handled in
//! order, conversations in parallel up to a limit), every state change written to the store
//! before anything is posted, the outbox posted (and re-posted after a crash) until the relay
//! acknowledges it.

use super::classifier::Classifier;
use super::responder::{Message, Responder};
use super::store::ServiceStore;
use crate::client::RelayClient;
use chatseal::{Error, Label, Metadata, Opened, Pseudonym, Role, Service, ServiceOptions, Session, SessionHandle};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};
use zeroize::Zeroizing;

/// Settings of a service end.
#[derive(Clone, Debug)]
pub struct ServiceEndOptions {
    /// Conversations worked on at once (default 32).
    pub concurrency: usize,
    /// Time granularity of reply metadata (default 60 s).
    pub time_granularity: u32,
    /// How long a post is retried before it waits for the next outbox sweep (default 10 s).
    pub post_patience: Duration,
}

impl Default for ServiceEndOptions {
    fn default() -> Self {
        ServiceEndOptions { concurrency: 32, time_granularity: 60, post_patience: Duration::from_secs(10) }
    }
}

/// Counters (no content).
#[derive(Debug, Default)]
pub struct Stats {
    /// Visitor turns opened.
    pub opened: AtomicU64,
    /// Answers completed.
    pub answered: AtomicU64,
    /// Envelopes posted and acknowledged by the relay.
    pub posted: AtomicU64,
    /// Turns delivered again that were already opened (resends, backlog overlap).
    pub repeated: AtomicU64,
    /// Turns refused (forged, wrong session, forgotten handle, ...).
    pub refused: AtomicU64,
    /// Sessions forgotten on the relay's request.
    pub forgotten: AtomicU64,
    /// Answers recovered after a restart.
    pub recovered: AtomicU64,
}

enum Job {
    Turn(Vec<u8>),
    Recover(u64, Vec<u8>),
    Delete(i64),
    Flush,
}

/// What a blocking step leaves to do.
enum Next {
    /// Answered (and staged) already.
    Done,
    /// Stream an answer from the responder.
    Stream(StreamPlan),
}

struct StreamPlan {
    seq: u64,
    close: bool,
    subject: Option<[u8; 16]>,
    flags: Vec<String>,
    conversation: Vec<Message>,
}

struct Inner {
    service: Service<ServiceStore>,
    relay: RelayClient,
    responder: Arc<dyn Responder>,
    classifier: Arc<dyn Classifier>,
    workers: Mutex<HashMap<SessionHandle, mpsc::UnboundedSender<Job>>>,
    permits: Semaphore,
    options: ServiceEndOptions,
    stats: Stats,
}

/// A running service end (cheap to clone).
#[derive(Clone)]
pub struct ServiceEnd {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for ServiceEnd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceEnd").field("relay", &self.inner.relay).finish_non_exhaustive()
    }
}

fn now() -> u64 {
    crate::db::now().max(0) as u64
}

fn quiet(e: &Error) -> bool {
    matches!(e, Error::Duplicate | Error::TooOld | Error::SessionExists)
}

impl ServiceEnd {
    /// A service end over its keys and store, answering through `relay`.
    pub fn new(
        keys: &super::ServiceKeys,
        store: ServiceStore,
        relay: RelayClient,
        responder: Arc<dyn Responder>,
        classifier: Arc<dyn Classifier>,
        options: ServiceEndOptions,
    ) -> Result<Self, Error> {
        let service_options =
            ServiceOptions { time_granularity: options.time_granularity, ..ServiceOptions::default() };
        let service = Service::new(keys.keyring()?, &*keys.record_key()?, store, service_options);
        let permits = Semaphore::new(options.concurrency.max(1));
        let inner = Inner {
            service,
            relay,
            responder,
            classifier,
            workers: Mutex::default(),
            permits,
            options,
            stats: Stats::default(),
        };
        Ok(ServiceEnd { inner: Arc::new(inner) })
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// The store.
    pub fn store(&self) -> &ServiceStore {
        self.inner.service.store()
    }

    /// Follows the relay until `shutdown` resolves: first re-posts the outbox and resumes
    /// unanswered turns left by a previous run, then handles the service stream, reconnecting
    /// whenever it drops.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        self.resume();
        let mut sweep = tokio::time::interval(Duration::from_secs(2));
        loop {
            let mut stream = tokio::select! {
                () = &mut shutdown => return,
                s = self.inner.relay.service_stream() => match s {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(code = %e.code, status = ?e.status, "service stream: connect failed; retrying");
                        tokio::time::sleep(Duration::from_millis(250)).await;
                        continue;
                    }
                },
            };
            tracing::info!("service stream connected");
            loop {
                tokio::select! {
                    () = &mut shutdown => return,
                    _ = sweep.tick() => self.sweep_outbox(),
                    event = stream.next() => match event {
                        Some(Ok(e)) => self.dispatch(e),
                        Some(Err(e)) => { tracing::warn!(code = %e.code, "service stream failed; reconnecting"); break; }
                        None => { tracing::warn!("service stream closed; reconnecting"); break; }
                    },
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn dispatch(&self, event: crate::client::LiveEvent) {
        use crate::client::LiveEvent;
        match event {
            LiveEvent::Envelope(r) => self.enqueue(r.handle, Job::Turn(r.envelope)),
            LiveEvent::Deleted(t) => {
                let handle = t.get("handle").and_then(|h| h.as_str()).and_then(|h| SessionHandle::from_hex(h).ok());
                if let (Some(handle), Some(id)) = (handle, t.get("id").and_then(serde_json::Value::as_i64)) {
                    self.enqueue(handle, Job::Delete(id));
                }
            }
            LiveEvent::Synced => tracing::debug!("service stream backlog sent"),
        }
    }

    fn resume(&self) {
        match self.store().pending() {
            Ok(pending) => {
                for (handle, seq, env) in pending {
                    self.enqueue(handle, Job::Recover(seq, env));
                }
            }
            Err(e) => tracing::error!(code = e.code(), "could not read pending turns"),
        }
        self.sweep_outbox();
    }

    fn sweep_outbox(&self) {
        match self.store().outbox(None) {
            Ok(rows) => {
                let mut seen = std::collections::HashSet::new();
                for (_, handle, _) in rows {
                    if seen.insert(handle) {
                        self.enqueue(handle, Job::Flush);
                    }
                }
            }
            Err(e) => tracing::error!(code = e.code(), "could not read the outbox"),
        }
    }

    fn enqueue(&self, handle: SessionHandle, job: Job) {
        let Ok(mut workers) = self.inner.workers.lock() else { return };
        let job = match workers.get(&handle) {
            Some(tx) => match tx.send(job) {
                Ok(()) => return,
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        if tx.send(job).is_ok() {
            workers.insert(handle, tx);
            tokio::spawn(self.clone().worker(handle, rx));
        }
    }

    async fn worker(self, handle: SessionHandle, mut rx: mpsc::UnboundedReceiver<Job>) {
        loop {
            let job = match rx.try_recv() {
                Ok(job) => job,
                Err(mpsc::error::TryRecvError::Disconnected) => return,
                Err(mpsc::error::TryRecvError::Empty) => {
                    let Ok(mut workers) = self.inner.workers.lock() else { return };
                    match rx.try_recv() {
                        Ok(job) => job,
                        Err(_) => {
                            workers.remove(&handle);
                            return;
                        }
                    }
                }
            };
            let Ok(_permit) = self.inner.permits.acquire().await else { return };
            self.run_job(handle, job).await;
        }
    }

    async fn run_job(&self, handle: SessionHandle, job: Job) {
        let next = match job {
            Job::Flush => Ok(Next::Done),
            Job::Delete(id) => return self.forget(handle, id).await,
            Job::Turn(env) => self.blocking(move |me| me.turn(&handle, &env)).await,
            Job::Recover(seq, env) => {
                let out = self.blocking(move |me| me.recover(&handle, seq, &env)).await;
                if out.is_ok() {
                    self.inner.stats.recovered.fetch_add(1, Ordering::Relaxed);
                }
                out
            }
        };
        match next {
            Ok(Next::Done) => {}
            Ok(Next::Stream(plan)) => self.stream_answer(&handle, plan).await,
            Err(e) if quiet(&e) => {
                self.inner.stats.repeated.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.inner.stats.refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(handle = %handle, code = e.code(), "visitor turn refused");
            }
        }
        self.flush(&handle).await;
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner)).await.unwrap_or(Err(Error::Store("worker thread failed")))
    }

    /// Posts the handle's outbox in order; stops at a retryable failure (the sweep retries).
    async fn flush(&self, handle: &SessionHandle) {
        let rows = match self.store().outbox(Some(handle)) {
            Ok(rows) => rows,
            Err(e) => return tracing::error!(code = e.code(), "could not read the outbox"),
        };
        for (id, _, env) in rows {
            match self.inner.relay.post_until(&env, self.inner.options.post_patience).await {
                Ok(_) => {
                    self.inner.stats.posted.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if e.retryable() => {
                    return tracing::warn!(handle = %handle, code = %e.code, "reply not posted yet; will retry")
                }
                Err(e) => tracing::warn!(handle = %handle, code = %e.code, "relay refused a reply; dropping it"),
            }
            if let Err(e) = self.store().outbox_done(id) {
                return tracing::error!(code = e.code(), "could not update the outbox");
            }
        }
    }

    async fn forget(&self, handle: SessionHandle, tombstone: i64) {
        let digest = self
            .blocking(move |me| {
                let store = me.service.store();
                match me.service.forget(&handle, now()) {
                    Ok(record) => {
                        let digest = chatseal::hex_encode(&record.digest());
                        store.mark_forgotten(&handle, now(), Some(&digest))?;
                        Ok(digest)
                    }
                    Err(Error::UnknownSession) => {
                        store.mark_forgotten(&handle, now(), None)?;
                        Ok(store.forgotten_digest(&handle)?.unwrap_or_else(|| "none".to_owned()))
                    }
                    Err(e) => Err(e),
                }
            })
            .await;
        let digest = match digest {
            Ok(d) => d,
            Err(e) => return tracing::error!(handle = %handle, code = e.code(), "could not forget a session"),
        };
        self.inner.stats.forgotten.fetch_add(1, Ordering::Relaxed);
        for _ in 0..50 {
            match self.inner.relay.ack_deletion(tombstone, &digest).await {
                Ok(()) => return tracing::info!(handle = %handle, tombstone, "session forgotten"),
                Err(e) if e.retryable() => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(e) => return tracing::warn!(tombstone, code = %e.code, "deletion acknowledgement refused"),
            }
        }
    }

    async fn stream_answer(&self, handle: &SessionHandle, plan: StreamPlan) {
        let StreamPlan { seq, close, subject, mut flags, conversation } = plan;
        let mut pieces = self.inner.responder.stream(conversation);
        let mut full = Zeroizing::new(String::new());
        let mut buf = Zeroizing::new(String::new());
        let mut last = Instant::now();
        loop {
            match pieces.next().await {
                Some(Ok(piece)) => {
                    buf.push_str(&piece);
                    full.push_str(&piece);
                    if buf.len() >= 48 || last.elapsed() > Duration::from_millis(150) {
                        let chunk = Zeroizing::new(std::mem::take(&mut *buf));
                        let (h, f) = (*handle, flags.clone());
                        let sealed = self
                            .blocking(move |me| {
                                me.with_reply(&h, subject, &f, |s, meta, store| {
                                    store.stage_outbox(&h, s.seal_chunk(chunk.as_bytes(), meta, false)?)
                                })
                            })
                            .await;
                        if let Err(e) = sealed {
                            return tracing::warn!(handle = %handle, code = e.code(), "could not seal a reply chunk");
                        }
                        self.flush(handle).await;
                        last = Instant::now();
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(handle = %handle, what = e.0, "responder failed; ending the answer");
                    flags.push("svc.responder_error".to_owned());
                    break;
                }
                None => break,
            }
        }
        let h = *handle;
        let done = self
            .blocking(move |me| {
                me.with_reply(&h, subject, &flags, |s, meta, store| {
                    store.stage_outbox(&h, s.seal_chunk(buf.as_bytes(), meta, true)?)?;
                    if close {
                        store.stage_outbox(&h, s.close(b"", meta)?)?;
                    }
                    store.stage_answered(&h, seq)?;
                    if me.responder.wants_history() {
                        store.stage_history(&h, "assistant", &full)?;
                    }
                    Ok(())
                })
            })
            .await;
        match done {
            Ok(()) => {
                self.inner.stats.answered.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(handle = %handle, code = e.code(), "could not seal the last reply chunk"),
        }
    }
}

impl Inner {
    /// Opens a visitor turn (accepting the session on its hello) and answers it when the
    /// responder can answer at once.
    fn turn(&self, handle: &SessionHandle, env: &[u8]) -> Result<Next, Error> {
        let inspection = chatseal::inspect(env)?;
        let store = self.service.store();
        store.clear_staged(handle);
        let seq = inspection.header.seq;
        if inspection.hello.is_some() {
            if store.is_forgotten(handle)? {
                return Err(Error::UnknownSession); // deleted: a replayed hello must not revive it
            }
            store.stage_pending(handle, seq, env.to_vec())?;
            let (_, opened) = self.service.accept(env)?;
            self.stats.opened.fetch_add(1, Ordering::Relaxed);
            store.clear_staged(handle);
            return self.service.with_session(handle, |s| self.answer(s, handle, &opened, env));
        }
        self.service.with_session(handle, |s| {
            let opened = s.open(env)?;
            self.stats.opened.fetch_add(1, Ordering::Relaxed);
            self.answer(s, handle, &opened, env)
        })
    }

    /// Picks up a turn opened before a crash and not answered.
    fn recover(&self, handle: &SessionHandle, seq: u64, env: &[u8]) -> Result<Next, Error> {
        let store = self.service.store();
        store.clear_staged(handle);
        let result = self.service.with_session(handle, |s| {
            let opened = s.reopen(env)?;
            self.answer(s, handle, &opened, env)
        });
        if let Err(e) = &result {
            // Unreadable now (its epoch is gone): give it up instead of retrying forever.
            tracing::warn!(handle = %handle, seq, code = e.code(), "could not recover an unanswered turn");
            store.clear_staged(handle);
            let _ = self.service.with_session(handle, |_| store.stage_answered(handle, seq));
        }
        result
    }

    /// Answers an opened visitor turn inside the session's record write, or plans a stream.
    fn answer(&self, s: &mut Session, handle: &SessionHandle, opened: &Opened, env: &[u8]) -> Result<Next, Error> {
        let store = self.service.store();
        let text = Zeroizing::new(String::from_utf8_lossy(&opened.plaintext).into_owned());
        let flags = self.classifier.classify(&text, &opened.metadata);
        let subject = opened.metadata.subject.as_ref().map(|p| *p.as_bytes());
        let seq = opened.header.seq;
        let close = opened.header.close;
        let meta = reply_metadata(s, subject, &flags)?;
        end_open_stream(s, handle, &meta, store)?;
        if let Some(chunks) = self.responder.answer_now(&text, opened.metadata.pii.total()) {
            let last = chunks.len().saturating_sub(1);
            for (i, chunk) in chunks.iter().enumerate() {
                store.stage_outbox(handle, s.seal_chunk(chunk.as_bytes(), &meta, i == last)?)?;
            }
            if close {
                store.stage_outbox(handle, s.close(b"", &meta)?)?;
            }
            store.stage_answered(handle, seq)?;
            self.stats.answered.fetch_add(1, Ordering::Relaxed);
            return Ok(Next::Done);
        }
        // Kept until the answer's last chunk is sealed, to answer it after a crash.
        store.stage_pending(handle, seq, env.to_vec())?;
        let mut conversation = Vec::new();
        if self.responder.wants_history() {
            for (role, text) in store.history(handle)? {
                conversation.push(Message { role, text });
            }
            store.stage_history(handle, "user", &text)?;
        }
        conversation.push(Message { role: "user".into(), text });
        Ok(Next::Stream(StreamPlan { seq, close, subject, flags, conversation }))
    }

    /// Runs `f` on the session with reply metadata, in one record write.
    fn with_reply(
        &self,
        handle: &SessionHandle,
        subject: Option<[u8; 16]>,
        flags: &[String],
        f: impl FnOnce(&mut Session, &Metadata, &ServiceStore) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let store = self.service.store();
        store.clear_staged(handle);
        self.service.with_session(handle, |s| {
            let meta = reply_metadata(s, subject, flags)?;
            f(s, &meta, store)
        })
    }
}

/// Ends a stream left open by an interrupted answer, so a new answer can start.
fn end_open_stream(
    s: &mut Session,
    handle: &SessionHandle,
    meta: &Metadata,
    store: &ServiceStore,
) -> Result<(), Error> {
    if s.stream_open() {
        let mut meta = meta.clone();
        meta.insert_label(Label::new("svc.interrupted", "1")?)?;
        store.stage_outbox(handle, s.seal_chunk(b"", &meta, true)?)?;
    }
    Ok(())
}

/// Metadata of a reply: assistant, coarse time, the visitor's pseudonym, the moderation flags.
fn reply_metadata(s: &Session, subject: Option<[u8; 16]>, flags: &[String]) -> Result<Metadata, Error> {
    let mut meta = s.metadata(Role::Assistant, now())?;
    meta.subject = subject.map(Pseudonym::from_bytes);
    if !flags.is_empty() {
        let mut value = flags.join(",");
        value.truncate(chatseal::MAX_LABEL_VALUE);
        meta.insert_label(Label::new("mod.flag", &value)?)?;
    }
    Ok(meta)
}
