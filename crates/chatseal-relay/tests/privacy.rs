//! The promise at small scale: plaintext and PII canaries typed by visitors never reach the
//! relay's database file, its WAL, the service end's store or any log line; and the search is
//! shown able to find a canary planted on purpose. Also: the OpenAI-compatible hook against a
//! local mock server, and the service store's atomic staging.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use axum::response::IntoResponse;
use chatseal_relay::service::{OpenAiHook, ServiceStore};
use common::Harness;
use std::sync::{Arc, Mutex};

fn canary(i: usize) -> String {
    let mut tag = [0u8; 8];
    getrandom::fill(&mut tag).unwrap();
    format!("CANARY{}x{i}", chatseal::hex_encode(&tag))
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn count_in(haystack: &[u8], needle: &str) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canaries_never_reach_storage_or_logs() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let store_path = h.dir.path().join("service.db");
    let (end, task, stop) =
        h.service_with(&t, Arc::new(chatseal_relay::service::Builtin { chunks: 2 }), Some(&store_path));
    let mut canaries = Vec::new();
    for c in 0..4 {
        let mut w = h.widget(&t);
        let mut live = None;
        for i in 0..5 {
            let plain = canary(c * 10 + i);
            let email = format!("{}@example.com", canary(c * 10 + i).to_lowercase());
            let text = format!("secret {plain} and my mail {email} and card 4111 1111 1111 1111");
            canaries.push(plain);
            canaries.push(email);
            w.send(&text).await.unwrap();
            if live.is_none() {
                live = Some(w.live().await);
            }
            w.answers(live.as_mut().unwrap(), 1).await;
        }
        w.client.fetch(&w.handle(), Default::default()).await.unwrap();
    }
    drop(stop);
    let _ = task.await;
    drop(end);
    let database_url = h.database_url.clone();
    // Read while the relay runs (its WAL holds the recent writes), then the logs.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for p in files_under(h.dir.path()) {
        files.push((p.display().to_string(), std::fs::read(&p).unwrap()));
    }
    h.stop().await;
    let logs = common::logs().lock().unwrap().clone();
    assert!(count_in(&logs, "stored") > 0, "the log capture works");
    files.push(("logs".into(), logs));
    if database_url.starts_with("sqlite") {
        assert!(files.iter().any(|(n, _)| n.ends_with("relay.db")));
        assert!(files.iter().any(|(n, _)| n.ends_with("relay.db-wal")));
        assert!(files.iter().any(|(n, _)| n.ends_with("service.db")));
    }
    for c in &canaries {
        for (name, bytes) in &files {
            assert_eq!(count_in(bytes, c), 0, "canary found in {name}");
        }
    }
    // The search works: a planted canary is found.
    let mut planted = files[0].1.clone();
    planted.extend_from_slice(canaries[0].as_bytes());
    assert_eq!(count_in(&planted, &canaries[0]), 1);
}

type Seen = Arc<Mutex<Vec<serde_json::Value>>>;

async fn mock_completions(
    axum::extract::State(seen): axum::extract::State<Seen>,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> impl IntoResponse {
    let turns = body["messages"].as_array().map_or(0, Vec::len);
    seen.lock().unwrap().push(body);
    let pieces = ["Hello", " from", " the", " mock", &format!(" ({turns} messages)")];
    let mut sse = String::new();
    for p in pieces {
        sse.push_str(&format!("data: {}\n\n", serde_json::json!({ "choices": [{ "delta": { "content": p } }] })));
    }
    sse.push_str("data: [DONE]\n\n");
    ([("content-type", "text/event-stream")], sse)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_compatible_hook_streams_the_answer_with_history() {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(mock_completions))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mock = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let h = Harness::start().await;
    let t = h.tenant().await;
    let (_end, _task, _stop) =
        h.service_with(&t, Arc::new(OpenAiHook::new(&mock, "test-model", Some("k".into()))), None);
    let mut w = h.widget(&t);
    w.send("first question").await.unwrap();
    let mut live = w.live().await;
    assert_eq!(w.answers(&mut live, 1).await[0], "Hello from the mock (2 messages)");
    w.send("second question").await.unwrap();
    assert_eq!(w.answers(&mut live, 1).await[0], "Hello from the mock (4 messages)");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[1]["model"], "test-model");
    assert_eq!(seen[1]["stream"], true);
    let roles: Vec<&str> =
        seen[1]["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(seen[1]["messages"][1]["content"], "first question");
    assert_eq!(seen[1]["messages"][2]["content"], "Hello from the mock (2 messages)");
    // The answer was posted as several stream chunks, all stored.
    let page = w.client.fetch(&w.handle(), Default::default()).await.unwrap();
    assert!(page.envelopes.iter().filter(|r| r.direction == chatseal::Direction::ResponderToInitiator).count() >= 2);
    h.stop().await;
}

#[test]
fn store_writes_staged_rows_only_with_the_record() {
    use chatseal::{RecordStore, SessionHandle};
    let store = ServiceStore::memory(&[3; 32]).unwrap();
    let h = SessionHandle::from_bytes([1; 16]);
    store.stage_outbox(&h, b"env0".to_vec()).unwrap();
    store.stage_pending(&h, 0, b"visitor0".to_vec()).unwrap();
    store.stage_history(&h, "user", "hi").unwrap();
    store.create(&h, 0, b"rec0").unwrap();
    assert_eq!(store.outbox(None).unwrap().len(), 1);
    assert_eq!(store.pending().unwrap().len(), 1);
    assert_eq!(store.history(&h).unwrap()[0].1.as_str(), "hi");
    // A lost compare-and-swap writes nothing staged.
    store.stage_outbox(&h, b"env1".to_vec()).unwrap();
    assert_eq!(store.update(&h, 7, 8, b"rec?"), Err(chatseal::Error::Conflict));
    store.update(&h, 0, 1, b"rec1").unwrap();
    assert_eq!(store.outbox(Some(&h)).unwrap().len(), 1);
    store.stage_answered(&h, 0).unwrap();
    store.update(&h, 1, 2, b"rec2").unwrap();
    assert!(store.pending().unwrap().is_empty());
    assert_eq!(store.create(&h, 0, b"again"), Err(chatseal::Error::SessionExists));
    assert!(store.remove(&h).unwrap());
    assert!(store.is_forgotten(&h).unwrap());
    assert!(store.outbox(None).unwrap().is_empty() && store.history(&h).unwrap().is_empty());
    assert_eq!(store.update(&h, 2, 3, b"x"), Err(chatseal::Error::UnknownSession));
}
