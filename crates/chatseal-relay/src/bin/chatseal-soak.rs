//! `chatseal-soak`: simulated widgets (native chatseal initiators) against a running relay and
//! service end on loopback. Each widget sends turns holding unique plaintext and PII canaries,
//! waits for the sealed answer, checks it, and resumes after the relay or the service is killed.
//! Bounded by `--secs` (plus a grace period to collect answers). Prints one JSON summary line.

use chatseal::{Direction, PiiCategory, Role, ServicePublicKey, Session, SessionOptions, StreamAssembler};
use chatseal_relay::client::{LiveEvent, LiveStream, RelayClient};
use chatseal_relay::db::Cursor;
use chatseal_relay::service::builtin_answer;
use chatseal_relay::BoxError;
use clap::Parser;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Clone)]
struct Args {
    /// Relay base URL.
    #[arg(long)]
    relay: String,
    /// Widget API key.
    #[arg(long)]
    widget_key: String,
    /// The service's public key (base64url).
    #[arg(long)]
    public_key: String,
    /// Concurrent widgets.
    #[arg(long, default_value_t = 96)]
    widgets: usize,
    /// Seconds of sending.
    #[arg(long, default_value_t = 60)]
    secs: u64,
    /// Turns per conversation before it is closed and a new one starts.
    #[arg(long, default_value_t = 25)]
    turns: u64,
    /// Where to append the canaries, one a line.
    #[arg(long)]
    canaries: std::path::PathBuf,
    /// Seconds to wait for outstanding answers after sending stops.
    #[arg(long, default_value_t = 60)]
    grace: u64,
}

#[derive(Default)]
struct Totals {
    acked: AtomicU64,
    answered: AtomicU64,
    lost: AtomicU64,
    duplicated: AtomicU64,
    wrong_answers: AtomicU64,
    reconnects: AtomicU64,
    resent: AtomicU64,
    latencies_us: Mutex<Vec<u64>>,
    conversations: Mutex<Vec<chatseal::SessionHandle>>,
    lost_handles: Mutex<Vec<(chatseal::SessionHandle, Cursor)>>,
    canaries: Mutex<Vec<String>>,
}

fn now() -> u64 {
    chatseal_relay::db::now().max(0) as u64
}

fn canary(prefix: &str) -> String {
    let mut tag = [0u8; 9];
    let _ = getrandom::fill(&mut tag);
    format!("{prefix}{}", chatseal::hex_encode(&tag))
}

/// One conversation's receiving side: the live socket, the cursor, what arrived.
struct Receiver {
    live: Option<LiveStream>,
    cursor: Cursor,
    seen_r2i: HashSet<u64>,
    /// Diagnostics for a lost answer: socket (re)connections, events, when the last came.
    connects: u32,
    events: u64,
    last_event: Option<Instant>,
}

