//! Fuzz harnesses for `chatseal-pii`, one public function per fuzz target, shared by the
//! cargo-fuzz targets and the replay test `crates/chatseal-pii/tests/fuzz_replay.rs`.

#[path = "input.rs"]
mod input;

use chatseal_pii::{scan, scan_with, Finding, MaskMode, MaskPolicy, PiiCategory, Restored, Vault};
use input::Input;

/// A harness: runs one input, panics if an invariant breaks.
pub type Harness = fn(&[u8]);

/// Every PII target by name, for the replay test.
pub const TARGETS: &[(&str, Harness)] = &[("pii_scan", pii_scan), ("pii_restore", pii_restore)];

/// A policy chosen by the input (`Partial` is refused for every category but cards).
fn policy(input: &mut Input<'_>) -> MaskPolicy {
    let mut p = MaskPolicy::new();
    for c in PiiCategory::ALL {
        let mode = MaskMode::ALL.get(usize::from(input.u8() % 4)).copied().unwrap_or_default();
        if let Err(e) = p.set(c, mode) {
            assert!(mode == MaskMode::Partial && c != PiiCategory::Card && e.code() == "invalid_input");
        }
    }
    p
}

/// Findings are sorted, disjoint, non-empty and on character boundaries.
fn check_findings(text: &str, findings: &[Finding]) {
    let mut last = 0;
    for f in findings {
        assert!(last <= f.start && f.start < f.end && f.end <= text.len(), "findings overlap or are out of bounds");
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        last = f.end;
    }
}

/// The digits of `value`'s last four, as `[CARD ****1234]` shows them.
fn partial(value: &str) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    match digits.len().checked_sub(4).and_then(|k| digits.get(k..)) {
        Some(last4) => format!("[CARD ****{}]", last4.iter().collect::<String>()),
        None => "[CARD]".to_owned(),
    }
}

/// Fuzz target `pii_scan`: `scan` and `Vault::mask` under an input-chosen policy. Findings are
/// well-formed; the masked text is the original with exactly each finding replaced as the policy
/// says (numbered placeholders map back to the value); counts match; masking the masked text
/// again changes nothing, finds nothing, and adds nothing to the vault (with a `Keep` category:
/// see `kept_policy_settles`).
pub fn pii_scan(data: &[u8]) {
    let mut input = Input::new(data);
    let policy = policy(&mut input);
    let text = String::from_utf8_lossy(input.rest()).into_owned();
    check_findings(&text, &scan(&text).expect("text under the limit scans"));
    let findings = scan_with(&text, &policy).expect("text under the limit scans");
    check_findings(&text, &findings);
    let mut vault = Vault::new();
    let m = vault.mask(&text, &policy).expect("text that scans masks");
    assert_eq!(m.findings, findings, "mask and scan_with disagree");
    assert_eq!(m.masked_spans.len(), findings.len());
    let (mut last_o, mut last_m) = (0, 0);
    for (f, &(ms, me)) in findings.iter().zip(&m.masked_spans) {
        assert_eq!(text.get(last_o..f.start), m.text.get(last_m..ms), "text between findings changed");
        let (value, shown) = (text.get(f.start..f.end).unwrap_or_default(), m.text.get(ms..me).unwrap_or_default());
        let tag = f.category.placeholder_tag();
        match policy.mode(f.category) {
            MaskMode::Keep => assert_eq!(shown, value),
            MaskMode::TypeOnly => assert_eq!(shown, format!("[{tag}]")),
            MaskMode::Partial => assert_eq!(shown, partial(value)),
            MaskMode::Numbered => {
                let n = shown
                    .strip_prefix(&format!("[{tag}_"))
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .expect("a numbered placeholder");
                assert_eq!(vault.value(f.category, n), Some(value), "the placeholder names another value");
            }
        }
        (last_o, last_m) = (f.end, me);
    }
    assert_eq!(text.get(last_o..), m.text.get(last_m..), "text after the last finding changed");
    for c in PiiCategory::ALL {
        assert_eq!(usize::from(m.counts.get(c)), findings.iter().filter(|f| f.category == c).count());
    }
    let held = vault.len();
    let again = vault.mask(&m.text, &policy).expect("masked text masks");
    if PiiCategory::ALL.iter().all(|&c| policy.mode(c) != MaskMode::Keep) {
        assert_eq!(again.text, m.text, "masking masked text changed it");
        assert!(again.findings.is_empty(), "a second scan found data in masked text: {:?}", again.findings);
        assert_eq!(vault.len(), held, "masking masked text numbered new values");
        return;
    }
    kept_policy_settles(&m, &findings, &policy, &mut vault, again);
}

