//! Responders: what answers a visitor. The built-in one is deterministic and offline (for the
//! demo, the tests and the soak); the HTTP hook posts the conversation to an OpenAI-compatible
//! chat-completions endpoint and streams its answer back, chunk by chunk.

use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use zeroize::Zeroizing;

/// A message of the conversation as given to a responder.
#[derive(Clone)]
pub struct Message {
    /// `user` (visitor) or `assistant`.
    pub role: String,
    /// Its text, wiped on drop.
    pub text: Zeroizing<String>,
}

impl core::fmt::Debug for Message {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Message").field("role", &self.role).field("len", &self.text.len()).finish()
    }
}

/// A responder failure (what failed, never content).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponderError(pub &'static str);

impl core::fmt::Display for ResponderError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "responder failed: {}", self.0)
    }
}

impl std::error::Error for ResponderError {}

/// Text pieces of an answer as they come.
pub type Chunks = BoxStream<'static, Result<Zeroizing<String>, ResponderError>>;

/// Something that answers visitors.
pub trait Responder: Send + Sync {
    /// The whole answer at once, when it needs no I/O (the service then seals it in the same
    /// record write as the open: one durable step per turn).
    fn answer_now(&self, _text: &str, _pii_findings: u32) -> Option<Vec<String>> {
        None
    }

    /// Whether `stream` wants the earlier messages (kept encrypted in the service's store).
    fn wants_history(&self) -> bool {
        false
    }

    /// Streams the answer to the last message of `conversation`.
    fn stream(&self, conversation: Vec<Message>) -> Chunks;
}

/// The deterministic demo responder: says what it read, in `chunks` pieces.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    /// How many stream chunks an answer is split into (at least 1).
    pub chunks: usize,
}

impl Default for Builtin {
    fn default() -> Self {
        Builtin { chunks: 3 }
    }
}

/// The built-in answer to `text` (public so tests and the soak can check replies).
pub fn builtin_answer(text: &str, pii_findings: u32) -> String {
    let words = text.split_whitespace().count();
    let pii = match pii_findings {
        0 => String::new(),
        1 => " Your widget masked 1 piece of personal data before sealing.".to_owned(),
        n => format!(" Your widget masked {n} pieces of personal data before sealing."),
    };
    // Quoting the placeholders back shows a widget filling them in locally (the service never
    // saw the values behind them).
    let quoted = match placeholders(text).as_slice() {
        [] => String::new(),
        found => format!(" You mentioned {}: only your page can fill those in.", found.join(", ")),
    };
    format!(
        "Sealed reply from the chatseal demo service: I read your {words}-word message ({} characters).{pii}{quoted} \
         The relay stored only ciphertext and metadata.",
        text.chars().count()
    )
}

/// The masking placeholders (`[EMAIL_1]`, `[CARD ****1111]`, `[PHONE]`) in `text`, first
/// occurrence of each, in order.
fn placeholders(text: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let tail = rest.get(start..).unwrap_or("");
        let Some(len) = tail.find(']') else { break };
        let token = tail.get(..=len).unwrap_or("");
        let inner = token.get(1..len).unwrap_or("");
        let shaped = inner.len() <= 24
            && inner.starts_with(|c: char| c.is_ascii_uppercase())
            && inner.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | ' ' | '*'));
        if shaped && !found.contains(&token) {
            found.push(token);
        }
        rest = tail.get(1..).unwrap_or("");
    }
    found
}

