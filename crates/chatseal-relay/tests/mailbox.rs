//! The mutual-mode mailbox: a widget's offer and an agent's answer pass through the relay, then
//! the conversation flows as envelopes. The relay plays the attacker where it can: a swapped
//! answer makes the handshake fail or the safety codes differ, never a silent man in the middle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatseal::{MutualInitiator, MutualResponder, Role, SessionOptions};
use chatseal_relay::client::LiveEvent;
use common::{now, Harness};
use serde_json::Value;
use std::time::Duration;

async fn call(h: &Harness, method: reqwest::Method, key: &str, path: &str, body: Option<Vec<u8>>) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(method, format!("{}{path}", h.base)).bearer_auth(key);
    if let Some(b) = body {
        r = r.header("content-type", "application/octet-stream").body(b);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn code(v: &Value) -> &str {
    v.pointer("/error/code").and_then(Value::as_str).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offer_and_answer_pass_through_the_mailbox_then_turns_flow() {
    use reqwest::Method;
    let h = Harness::start().await;
    let t = h.tenant().await;
    let (mut initiator, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let handle = initiator.handle().to_hex();
    let offer_path = format!("/v1/mailbox/{handle}/offer");
    let answer_path = format!("/v1/mailbox/{handle}/answer");

    // Scopes: only widgets leave offers and read answers; only service keys list and answer.
    assert_eq!(call(&h, Method::POST, &t.service_key, &offer_path, Some(offer.clone())).await.0, 403);
    assert_eq!(call(&h, Method::GET, &t.widget_key, "/v1/mailbox/offers", None).await.0, 403);
    assert_eq!(call(&h, Method::POST, &t.moderator_key, &answer_path, Some(vec![1])).await.0, 403);
    assert_eq!(call(&h, Method::POST, "k_nope", &offer_path, Some(offer.clone())).await.0, 401);

    let (status, body) = call(&h, Method::POST, &t.widget_key, &offer_path, Some(offer.clone())).await;
    assert_eq!((status, &body["stored"]), (201, &Value::Bool(true)));
    // A resend of the same bytes is fine; another offer under the handle is refused.
    assert_eq!(call(&h, Method::POST, &t.widget_key, &offer_path, Some(offer.clone())).await.0, 200);
    let (status, body) = call(&h, Method::POST, &t.widget_key, &offer_path, Some(vec![9; 40])).await;
    assert_eq!((status, code(&body)), (409, "session_exists"));
    // Bad input: empty, oversized, a handle that is not one.
    assert_eq!(call(&h, Method::POST, &t.widget_key, "/v1/mailbox/zz/offer", Some(offer.clone())).await.0, 400);
    let (status, body) = call(&h, Method::POST, &t.widget_key, &offer_path, Some(vec![0; 2048])).await;
    assert_eq!((status, code(&body)), (413, "too_large"));

    // No answer yet.
    let (status, body) = call(&h, Method::GET, &t.widget_key, &answer_path, None).await;
    assert_eq!((status, code(&body)), (404, "not_found"));

    // Another tenant sees nothing of it.
    let other = h.tenant().await;
    let (_, listed) = call(&h, Method::GET, &other.service_key, "/v1/mailbox/offers", None).await;
    assert_eq!(listed["offers"].as_array().unwrap().len(), 0);
    assert_eq!(call(&h, Method::POST, &other.service_key, &answer_path, Some(vec![1; 40])).await.0, 404);

    // The agent lists, answers; the widget completes.
    let (_, listed) = call(&h, Method::GET, &t.service_key, "/v1/mailbox/offers", None).await;
    let listed = listed["offers"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["handle"], handle.as_str());
    let listed_offer = chatseal::base64url_decode(listed[0]["offer"].as_str().unwrap()).unwrap();
    let (mut responder, answer) = MutualResponder::answer(&listed_offer, SessionOptions::default()).unwrap();
    assert_eq!(responder.handle().to_hex(), handle);
    assert_eq!(call(&h, Method::POST, &t.service_key, &answer_path, Some(answer.clone())).await.0, 201);
    assert_eq!(call(&h, Method::POST, &t.service_key, &answer_path, Some(answer.clone())).await.0, 200);
    let (status, body) = call(&h, Method::POST, &t.service_key, &answer_path, Some(vec![3; 40])).await;
    assert_eq!((status, code(&body)), (409, "duplicate"));
    // An answered offer is no longer listed.
    let (_, listed) = call(&h, Method::GET, &t.service_key, "/v1/mailbox/offers", None).await;
    assert_eq!(listed["offers"].as_array().unwrap().len(), 0);

    let (status, body) = call(&h, Method::GET, &t.widget_key, &answer_path, None).await;
    assert_eq!(status, 200);
    let got = chatseal::base64url_decode(body["answer"].as_str().unwrap()).unwrap();
    let mut visitor = initiator.complete(&got).unwrap();

    // Then the conversation is envelopes: the widget posts, the agent reads live and replies.
    let widget = h.client(&t.widget_key);
    let agent = h.client(&t.service_key);
    let meta = visitor.metadata(Role::Visitor, now()).unwrap();
    widget.post(&visitor.seal(b"hello agent", &meta).unwrap()).await.unwrap();
    let mut live = agent.live(visitor.handle(), Default::default()).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), live.next()).await.unwrap();
    let Some(Ok(LiveEvent::Envelope(row))) = event else { panic!("no envelope: {event:?}") };
    let (mut agent_session, opened) = responder.accept(&row.envelope).unwrap();
    assert_eq!(opened.plaintext.as_slice(), b"hello agent");
    assert_eq!(agent_session.safety_code(), visitor.safety_code());
    let meta = agent_session.metadata(Role::Agent, now()).unwrap();
    agent.post(&agent_session.seal(b"hello visitor", &meta).unwrap()).await.unwrap();
    let reply = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), live.next()).await.unwrap();
        if let Some(Ok(LiveEvent::Envelope(r))) = event {
            if r.direction == chatseal::Direction::ResponderToInitiator {
                break r;
            }
        }
    };
    assert_eq!(visitor.open(&reply.envelope).unwrap().plaintext.as_slice(), b"hello visitor");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_swaps_the_answer_cannot_sit_in_the_middle_unseen() {
    use reqwest::Method;
    let h = Harness::start().await;
    let t = h.tenant().await;
    let (mut initiator, offer) = MutualInitiator::offer(SessionOptions::default()).unwrap();
    let handle = initiator.handle().to_hex();
    call(&h, Method::POST, &t.widget_key, &format!("/v1/mailbox/{handle}/offer"), Some(offer.clone())).await;
    // The relay's operator answers the offer itself (it holds the mailbox) ...
    let (_mitm, forged) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    call(&h, Method::POST, &t.service_key, &format!("/v1/mailbox/{handle}/answer"), Some(forged.clone())).await;
    // ... and the real agent answers the same offer on its own.
    let (mut agent, _real) = MutualResponder::answer(&offer, SessionOptions::default()).unwrap();
    let mut visitor = initiator.complete(&forged).unwrap();
    let meta = visitor.metadata(Role::Visitor, now()).unwrap();
    let first = visitor.seal(b"hi", &meta).unwrap();
    // The real agent cannot open the first turn: keys differ, so nothing is shown as genuine.
    assert!(agent.accept(&first).is_err());
    h.stop().await;
}