/// With a `Keep` category, kept values stay in clear and the output's numbered placeholders are
/// longer than the `[TAG]` a reading masks with, so a kept value can be judged again in slightly
/// different surroundings (a context word moved out of reach): masking again keeps every
/// replacement, finds data only near the first pass's findings, and reaches a fixpoint.
fn kept_policy_settles(
    m: &chatseal_pii::Masked,
    findings: &[Finding],
    policy: &MaskPolicy,
    vault: &mut Vault,
    again: chatseal_pii::Masked,
) {
    // What was masked stays masked: every replacement of the first pass is still there, in order.
    let mut rest = again.text.as_str();
    for (f, &(ms, me)) in findings.iter().zip(&m.masked_spans) {
        if policy.mode(f.category) != MaskMode::Keep {
            let shown = m.text.get(ms..me).unwrap_or_default();
            let at = rest.find(shown).expect("a replacement of the first pass is gone after the second");
            rest = rest.get(at + shown.len()..).unwrap_or_default();
        }
    }
    if again.text == m.text {
        let kept = again.findings.iter().all(|f| policy.mode(f.category) == MaskMode::Keep);
        assert!(kept, "a second scan found data in masked text: {:?}", again.findings);
        return;
    }
    // A second pass changed the text: only near a finding of the first pass (or near another
    // such), where "near" is within two context windows (context words are read up to 40 bytes
    // away); and masking again must reach a fixpoint.
    let close = |a: (usize, usize), b: (usize, usize)| a.0 <= b.1 + 80 && b.0 <= a.1 + 80;
    let mut anchors: Vec<(usize, usize)> = m.masked_spans.clone();
    let mut open: Vec<(usize, usize)> = again.findings.iter().map(|f| (f.start, f.end)).collect();
    while let Some(k) = open.iter().position(|&f| anchors.iter().any(|&a| close(f, a))) {
        anchors.push(open.swap_remove(k));
    }
    let far: Vec<_> = again.findings.iter().filter(|f| open.contains(&(f.start, f.end))).collect();
    assert!(
        far.iter().all(|f| policy.mode(f.category) == MaskMode::Keep),
        "a second scan found data away from every finding of the first: {far:?}"
    );
    let mut text = again.text;
    for _ in 0..text.len() / 4 + 2 {
        let next = vault.mask(&text, policy).expect("masked text masks").text;
        if next == text {
            return;
        }
        text = next;
    }
    panic!("masking does not reach a fixpoint");
}

/// A vault holding `[CARD_1]` .. `[SECRET_1]`, one value of each category.
const SEED: &str = "ann@example.com +44 20 7946 0958 4111 1111 1111 1111 536-22-1234 \
                    DE89 3704 0044 0532 0130 00 10.0.0.1 AKIAIOSFODNN7EXAMPLE";

/// Fuzz target `pii_restore`: after masking the seed values and some input text, an arbitrary
/// reply is restored. The result is the reply with each known placeholder either filled with its
/// value or reported withheld (never both, nothing else changed), and no value is filled into a
/// token a renderer could turn into a link.
pub fn pii_restore(data: &[u8]) {
    let mut input = Input::new(data);
    let mut vault = Vault::new();
    let seeded = vault.mask(SEED, &MaskPolicy::new()).expect("seed masks");
    assert_eq!(seeded.findings.len(), PiiCategory::ALL.len(), "{:?}", seeded.findings);
    let extra = String::from_utf8_lossy(input.bytes(200)).into_owned();
    vault.mask(&extra, &MaskPolicy::new()).expect("short text masks");
    let reply = String::from_utf8_lossy(input.rest()).into_owned();
    let restored = vault.restore(&reply);
    check_restored(&vault, &reply, &restored);
}

