//! API tests of the relay and service end, playing the attacker where it applies. Run on SQLite
//! by default and on Postgres with `DATABASE_URL=postgres://...` (scripts/test-postgres.sh).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatseal::{ImportOptions, PiiCategory, Role, Session, SessionOptions, FIXED_HEADER_LEN};
use chatseal_relay::client::LiveEvent;
use chatseal_relay::db::{Insert, PostOutcome};
use common::{code, now, Harness};
use serde_json::Value;
use std::time::Duration;

async fn raw_post(h: &Harness, key: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/envelopes", h.base))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn status_of(h: &Harness, method: reqwest::Method, key: Option<&str>, path: &str) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(method, format!("{}{path}", h.base));
    if let Some(k) = key {
        r = r.bearer_auth(k);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn err_code(v: &Value) -> &str {
    v.pointer("/error/code").and_then(Value::as_str).unwrap_or("")
}

const KEK: [u8; 32] = [7; 32];

/// A copy of the session, to fork it (a sender that seals two different turns with one number).
fn fork(s: &mut Session) -> Session {
    let blob = s.export_state(&KEK).unwrap();
    Session::import_state(&blob, &KEK, &s.handle().clone(), ImportOptions::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turns_flow_through_relay_and_service_and_back() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let (_end, _task, _stop) = h.service(&t, 3);
    let mut w = h.widget(&t);
    let first = w.send("hello there, service").await.unwrap();
    assert!(first.stored);
    assert_eq!(first.seq, 0);
    let mut live = w.live().await;
    let answers = w.answers(&mut live, 1).await;
    assert_eq!(answers[0], chatseal_relay::service::builtin_answer("hello there, service", 0));
    w.send("second turn").await.unwrap();
    let answers = w.answers(&mut live, 1).await;
    assert_eq!(answers[0], chatseal_relay::service::builtin_answer("second turn", 0));
    // What the relay stored: envelope bytes and metadata columns; no plaintext.
    let page = w.client.fetch(&w.handle(), Default::default()).await.unwrap();
    assert_eq!(page.envelopes.len(), 2 + 6);
    let row = &page.envelopes[0].row;
    assert_eq!(row["role"], "visitor");
    assert_eq!(row["seq"], 0);
    assert!(row["length_bucket"].as_u64().unwrap() >= 32);
    assert_eq!(page.cursor.to_string(), "2.6");
    assert!(!serde_json::to_string(&page.envelopes.iter().map(|r| &r.row).collect::<Vec<_>>())
        .unwrap()
        .contains("second turn"));
    // Paging from a cursor returns only later rows.
    let later = w.client.fetch(&w.handle(), "1.3".parse().unwrap()).await.unwrap();
    assert_eq!(later.envelopes.len(), 4);
    // The keyless audit sees a consistent, unclosed conversation.
    let audit = w.client.audit(&w.handle()).await.unwrap();
    assert_eq!(audit["verdict"], "unfinished", "{audit}");
    // Visitor closes: the service answers and closes too; the audit is complete.
    let meta = w.meta();
    let close = w.session.close(b"bye", &meta).unwrap();
    w.client.post(&close).await.unwrap();
    w.answers(&mut live, 1).await;
    for _ in 0..100 {
        if w.client.audit(&w.handle()).await.unwrap()["verdict"] == "complete" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(w.client.audit(&w.handle()).await.unwrap()["verdict"], "complete");
    // A reconnecting widget resumes from its cursor without duplicates.
    let mut again = w.client.live(&w.handle(), "3.6".parse().unwrap()).await.unwrap();
    let Some(Ok(LiveEvent::Envelope(r))) = again.next().await else { panic!() };
    assert_eq!((r.direction, r.seq), (chatseal::Direction::ResponderToInitiator, 6));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversize_and_badly_encoded_bodies_are_refused_and_store_nothing() {
    let h = Harness::start_with(|c| c.max_envelope = 4096).await;
    let t = h.tenant().await;
    let key = &t.widget_key;
    let (s, v) = raw_post(&h, key, "application/octet-stream", b"not an envelope".to_vec()).await;
    assert_eq!((s, err_code(&v)), (400, "malformed"), "{v}");
    let mut w = h.widget(&t);
    let mut env = w.seal("x");
    env[2] = 9;
    let (s, v) = raw_post(&h, key, "application/octet-stream", env.clone()).await;
    assert_eq!((s, err_code(&v)), (400, "unsupported_version"));
    env[2] = chatseal::VERSION;
    env[3] = 9;
    let (s, v) = raw_post(&h, key, "application/octet-stream", env).await;
    assert_eq!((s, err_code(&v)), (400, "unsupported_suite"));
    let (s, v) = raw_post(&h, key, "application/octet-stream", vec![0u8; 5000]).await;
    assert_eq!((s, err_code(&v)), (413, "too_large"));
    let (s, v) = raw_post(&h, key, "application/octet-stream", vec![0u8; 200_000]).await;
    assert_eq!((s, err_code(&v)), (413, "too_large"));
    let (s, v) = raw_post(&h, key, "application/json", b"{\"envelope\": \"@@@\"}".to_vec()).await;
    assert_eq!((s, err_code(&v)), (400, "bad_request"));
    let (s, v) = raw_post(&h, key, "application/json", b"{nope".to_vec()).await;
    assert_eq!((s, err_code(&v)), (400, "bad_request"));
    let (s, v) = raw_post(&h, key, "text/plain", b"hi".to_vec()).await;
    assert_eq!((s, err_code(&v)), (415, "bad_request"));
    // A big plaintext makes an envelope over the relay's limit.
    let big = "y".repeat(5000);
    let env = w.seal(&big);
    let (s, v) = raw_post(&h, key, "application/octet-stream", env).await;
    assert_eq!((s, err_code(&v)), (413, "too_large"));
    // Nothing was stored by any of these.
    assert!(h.db.conversation(t.tenant_id, &w.handle()).await.unwrap().is_none());
    // The same turn as base64url JSON is fine.
    let mut w = h.widget(&t);
    let env = w.seal("ok");
    let body = serde_json::json!({ "envelope": chatseal::base64url_encode(&env) }).to_string();
    let (s, v) = raw_post(&h, key, "application/json", body.into_bytes()).await;
    assert_eq!(s, 201, "{v}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_role_wrong_direction_and_wrong_scope_are_refused() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let mut w = h.widget(&t);
    w.send("hello").await.unwrap();
    // A visitor turn whose metadata claims the assistant role (authenticated data: only the
    // relay's structural check stands between it and storage).
    let mut env = w.seal("forged role");
    let at = role_offset(&env);
    env[at] = 1;
    let (s, v) = raw_post(&h, &t.widget_key, "application/octet-stream", env).await;
    assert_eq!((s, err_code(&v)), (400, "wrong_role"));
    // The service key cannot post visitor turns, nor the moderator anything.
    let mut w2 = h.widget(&t);
    let env = w2.seal("hi");
    let (s, v) = raw_post(&h, &t.service_key, "application/octet-stream", env.clone()).await;
    assert_eq!((s, err_code(&v)), (403, "wrong_direction"));
    let (s, v) = raw_post(&h, &t.moderator_key, "application/octet-stream", env).await;
    assert_eq!((s, err_code(&v)), (403, "wrong_direction"));
    // A reply posted with the widget key.
    let (_end, _task, _stop) = h.service(&t, 1);
    let mut live = w.live().await;
    let reply = loop {
        let Some(Ok(LiveEvent::Envelope(r))) = live.next().await else { panic!() };
        if r.direction == chatseal::Direction::ResponderToInitiator {
            break r.envelope;
        }
    };
    let (s, v) = raw_post(&h, &t.widget_key, "application/octet-stream", reply).await;
    assert_eq!((s, err_code(&v)), (403, "wrong_direction"));
    // Keys: none, unknown, and scopes per endpoint.
    let (s, v) = raw_post(&h, "csk_widget_nope", "application/octet-stream", vec![1]).await;
    assert_eq!((s, err_code(&v)), (401, "unauthorized"));
    let hx = w.handle().to_hex();
    assert_eq!(status_of(&h, reqwest::Method::GET, None, &format!("/v1/conversations/{hx}")).await.0, 401);
    for (key, path, want) in [
        (&t.widget_key, "/v1/conversations".to_owned(), 403),
        (&t.widget_key, format!("/v1/conversations/{hx}/export"), 403),
        (&t.widget_key, "/v1/moderation/volumes".to_owned(), 403),
        (&t.service_key, "/v1/moderation/volumes".to_owned(), 403),
        (&t.widget_key, "/v1/service/deletions".to_owned(), 403),
        (&t.moderator_key, "/v1/service/deletions".to_owned(), 403),
        (&t.widget_key, "/v1/audit-log".to_owned(), 403),
        (&t.widget_key, "/v1/tombstones".to_owned(), 403),
        (&t.moderator_key, "/v1/conversations".to_owned(), 200),
        (&t.widget_key, format!("/v1/conversations/{hx}"), 200),
        (&t.widget_key, "/v1/conversations/zz".to_owned(), 400),
    ] {
        let (s, v) = status_of(&h, reqwest::Method::GET, Some(key), &path).await;
        assert_eq!(s, want, "{path}: {v}");
    }
    let e = h.client(&t.widget_key).service_stream().await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (Some(403), "forbidden"));
    // A revoked key stops working (after the 30 s cache for keys already seen; this one is new).
    let extra = h.db.add_key(t.tenant_id, chatseal_relay::db::Scope::Moderator).await.unwrap();
    let key_id = h.db.lookup_key(&extra).await.unwrap().unwrap().key_id;
    assert!(h.db.revoke_key(&key_id).await.unwrap());
    assert_eq!(status_of(&h, reqwest::Method::GET, Some(&extra), "/v1/conversations").await.0, 401);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_forks_gaps_and_swapped_envelopes_are_refused() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let mut w = h.widget(&t);
    let hello = w.seal("hello");
    assert!(w.client.post(&hello).await.unwrap().stored);
    // Byte-identical resend: 200, nothing new.
    let again = w.client.post(&hello).await.unwrap();
    assert!(!again.stored);
    // A second, different hello for the live handle (tampered ciphertext).
    let mut second_hello = hello.clone();
    *second_hello.last_mut().unwrap() ^= 1;
    assert_eq!(code(w.client.post(&second_hello).await), (409, "session_exists".into()));
    // Fork the sender: two different turns with seq 1.
    let mut other = fork(&mut w.session);
    let a1 = w.seal("turn a1");
    let b1 = other.seal(b"turn b1", &w.meta()).unwrap();
    let a2 = w.seal("turn a2");
    let b2 = other.seal(b"turn b2", &w.meta()).unwrap();
    // Out of order: seq 2 before seq 1 is a gap.
    assert_eq!(code(w.client.post(&a2).await), (409, "gap".into()));
    w.client.post(&a1).await.unwrap();
    assert_eq!(code(w.client.post(&b1).await), (409, "duplicate".into()));
    // b2's prev is b1's link, not the stored a1's.
    assert_eq!(code(w.client.post(&b2).await), (409, "broken_chain".into()));
    w.client.post(&a2).await.unwrap();
    // A turn of this conversation with another session's handle written over it.
    let mut x = h.widget(&t);
    x.send("x hello").await.unwrap();
    let mut y = h.widget(&t);
    y.send("y hello").await.unwrap();
    let mut swapped = y.seal("swap me");
    swapped[7..23].copy_from_slice(x.handle().as_bytes());
    assert_eq!(code(w.client.post(&swapped).await), (409, "broken_chain".into()));
    // The same turn posted to another tenant finds no conversation there.
    let t2 = h.tenant().await;
    let a3 = w.seal("a3");
    assert_eq!(code(h.client(&t2.widget_key).post(&a3).await), (404, "unknown_session".into()));
    // After a close, its direction is closed.
    let mut after = fork(&mut w.session);
    let meta = w.meta();
    w.client.post(&a3).await.unwrap();
    let close = w.session.close(b"", &meta).unwrap();
    let _ = after.seal(b"instead of the close", &meta).unwrap();
    let late = after.seal(b"after the close", &meta).unwrap();
    w.client.post(&close).await.unwrap();
    assert_eq!(code(w.client.post(&late).await), (409, "closed".into()));
    // Nothing refused was stored: the audit is consistent.
    let page = w.client.fetch(&w.handle(), Default::default()).await.unwrap();
    assert_eq!(page.envelopes.len(), 5);
    let audit = w.client.audit(&w.handle()).await.unwrap();
    assert_eq!(audit["verdict"], "complete", "{audit}");
    h.stop().await;
}

/// Posts that arrive together are written together (SQLite: one transaction per batch, a
/// savepoint per post): of two forked turns with one number exactly one is stored, the other is
/// refused and leaves nothing, and every chain stays whole, whatever lands in one batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_and_forks_each_get_their_own_answer() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let mut widgets: Vec<_> = (0..24).map(|_| h.widget(&t)).collect();
    let posts = widgets.iter_mut().map(|w| {
        let hello = w.seal("hello");
        let mut twin = fork(&mut w.session);
        let a = w.seal("turn a");
        let b = twin.seal(b"turn b", &w.meta()).unwrap();
        let client = w.client.clone();
        async move {
            let first = client.post(&hello).await;
            let (a, b) = tokio::join!(client.post(&a), client.post(&b));
            (first, a, b)
        }
    });
    for (first, a, b) in futures_util::future::join_all(posts).await {
        assert!(first.unwrap().stored);
        let stored = [&a, &b].iter().filter(|r| r.as_ref().is_ok_and(|p| p.stored)).count();
        assert_eq!(stored, 1, "{a:?} {b:?}");
        let refused = if a.is_err() { a } else { b };
        assert_eq!(code(refused), (409, "duplicate".into()));
    }
    for w in &widgets {
        let page = w.client.fetch(&w.handle(), Default::default()).await.unwrap();
        assert_eq!(page.envelopes.len(), 2);
        assert_eq!(w.client.audit(&w.handle()).await.unwrap()["verdict"], "unfinished");
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgements_must_name_stored_turns() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let (_end, _task, _stop) = h.service(&t, 1);
    let mut w = h.widget(&t);
    w.send("one").await.unwrap();
    let mut live = w.live().await;
    w.answers(&mut live, 1).await;
    // The widget's next turn acknowledges the reply; tamper with the ack link in the header.
    let mut env = w.seal("two");
    let ack_link_at = 5 + 1 + 1 + 16 + 4 + 8 + 32 + 8;
    env[ack_link_at] ^= 1;
    assert_eq!(code(w.client.post(&env).await), (409, "ack_mismatch".into()));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_cannot_list_read_post_to_or_delete_each_others_conversations() {
    let h = Harness::start().await;
    let a = h.tenant().await;
    let b = h.tenant().await;
    let mut w = h.widget(&a);
    w.send("tenant a's visitor").await.unwrap();
    let hx = w.handle().to_hex();
    for key in [&b.widget_key, &b.service_key, &b.moderator_key] {
        for path in [
            format!("/v1/conversations/{hx}"),
            format!("/v1/conversations/{hx}/envelopes"),
            format!("/v1/conversations/{hx}/audit"),
        ] {
            let (s, v) = status_of(&h, reqwest::Method::GET, Some(key), &path).await;
            assert_eq!((s, err_code(&v)), (404, "not_found"), "{path}");
        }
        let (s, _) = status_of(&h, reqwest::Method::DELETE, Some(key), &format!("/v1/conversations/{hx}")).await;
        assert_eq!(s, 404);
        let e = h.client(key).live(&w.handle(), Default::default()).await.unwrap_err();
        assert_eq!(e.status, Some(404));
    }
    for key in [&b.service_key, &b.moderator_key] {
        let (_, v) = status_of(&h, reqwest::Method::GET, Some(key), "/v1/conversations").await;
        assert!(!v.to_string().contains(&hx));
    }
    let (_, v) = status_of(&h, reqwest::Method::GET, Some(&b.moderator_key), "/v1/moderation/volumes?bucket=60").await;
    assert_eq!(v["volumes"].as_array().unwrap().len(), 0);
    // B's widget cannot post A's next turn.
    let env = w.seal("next");
    assert_eq!(code(h.client(&b.widget_key).post(&env).await).0, 404);
    // B's service stream never hears of A's turns; A's conversation is intact.
    let mut stream = h.client(&b.service_key).service_stream().await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert!(matches!(first, LiveEvent::Synced));
    assert_eq!(w.client.fetch(&w.handle(), Default::default()).await.unwrap().envelopes.len(), 1);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_leaves_a_tombstone_and_the_service_forgets_the_session() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let (end, _task, _stop) = h.service(&t, 1);
    let mut w = h.widget(&t);
    let hello = w.seal("please forget me");
    w.client.post(&hello).await.unwrap();
    let mut live = w.live().await;
    w.answers(&mut live, 1).await;
    let deleted = w.client.delete(&w.handle()).await.unwrap();
    let tombstone = &deleted["tombstone"];
    assert_eq!(tombstone["envelopes"], 2);
    assert_eq!(tombstone["reason"], "request");
    assert!(deleted["residual"].as_str().unwrap().contains("backups"));
    // The live socket hears of it.
    loop {
        match live.next().await {
            Some(Ok(LiveEvent::Deleted(t))) => break assert_eq!(t["id"], tombstone["id"]),
            Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    }
    // The service end drops its record and confirms with the deletion record's digest.
    let id = tombstone["id"].as_i64().unwrap();
    let mut acked = None;
    for _ in 0..100 {
        let t = h.db.tombstone(t.tenant_id, id).await.unwrap().unwrap();
        if t.service_acked_at.is_some() {
            acked = t.service_digest;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(acked.unwrap().len(), 64);
    assert_eq!(end.store().records().unwrap(), 0);
    assert!(end.store().is_forgotten(&w.handle()).unwrap());
    // Nothing stored; posting again is refused; a replayed hello cannot revive it.
    let page = w.client.fetch(&w.handle(), Default::default()).await.unwrap();
    assert!(page.envelopes.is_empty());
    assert_eq!(code(w.client.post(&hello).await), (410, "deleted".into()));
    assert_eq!(code(w.send("more").await), (410, "deleted".into()));
    assert_eq!(
        status_of(&h, reqwest::Method::DELETE, Some(&t.widget_key), &format!("/v1/conversations/{}", w.handle()))
            .await
            .0,
        404
    );
    // Tombstones and the audit log record it.
    let (_, v) = status_of(&h, reqwest::Method::GET, Some(&t.moderator_key), "/v1/tombstones").await;
    assert_eq!(v["tombstones"][0]["handle"], w.handle().to_hex());
    let (_, log) = status_of(&h, reqwest::Method::GET, Some(&t.moderator_key), "/v1/audit-log").await;
    assert_eq!(log["verified"], true);
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"delete") && actions.contains(&"shredded") && actions.contains(&"read"), "{actions:?}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_verification_finds_an_edited_entry() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let mut w = h.widget(&t);
    w.send("hi").await.unwrap();
    for _ in 0..3 {
        w.client.fetch(&w.handle(), Default::default()).await.unwrap();
    }
    let ok = h.db.verify_audit_log(t.tenant_id).await.unwrap();
    assert!(ok.ok() && ok.entries == 3, "{ok:?}");
    sqlx::query("UPDATE audit_log SET detail = 'rows=0' WHERE tenant_id = $1 AND seq = 2")
        .bind(t.tenant_id)
        .execute(h.db.pool())
        .await
        .unwrap();
    let bad = h.db.verify_audit_log(t.tenant_id).await.unwrap();
    assert_eq!(bad.first_bad, Some(2));
    sqlx::query("DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 3")
        .bind(t.tenant_id)
        .execute(h.db.pool())
        .await
        .unwrap();
    assert!(!h.db.verify_audit_log(t.tenant_id).await.unwrap().head_ok);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderation_queries_work_on_metadata_alone() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let (_end, _task, _stop) = h.service(&t, 1);
    let mut w = h.widget(&t);
    let mut meta = w.meta();
    meta.pii.set(PiiCategory::Email, 2);
    let subject = chatseal::Pseudonym::random().unwrap();
    meta.subject = Some(subject);
    let env = w.seal_with("mail me at [EMAIL_1] or [EMAIL_2]", &meta);
    w.client.post(&env).await.unwrap();
    let mut live = w.live().await;
    w.answers(&mut live, 1).await;
    let mut rude = h.widget(&t);
    rude.send("you idiot").await.unwrap();
    let mut live2 = rude.live().await;
    rude.answers(&mut live2, 1).await;
    let m = h.client(&t.moderator_key);
    let pii = m.get_json("/v1/moderation/pii?category=email").await.unwrap();
    assert_eq!(pii["conversations"][0]["handle"], w.handle().to_hex(), "{pii}");
    assert_eq!(pii["conversations"][0]["findings"], 2);
    assert_eq!(pii["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(m.get_json("/v1/moderation/pii?category=nope").await.unwrap_err().status, Some(400));
    let vol = m.get_json("/v1/moderation/volumes?bucket=3600").await.unwrap();
    let count = |role: &str| {
        vol["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["role"] == role)
            .map(|b| b["turns"].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!((count("visitor"), count("assistant")), (2, 2), "{vol}");
    let flagged = m.get_json("/v1/moderation/flagged").await.unwrap();
    let list = flagged["conversations"].as_array().unwrap();
    let find = |hx: String| list.iter().find(|c| c["handle"] == hx.as_str()).cloned().unwrap();
    assert_eq!(find(rude.handle().to_hex())["flags"], serde_json::json!(["abuse"]));
    assert_eq!(find(w.handle().to_hex())["flags"], serde_json::json!(["pii"]));
    let abuse = m.get_json("/v1/moderation/flagged?flag=abuse").await.unwrap();
    assert_eq!(abuse["conversations"].as_array().unwrap().len(), 1);
    let subj = m.get_json(&format!("/v1/moderation/subjects/{}", subject.to_text())).await.unwrap();
    assert_eq!(subj["conversations"], serde_json::json!([w.handle().to_hex()]));
    // The service copied the pseudonym onto its reply: both directions carry it.
    let page = w.client.fetch(&w.handle(), Default::default()).await.unwrap();
    assert!(page.envelopes.iter().all(|r| r.row["subject"] == subject.to_text()));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_purges_idle_conversations() {
    let h = Harness::start_with(|c| {
        c.retention = Some(Duration::from_secs(3600));
        c.retention_every = Duration::from_millis(300);
    })
    .await;
    let t = h.tenant().await;
    let mut w = h.widget(&t);
    w.send("old").await.unwrap();
    let mut fresh = h.widget(&t);
    fresh.send("new").await.unwrap();
    // Age one conversation by two hours (the database is shared with other tests on Postgres:
    // only this row is old enough to go).
    sqlx::query("UPDATE conversations SET last_at = last_at - 7200 WHERE tenant_id = $1 AND handle = $2")
        .bind(t.tenant_id)
        .bind(w.handle().as_bytes().to_vec())
        .execute(h.db.pool())
        .await
        .unwrap();
    let mut gone = false;
    for _ in 0..100 {
        let c = h.db.conversation(t.tenant_id, &w.handle()).await.unwrap().unwrap();
        if c.deleted_at.is_some() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone);
    assert!(h.db.conversation(t.tenant_id, &fresh.handle()).await.unwrap().unwrap().deleted_at.is_none());
    let tomb = h.db.tombstones(t.tenant_id, false, 10).await.unwrap();
    assert_eq!(tomb.len(), 1);
    assert_eq!((tomb[0].reason.as_str(), tomb[0].deleted_by.as_str()), ("retention", "retention"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_and_socket_limits_answer_429_and_503() {
    let h = Harness::start_with(|c| {
        c.rate_per_second = 2;
        c.rate_burst = 3;
        c.max_sockets_per_tenant = 1;
    })
    .await;
    let t = h.tenant().await;
    let mut codes = Vec::new();
    for _ in 0..6 {
        let r = reqwest::Client::new()
            .get(format!("{}/v1/conversations", h.base))
            .bearer_auth(&t.moderator_key)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert!(r.headers().get("retry-after").is_some());
            let v: Value = r.json().await.unwrap();
            codes.push(err_code(&v).to_owned());
        }
    }
    assert!(codes.iter().any(|c| c == "rate_limited"), "{codes:?}");
    let t2 = h.tenant().await; // its own budget
    let _one = h.client(&t2.service_key).service_stream().await.unwrap();
    let e = h.client(&t2.service_key).service_stream().await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (Some(503), "overloaded"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_and_cors() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let mut w = h.widget(&t);
    w.send("count me").await.unwrap();
    let (s, v) = status_of(&h, reqwest::Method::GET, None, "/healthz").await;
    assert_eq!((s, v["ok"].as_bool()), (200, Some(true)));
    let text = reqwest::get(format!("{}/metrics", h.base)).await.unwrap().text().await.unwrap();
    assert!(text.contains("chatseal_relay_envelopes_stored_total{direction=\"i2r\"} 1"), "{text}");
    assert!(text.contains("chatseal_relay_http_requests_total"));
    let pre = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/v1/envelopes", h.base))
        .header("origin", "http://demo.test")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.headers()["access-control-allow-origin"], "http://demo.test");
    let other = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/v1/envelopes", h.base))
        .header("origin", "http://evil.test")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    assert_eq!(status_of(&h, reqwest::Method::GET, None, "/demo/config").await.0, 404);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_refuses_forged_turns_the_relay_cannot_detect() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let (end, _task, _stop) = h.service(&t, 1);
    let mut w = h.widget(&t);
    w.send("genuine").await.unwrap();
    let mut live = w.live().await;
    w.answers(&mut live, 1).await;
    // Structurally valid, chained, but the ciphertext was altered: stored by the relay (it holds
    // no key), refused by the service end, which then answers nothing.
    let mut env = w.seal("tampered");
    let n = env.len();
    env[n - 20] ^= 1;
    w.client.post(&env).await.unwrap();
    for _ in 0..100 {
        if end.stats().refused.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(end.stats().refused.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(end.stats().answered.load(std::sync::atomic::Ordering::Relaxed), 1);
    h.stop().await;
}

/// The next live event within `ms`, if any.
async fn next_within(live: &mut chatseal_relay::client::LiveStream, ms: u64) -> Option<LiveEvent> {
    match tokio::time::timeout(Duration::from_millis(ms), live.next()).await {
        Ok(Some(Ok(e))) => Some(e),
        Ok(other) => panic!("live socket ended: {other:?}"),
        Err(_) => None,
    }
}

fn seq_of(event: Option<LiveEvent>) -> (chatseal::Direction, u64) {
    match event {
        Some(LiveEvent::Envelope(r)) => (r.direction, r.seq),
        other => panic!("expected an envelope, got {other:?}"),
    }
}

/// The soak's lost turn: a reply stored while its poster went away (a killed service end drops
/// the request's handler between the commit and the announcement) never reached the widget's
/// open socket, and the re-posted reply, answered as a resend, was not announced either. Here
/// the first post is stored without announcement (straight into the database, as a cancelled
/// handler left it); the resend must reach both the conversation's socket and the service
/// stream, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_reaches_subscribers_that_missed_the_first_announcement() {
    let h = Harness::start().await;
    let t = h.tenant().await;
    let mut w = h.widget(&t);
    w.send("first").await.unwrap();
    let mut live = w.live().await;
    assert_eq!(seq_of(next_within(&mut live, 5000).await), (chatseal::Direction::InitiatorToResponder, 0));
    let mut service = h.client(&t.service_key).service_stream().await.unwrap();
    assert_eq!(seq_of(next_within(&mut service, 5000).await).1, 0);
    assert!(matches!(next_within(&mut service, 5000).await, Some(LiveEvent::Synced)));

    let env = w.seal("second");
    let inspection = chatseal::inspect(&env).unwrap();
    let insert = Insert { tenant_id: t.tenant_id, bytes: &env, inspection: &inspection, origin: "elsewhere" };
    assert!(matches!(h.db.post_envelope(&insert).await.unwrap(), PostOutcome::Stored(_)));
    if common::postgres_url().is_none() {
        // SQLite: nothing announced it (on Postgres, the NOTIFY of that insert does).
        assert!(next_within(&mut live, 300).await.is_none());
        assert!(next_within(&mut service, 300).await.is_none());
    }
    let resent = w.client.post(&env).await.unwrap();
    assert!(!resent.stored);
    let i2r_1 = (chatseal::Direction::InitiatorToResponder, 1);
    assert_eq!(seq_of(next_within(&mut live, 5000).await), i2r_1);
    assert_eq!(seq_of(next_within(&mut service, 5000).await), i2r_1);
    // Once per socket, however often it is announced.
    w.client.post(&env).await.unwrap();
    assert!(next_within(&mut live, 300).await.is_none());
    assert!(next_within(&mut service, 300).await.is_none());
    h.stop().await;
}

/// Two relay processes on one database take turns writing one conversation: each decides on
/// what it last saw (Postgres: its cached chain heads), which the other has moved on from. Posts
/// the stale view would refuse or append twice are decided again on what is stored: every turn
/// is stored once, a resend is answered as one, a fork is still refused, the chains stay whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_sharing_a_database_decide_on_what_is_stored() {
    let a = Harness::start().await;
    let b = a.second().await;
    let t = a.tenant().await;
    let mut w = a.widget(&t);
    let on_b = b.client(&t.widget_key);
    let hello = w.seal("hello");
    assert!(w.client.post(&hello).await.unwrap().stored); // A saw seq 0
    let one = w.seal("one");
    assert!(on_b.post(&one).await.unwrap().stored); // B stores seq 1
    let mut twin = fork(&mut w.session);
    let two = w.seal("two");
    let forked_two = twin.seal(b"forked two", &w.meta()).unwrap();
    let p = w.client.post(&two).await.unwrap(); // A's view ends at seq 0
    assert!(p.stored && p.seq == 2, "{p:?}");
    assert!(!w.client.post(&one).await.unwrap().stored, "a resend through the stale relay is a resend");
    assert_eq!(code(on_b.post(&forked_two).await), (409, "duplicate".into()));
    let three = w.seal("three");
    assert!(on_b.post(&three).await.unwrap().stored);
    let four = w.seal("four");
    assert!(w.client.post(&four).await.unwrap().stored);
    let page = w.client.fetch(&w.handle(), Default::default()).await.unwrap();
    assert_eq!(page.envelopes.iter().map(|r| r.seq).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(w.client.audit(&w.handle()).await.unwrap()["verdict"], "unfinished");
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_relay_on_the_same_postgres_delivers_live() {
    if common::postgres_url().is_none() {
        eprintln!("skipped: needs DATABASE_URL=postgres://... (scripts/test-postgres.sh)");
        return;
    }
    let a = Harness::start().await;
    let b = a.second().await;
    let t = a.tenant().await;
    // Service end on relay B, widget posting to relay A and following relay B.
    let (_end, _task, _stop) = b.service(&t, 2);
    let mut w = a.widget(&t);
    let mut on_b = b.client(&t.widget_key);
    w.send("across processes").await.unwrap();
    std::mem::swap(&mut w.client, &mut on_b);
    let mut live = w.live().await;
    let answers = w.answers(&mut live, 1).await;
    assert_eq!(answers[0], chatseal_relay::service::builtin_answer("across processes", 0));
    b.stop().await;
    a.stop().await;
}

/// Offset of the first metadata byte (the role) of an envelope, from its flags (`SPEC.md` § 6).
fn role_offset(env: &[u8]) -> usize {
    let flags = env[6];
    let mut at = FIXED_HEADER_LEN;
    if flags & 0x01 != 0 {
        at += 1 + 8 + 32; // hello
    }
    if flags & 0x06 != 0 {
        at += 32; // rekey offer or answer
    }
    if flags & 0x08 != 0 {
        at += 8; // stream start
    }
    at + 2 // metadata length
}

#[test]
fn role_offset_finds_the_role_byte() {
    let pair = chatseal::ServiceKeyPair::generate().unwrap();
    let mut s = Session::initiate_pinned(pair.public_key(), SessionOptions::default()).unwrap();
    let m = s.metadata(Role::Visitor, now()).unwrap();
    for _ in 0..3 {
        let mut env = s.seal(b"x", &m).unwrap();
        assert_eq!(chatseal::inspect(&env).unwrap().metadata.role, Role::Visitor);
        let at = role_offset(&env);
        env[at] = 1;
        assert_eq!(chatseal::inspect(&env).unwrap_err(), chatseal::Error::WrongRole);
    }
}

/// A mutual-mode conversation is between the visitor and a person at an agent console: its
/// visitor turns never reach the service end's stream (which could only refuse them and would
/// get them again at every reconnect), neither from the backlog nor live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_conversations_stay_off_the_service_stream() {
    use chatseal::{MutualInitiator, MutualResponder};
    let h = Harness::start().await;
    let t = h.tenant().await;
    let widget = h.client(&t.widget_key);
    let mutual_turn = |text: &str| {
        let (mut init, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
        let (_resp, answer) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
        let mut s = init.complete(&answer).unwrap();
        let m = s.metadata(Role::Visitor, now()).unwrap();
        (s.seal(text.as_bytes(), &m).unwrap(), s)
    };
    let (before, mut agent_session) = mutual_turn("to a person, before the service connects");
    widget.post(&before).await.unwrap();
    let mut stream = h.client(&t.service_key).service_stream().await.unwrap();
    assert!(matches!(stream.next().await.unwrap().unwrap(), LiveEvent::Synced), "backlog without the mutual turn");
    let m = agent_session.metadata(Role::Visitor, now()).unwrap();
    widget.post(&agent_session.seal(b"second turn to a person", &m).unwrap()).await.unwrap();
    let (after, _) = mutual_turn("to a person, while the service listens");
    widget.post(&after).await.unwrap();
    // A pinned visitor turn posted last still arrives, and is the first thing that does.
    let mut w = h.widget(&t);
    let hello = w.seal("for the service");
    w.client.post(&hello).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.unwrap().unwrap().unwrap();
    let LiveEvent::Envelope(r) = got else { panic!("expected an envelope") };
    assert_eq!(r.handle, w.handle());
    h.stop().await;
}