impl Receiver {
    /// The next answer's text (a complete stream), reconnecting as needed, until `deadline`.
    async fn answer(
        &mut self,
        client: &RelayClient,
        session: &mut Session,
        totals: &Totals,
        deadline: Instant,
    ) -> Option<String> {
        let mut text = String::new();
        let mut assembler = StreamAssembler::new();
        loop {
            if Instant::now() > deadline {
                return None;
            }
            if self.live.is_none() {
                match client.live(session.handle(), self.cursor).await {
                    Ok(l) => {
                        self.live = Some(l);
                        self.connects += 1;
                    }
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                }
            }
            let live = self.live.as_mut()?;
            let event = tokio::time::timeout(Duration::from_secs(5), live.next()).await;
            let r = match event {
                Ok(Some(Ok(LiveEvent::Envelope(r)))) => r,
                Ok(Some(Ok(_))) => continue,
                Err(_) => continue, // quiet; keep waiting
                Ok(Some(Err(_)) | None) => {
                    self.live = None;
                    totals.reconnects.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            self.events += 1;
            self.last_event = Some(Instant::now());
            self.cursor.advance(r.direction, r.seq);
            if r.direction != Direction::ResponderToInitiator {
                continue;
            }
            if !self.seen_r2i.insert(r.seq) {
                totals.duplicated.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let opened = match session.open(&r.envelope) {
                Ok(o) => o,
                Err(_) => {
                    totals.duplicated.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            if opened.header.stream.is_none() {
                continue; // the service's close
            }
            if opened.metadata.labels().iter().any(|l| l.key() == "svc.interrupted") {
                continue; // end of an answer cut off by a crash; the whole answer follows
            }
            text.push_str(&String::from_utf8_lossy(&opened.plaintext));
            match assembler.push(&opened) {
                Ok(true) => return Some(text),
                Ok(false) => {}
                Err(_) => {
                    text.clear();
                    assembler = StreamAssembler::new();
                }
            }
        }
    }
}

async fn widget(args: Args, public: ServicePublicKey, totals: Arc<Totals>, stop_at: Instant, give_up_at: Instant) {
    let client = RelayClient::new(&args.relay, &args.widget_key);
    while Instant::now() < stop_at {
        let Ok(mut session) = Session::initiate_pinned(&public, SessionOptions::default()) else { return };
        totals.conversations.lock().map(|mut c| c.push(*session.handle())).ok();
        let mut rx = Receiver {
            live: None,
            cursor: Cursor::default(),
            seen_r2i: HashSet::new(),
            connects: 0,
            events: 0,
            last_event: None,
        };
        for turn in 0..args.turns {
            if Instant::now() >= stop_at {
                break;
            }
            let plain = canary("SOAKPLAIN");
            let email = format!("{}@example.org", canary("soakmail"));
            let text = format!("turn {turn}: {plain} write to {email}");
            let Ok(mut meta) = session.metadata(Role::Visitor, now()) else { return };
            meta.pii.set(PiiCategory::Email, 1);
            let last = turn + 1 == args.turns;
            let sealed =
                if last { session.close(text.as_bytes(), &meta) } else { session.seal(text.as_bytes(), &meta) };
            let Ok(env) = sealed else { return };
            totals.canaries.lock().map(|mut c| c.extend([plain, email])).ok();
            let started = Instant::now();
            match client.post_until(&env, give_up_at.saturating_duration_since(Instant::now())).await {
                Ok(p) => {
                    totals.acked.fetch_add(1, Ordering::Relaxed);
                    if !p.stored {
                        totals.resent.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(_) => return, // never acknowledged: not counted
            }
            match rx.answer(&client, &mut session, &totals, give_up_at).await {
                Some(answer) => {
                    if answer != builtin_answer(&text, 1) {
                        totals.wrong_answers.fetch_add(1, Ordering::Relaxed);
                    }
                    totals.answered.fetch_add(1, Ordering::Relaxed);
                    let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                    totals.latencies_us.lock().map(|mut l| l.push(us)).ok();
                }
                None => {
                    totals.lost.fetch_add(1, Ordering::Relaxed);
                    let report = serde_json::json!({
                        "lost": session.handle().to_hex(),
                        "turn": turn,
                        "cursor": rx.cursor.to_string(),
                        "connected": rx.live.is_some(),
                        "connects": rx.connects,
                        "events": rx.events,
                        "posted_secs_ago": started.elapsed().as_secs_f64(),
                        "last_event_secs_ago": rx.last_event.map(|t| t.elapsed().as_secs_f64()),
                    });
                    eprintln!("{report}");
                    totals.lost_handles.lock().map(|mut l| l.push((*session.handle(), rx.cursor))).ok();
                    return;
                }
            }
        }
        if let Some(l) = rx.live.take() {
            l.close().await;
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0) as f64 / 1000.0
}

/// Audits every conversation through the relay: how many are broken or incomplete.
async fn audit_all(client: &RelayClient, handles: Vec<chatseal::SessionHandle>) -> (u64, u64) {
    let handles = Arc::new(Mutex::new(handles));
    let bad = Arc::new(AtomicU64::new(0));
    let checked = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, handles, bad, checked) =
            (client.clone(), Arc::clone(&handles), Arc::clone(&bad), Arc::clone(&checked));
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(h) = handles.lock().ok().and_then(|mut v| v.pop()) else { return };
                let verdict = match client.audit(&h).await {
                    Ok(v) => v.get("verdict").and_then(serde_json::Value::as_str).unwrap_or("").to_owned(),
                    Err(e) if e.code == "not_found" => continue, // never stored (no turn acknowledged)
                    Err(_) => String::new(),
                };
                checked.fetch_add(1, Ordering::Relaxed);
                if verdict != "complete" && verdict != "unfinished" {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    (checked.load(Ordering::Relaxed), bad.load(Ordering::Relaxed))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let public = ServicePublicKey::from_bytes(&chatseal::base64url_decode(&args.public_key)?)?;
    let totals = Arc::new(Totals::default());
    let started = Instant::now();
    let stop_at = started + Duration::from_secs(args.secs);
    let give_up_at = stop_at + Duration::from_secs(args.grace);
    let tasks: Vec<_> = (0..args.widgets)
        .map(|_| tokio::spawn(widget(args.clone(), public.clone(), Arc::clone(&totals), stop_at, give_up_at)))
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64().min(args.secs as f64).max(1.0);
    let mut lat = totals.latencies_us.lock().map(|l| l.clone()).unwrap_or_default();
    lat.sort_unstable();
    let handles = totals.conversations.lock().map(|c| c.clone()).unwrap_or_default();
    let client = RelayClient::new(&args.relay, &args.widget_key);
    let (audited, audit_bad) = audit_all(&client, handles).await;
    // What the relay holds after the cursor of each lost answer: tells a reply never stored
    // (service side) from a reply stored and not delivered (delivery side).
    let mut lost_stored = 0u64;
    for (handle, cursor) in totals.lost_handles.lock().map(|l| l.clone()).unwrap_or_default() {
        let rows = client.fetch(&handle, cursor).await.map(|p| p.envelopes).unwrap_or_default();
        let after: Vec<String> = rows.iter().map(|r| format!("{}:{}", r.direction.name(), r.seq)).collect();
        if rows.iter().any(|r| r.direction == Direction::ResponderToInitiator) {
            lost_stored += 1;
        }
        eprintln!("{}", serde_json::json!({ "lost": handle.to_hex(), "stored_after_cursor": after }));
    }
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&args.canaries)?;
        for c in totals.canaries.lock().map(|c| c.clone()).unwrap_or_default() {
            writeln!(f, "{c}")?;
        }
    }
    let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let answered = g(&totals.answered);
    let summary = serde_json::json!({
        "acked": g(&totals.acked),
        "answered": answered,
        "lost": g(&totals.lost) + g(&totals.acked).saturating_sub(answered + g(&totals.lost)),
        "duplicated": g(&totals.duplicated),
        "lost_reply_stored": lost_stored,
        "wrong_answers": g(&totals.wrong_answers),
        "resent": g(&totals.resent),
        "reconnects": g(&totals.reconnects),
        "rate": (answered as f64 / elapsed * 10.0).round() / 10.0,
        "p50_ms": percentile(&lat, 0.50),
        "p99_ms": percentile(&lat, 0.99),
        "conversations": audited,
        "audit_bad": audit_bad,
        "widgets": args.widgets,
        "secs": args.secs,
    });
    println!("{summary}");
    Ok(())
}