fn check_restored(vault: &Vault, reply: &str, r: &Restored) {
    let b = reply.as_bytes();
    let mut out = String::new();
    let mut withheld = r.withheld.iter().peekable();
    let mut filled = Vec::new();
    let (mut last, mut i) = (0, 0);
    while let Some(rel) = b.get(i..).and_then(|s| s.iter().position(|&c| c == b'[')) {
        let p = i + rel;
        i = p + 1;
        let Some((category, n, len)) = b.get(p..).and_then(numbered) else { continue };
        let Some(value) = vault.value(category, n) else { continue };
        out.push_str(reply.get(last..p).unwrap_or_default());
        match withheld.peek() {
            Some(w) if w.start == out.len() && w.end == out.len() + len && w.category == category => {
                out.push_str(reply.get(p..p + len).unwrap_or_default());
                withheld.next();
            }
            _ => {
                out.push_str(value);
                filled.push(p);
            }
        }
        (last, i) = (p + len, p + len);
    }
    out.push_str(reply.get(last..).unwrap_or_default());
    assert!(withheld.next().is_none(), "a withheld span is not a known placeholder of the reply");
    assert_eq!(*r.text, out, "restore changed more than its placeholders");
    for p in filled {
        assert!(!in_link_token(b, p), "a value was filled into a link: {reply:?}");
    }
}

/// `[TAG_n]` at the start of `b` (`SPEC`: tag, `_`, 1 to 5 digits without a leading zero, `]`):
/// category, number, length.
fn numbered(b: &[u8]) -> Option<(PiiCategory, usize, usize)> {
    let rest = b.strip_prefix(b"[")?;
    PiiCategory::ALL.into_iter().find_map(|c| {
        let digits = rest.strip_prefix(c.placeholder_tag().as_bytes())?.strip_prefix(b"_")?;
        let len = digits.iter().take_while(|d| d.is_ascii_digit()).count();
        if !(1..=5).contains(&len) || digits.first() == Some(&b'0') || digits.get(len) != Some(&b']') {
            return None;
        }
        let n = core::str::from_utf8(digits.get(..len)?).ok()?.parse().ok()?;
        Some((c, n, 1 + c.placeholder_tag().len() + 1 + len + 1))
    })
}

/// Whether position `p` lies in a whitespace/quote/angle-delimited token that a renderer may
/// linkify: one starting with `www.` or `//` or a dotted host name followed by `/`, `?` or `#`,
/// or whose part after the last `)` before `p` (so after any Markdown link target) holds `://`
/// or a link scheme. Judged on the token alone, whatever precedes it.
fn in_link_token(b: &[u8], p: usize) -> bool {
    let ends = |c: &u8| c.is_ascii_whitespace() || b"<>\"'`".contains(c);
    let start = b.get(..p).and_then(|s| s.iter().rposition(ends)).map_or(0, |k| k + 1);
    let end = b.get(p..).and_then(|s| s.iter().position(ends)).map_or(b.len(), |k| p + k);
    let token = b.get(start..end).unwrap_or_default();
    // `](mailto:x)[EMAIL_1]` puts the value after a link, not in it.
    let tail_start = b.get(start..p).and_then(|s| s.iter().rposition(|&c| c == b')')).map_or(start, |k| start + k + 1);
    let tail = b.get(tail_start..end).unwrap_or_default();
    let has = |part: &[u8]| tail.windows(part.len()).any(|w| w.eq_ignore_ascii_case(part));
    let body = token.iter().position(|c| c.is_ascii_alphanumeric() || *c == b'/').unwrap_or(token.len());
    let rest = token.get(body..).unwrap_or_default();
    let starts = |p: &[u8]| rest.get(..p.len()).is_some_and(|t| t.eq_ignore_ascii_case(p));
    let host_len =
        rest.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'.' || c == b'-')).unwrap_or(rest.len());
    let host = rest.get(..host_len).unwrap_or_default();
    let top = host.rsplit(|&c| c == b'.').next().unwrap_or_default();
    let host_then_path = matches!(rest.get(host_len), Some(b'/' | b'?' | b'#'))
        && host.contains(&b'.')
        && top.len() >= 2
        && top.iter().all(u8::is_ascii_alphabetic);
    has(b"://")
        || [&b"mailto:"[..], b"tel:", b"sms:", b"file:", b"blob:", b"javascript:", b"vbscript:", b"data:"]
            .iter()
            .any(|s| has(s))
        || starts(b"www.")
        || starts(b"//")
        || host_then_path
}