/// Splits text into `n` pieces at word boundaries (concatenating them gives the text).
pub fn split_chunks(text: &str, n: usize) -> Vec<String> {
    let n = n.max(1);
    let target = text.len().div_ceil(n).max(1);
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_inclusive(' ') {
        current.push_str(word);
        if current.len() >= target && out.len() + 1 < n {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

impl Responder for Builtin {
    fn answer_now(&self, text: &str, pii_findings: u32) -> Option<Vec<String>> {
        Some(split_chunks(&builtin_answer(text, pii_findings), self.chunks))
    }

    fn stream(&self, conversation: Vec<Message>) -> Chunks {
        let last = conversation.last().map(|m| m.text.to_string()).unwrap_or_default();
        let pieces = split_chunks(&builtin_answer(&last, 0), self.chunks);
        stream::iter(pieces.into_iter().map(|p| Ok(Zeroizing::new(p)))).boxed()
    }
}

/// An OpenAI-compatible chat-completions endpoint, streamed (server-sent events).
#[derive(Clone, Debug)]
pub struct OpenAiHook {
    /// Base URL, e.g. `http://127.0.0.1:11434/v1` (the request goes to `{base}/chat/completions`).
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Bearer token, if the endpoint wants one.
    pub api_key: Option<String>,
    /// System prompt.
    pub system: String,
    /// Request timeout.
    pub timeout: Duration,
}

impl OpenAiHook {
    /// A hook with the default system prompt and a 120 s timeout.
    pub fn new(base_url: &str, model: &str, api_key: Option<String>) -> Self {
        OpenAiHook {
            base_url: base_url.trim_end_matches('/').to_owned(),
            model: model.to_owned(),
            api_key,
            system: "You are a helpful support assistant.".to_owned(),
            timeout: Duration::from_secs(120),
        }
    }
}

/// The `content` deltas in a buffer of server-sent events; returns the pieces, whether `[DONE]`
/// was seen, and leaves an incomplete last line in `buffer`.
pub fn parse_sse(buffer: &mut String) -> Result<(Vec<String>, bool), ResponderError> {
    let mut pieces = Vec::new();
    let mut done = false;
    while let Some(at) = buffer.find('\n') {
        let line: String = buffer.drain(..=at).collect();
        let Some(data) = line.trim_end().strip_prefix("data:") else { continue };
        let data = data.trim();
        if data == "[DONE]" {
            done = true;
            continue;
        }
        let v: Value = serde_json::from_str(data).map_err(|_| ResponderError("unreadable stream event"))?;
        if let Some(text) = v.pointer("/choices/0/delta/content").and_then(Value::as_str) {
            if !text.is_empty() {
                pieces.push(text.to_owned());
            }
        }
    }
    Ok((pieces, done))
}

impl Responder for OpenAiHook {
    fn wants_history(&self) -> bool {
        true
    }

    fn stream(&self, conversation: Vec<Message>) -> Chunks {
        let hook = self.clone();
        let s = async_stream(hook, conversation);
        s.boxed()
    }
}

fn async_stream(
    hook: OpenAiHook,
    conversation: Vec<Message>,
) -> impl futures_util::Stream<Item = Result<Zeroizing<String>, ResponderError>> + Send {
    let start = async move {
        let mut messages = vec![json!({ "role": "system", "content": hook.system })];
        messages.extend(conversation.iter().map(|m| json!({ "role": m.role, "content": m.text.as_str() })));
        let body = json!({ "model": hook.model, "messages": messages, "stream": true });
        let client =
            reqwest::Client::builder().timeout(hook.timeout).build().map_err(|_| ResponderError("http client"))?;
        let mut request = client.post(format!("{}/chat/completions", hook.base_url)).json(&body);
        if let Some(key) = &hook.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|_| ResponderError("endpoint unreachable"))?;
        if !response.status().is_success() {
            return Err(ResponderError("endpoint refused the request"));
        }
        Ok(response.bytes_stream())
    };
    stream::once(start).flat_map(|started| match started {
        Err(e) => stream::once(async move { Err(e) }).boxed(),
        Ok(bytes) => {
            let state = (bytes, String::new(), false);
            stream::unfold(state, |(mut bytes, mut buffer, finished)| async move {
                if finished {
                    return None;
                }
                loop {
                    match bytes.next().await {
                        None => return None,
                        Some(Err(_)) => {
                            return Some((vec![Err(ResponderError("stream interrupted"))], (bytes, buffer, true)))
                        }
                        Some(Ok(chunk)) => {
                            buffer.push_str(&String::from_utf8_lossy(&chunk));
                            match parse_sse(&mut buffer) {
                                Err(e) => return Some((vec![Err(e)], (bytes, buffer, true))),
                                Ok((pieces, done)) if !pieces.is_empty() || done => {
                                    let items = pieces.into_iter().map(|p| Ok(Zeroizing::new(p))).collect();
                                    return Some((items, (bytes, buffer, done)));
                                }
                                Ok(_) => {}
                            }
                        }
                    }
                }
            })
            .flat_map(stream::iter)
            .boxed()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_concatenate_to_the_text() {
        let t = builtin_answer("hello there my friend", 2);
        for n in 1..6 {
            let parts = split_chunks(&t, n);
            assert!(parts.len() <= n && !parts.is_empty());
            assert_eq!(parts.concat(), t);
        }
        assert_eq!(split_chunks("", 3), [""]);
    }

    #[test]
    fn placeholders_are_quoted_back_once_each() {
        let t = builtin_answer("mail [EMAIL_1] or [EMAIL_1], card [CARD ****1111], [not one] [X", 2);
        assert!(t.contains(" You mentioned [EMAIL_1], [CARD ****1111]: only your page can fill those in."), "{t}");
        assert!(!builtin_answer("no placeholders [here]", 0).contains("mentioned"));
    }

    #[test]
    fn sse_parsing_keeps_partial_lines() {
        let mut buf =
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: {\"choices\":[{\"del".to_owned();
        let (p, done) = parse_sse(&mut buf).unwrap();
        assert_eq!((p, done), (vec!["Hel".to_owned()], false));
        buf.push_str("ta\":{\"content\":\"lo\"}}]}\n\ndata: [DONE]\n\n");
        let (p, done) = parse_sse(&mut buf).unwrap();
        assert_eq!((p, done), (vec!["lo".to_owned()], true));
        assert!(parse_sse(&mut "data: {oops\n".to_owned()).is_err());
    }
}
