//! A deterministic generator of labelled chat turns for the PII accuracy test.
//!
//! Values are built the way the world builds them (issuer prefixes and Luhn check digits, IBAN
//! check digits from the BBAN, real national numbering formats, token layouts of each vendor),
//! written in the formats people type, and dropped into chat templates together with
//! non-PII numbers (dates, times, prices, order and tracking numbers, versions, URLs) so that
//! false positives inside ordinary turns count against precision. Nothing here reads the
//! detector's code or tables.

#![allow(dead_code)]

use chatseal::PiiCategory;

/// SplitMix64: small, fast, fixed-seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    pub fn digit(&mut self) -> char {
        char::from(b'0' + self.below(10) as u8)
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| self.digit()).collect()
    }

    /// A digit 1-9 then `n - 1` digits.
    pub fn digits_nz(&mut self, n: usize) -> String {
        let mut s = String::from(char::from(b'1' + self.below(9) as u8));
        s.push_str(&self.digits(n - 1));
        s
    }

    /// Between `lo` and `hi` characters from `alphabet`.
    pub fn chars_between(&mut self, alphabet: &str, lo: u64, hi: u64) -> String {
        let n = self.range(lo, hi) as usize;
        self.chars_of(alphabet, n)
    }

    pub fn chars_of(&mut self, alphabet: &str, n: usize) -> String {
        let a = alphabet.as_bytes();
        (0..n).map(|_| char::from(a[self.below(a.len())])).collect()
    }
}

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A labelled span: byte offsets into the turn text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub category: PiiCategory,
    pub start: usize,
    pub end: usize,
}

/// One chat turn and its gold spans.
#[derive(Clone, Debug)]
pub struct Turn {
    pub text: String,
    pub spans: Vec<Span>,
}

// ---------------------------------------------------------------- cards

/// Appends the Luhn check digit to a digit string.
fn with_luhn(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// (prefix, length) of a random issuer, as printed on real cards.
fn card_issuer(rng: &mut Rng) -> (String, usize) {
    match rng.below(12) {
        0..=2 => ("4".into(), 16),                                   // Visa
        3 => (rng.range(51, 55).to_string(), 16),                    // Mastercard
        4 => (rng.range(2221, 2720).to_string(), 16),                // Mastercard 2-series
        5 => (rng.pick(&["34", "37"]).to_string(), 15),              // Amex
        6 => (rng.pick(&["6011", "65", "644"]).to_string(), 16),     // Discover
        7 => (rng.range(3528, 3589).to_string(), 16),                // JCB
        8 => (rng.pick(&["36", "300", "305"]).to_string(), 14),      // Diners
        9 => ("62".into(), if rng.chance(70) { 16 } else { 19 }),    // UnionPay
        10 => (rng.pick(&["6759", "5018", "6304"]).to_string(), 16), // Maestro
        _ => (rng.range(2200, 2204).to_string(), 16),                // Mir
    }
}

fn card(rng: &mut Rng) -> String {
    let (prefix, len) = card_issuer(rng);
    let body = format!("{prefix}{}", rng.digits(len - 1 - prefix.len()));
    let number = with_luhn(&body);
    let sep = match rng.below(10) {
        0..=2 => "",
        3..=6 => " ",
        _ => "-",
    };
    // Printed groupings: 4-6-5 (Amex), 4-6-4 (Diners), otherwise fours.
    let sizes: &[usize] = match len {
        15 => &[4, 6, 5],
        14 => &[4, 6, 4],
        19 => &[4, 4, 4, 4, 3],
        _ => &[4, 4, 4, 4],
    };
    let mut out = String::new();
    let mut at = 0;
    for (k, &n) in sizes.iter().enumerate() {
        if k > 0 {
            out.push_str(sep);
        }
        out.push_str(&number[at..at + n]);
        at += n;
    }
    out
}

// ---------------------------------------------------------------- e-mail

const FIRST: &[&str] = &[
    "john", "maria", "wei", "aisha", "lars", "sofia", "raj", "fatima", "tom", "ana", "kenji", "olga", "pierre",
    "lucia", "ahmed", "emma", "noah", "chloe", "ivan", "priya", "jose", "mei", "oliver", "zoe",
];
const LAST: &[&str] = &[
    "smith",
    "garcia",
    "wang",
    "khan",
    "nielsen",
    "rossi",
    "patel",
    "haddad",
    "brown",
    "silva",
    "tanaka",
    "ivanova",
    "dubois",
    "fernandez",
    "hassan",
    "mueller",
    "obrien",
    "lee",
    "novak",
    "sharma",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "icloud.com",
    "proton.me",
    "mail.company.de",
    "cs.university.edu",
    "example.org",
    "startup.io",
    "company.com.au",
    "xn--mnchen-3ya.de",
    "xn--80ak6aa92e.xn--p1ai",
    "bücher.de",
    "correo.es",
    "web.de",
    "orange.fr",
    "uol.com.br",
    "rediffmail.com",
    "sub.dept.example.co.in",
    "my-shop.store",
];

fn email(rng: &mut Rng) -> String {
    let f = rng.pick(FIRST);
    let l = rng.pick(LAST);
    let local = match rng.below(9) {
        0 => format!("{f}.{l}"),
        1 => format!("{}{l}", &f[..1]),
        2 => format!("{f}{}", rng.range(1, 99)),
        3 => format!("{f}_{l}"),
        4 => format!("{f}+{}", rng.pick(&["shop", "news", "work", "test"])),
        5 => format!("{f}-{l}"),
        6 => format!("{}.{}", capitalize(f), capitalize(l)),
        7 => format!("{f}.{l}{}", rng.range(70, 99)),
        _ => f.to_string(),
    };
    let domain = rng.pick(DOMAINS);
    let domain = if rng.chance(8) { domain.to_uppercase() } else { domain.to_string() };
    format!("{local}@{domain}")
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

// ---------------------------------------------------------------- phones

/// NANP area or exchange code: [2-9][0-9][0-9], not N11.
fn nanp3(rng: &mut Rng) -> String {
    loop {
        let s = format!("{}{}", rng.range(2, 9), rng.digits(2));
        if &s[1..] != "11" {
            return s;
        }
    }
}

fn phone(rng: &mut Rng) -> String {
    let d = |rng: &mut Rng, n| rng.digits(n);
    match rng.below(8) {
        // US / Canada
        0 | 1 => {
            let (a, e, l) = (nanp3(rng), nanp3(rng), d(rng, 4));
            match rng.below(11) {
                10 => format!("+1 {a}.{e}.{l}"),
                0 => format!("({a}) {e}-{l}"),
                1 => format!("{a}-{e}-{l}"),
                2 => format!("{a}.{e}.{l}"),
                3 => format!("{a} {e} {l}"),
                4 => format!("+1 {a} {e} {l}"),
                5 => format!("+1-{a}-{e}-{l}"),
                6 => format!("+1 ({a}) {e}-{l}"),
                7 => format!("1-{a}-{e}-{l}"),
                8 => format!("+1{a}{e}{l}"),
                _ => format!("({a}){e}-{l}"),
            }
        }
        // United Kingdom
        2 => match rng.below(9) {
            7 => format!("+44 7{} {} {}", d(rng, 3), d(rng, 3), d(rng, 3)),
            8 => format!("07{}-{}-{}", d(rng, 3), d(rng, 3), d(rng, 3)),
            0 => format!("020 {} {}", d(rng, 4), d(rng, 4)),
            1 => format!("+44 20 {} {}", d(rng, 4), d(rng, 4)),
            2 => format!("07{} {}", d(rng, 3), d(rng, 6)),
            3 => format!("+44 7{} {}", d(rng, 3), d(rng, 6)),
            4 => format!("+44 (0)20 {} {}", d(rng, 4), d(rng, 4)),
            5 => format!("0161 {} {}", d(rng, 3), d(rng, 4)),
            _ => format!("+44 (0) 121 {} {}", d(rng, 3), d(rng, 4)),
        },
        // Germany
        3 => match rng.below(9) {
            7 => format!("+49 (30) {}", rng.digits_nz(7)),
            8 => format!("+49-151-{}", d(rng, 8)),
            0 => format!("030 {}", rng.digits_nz(8)),
            1 => format!("+49 30 {}", rng.digits_nz(8)),
            2 => format!("0151 {}", d(rng, 8)),
            3 => format!("+49 151 {} {}", d(rng, 4), d(rng, 4)),
            4 => format!("+49 (0)89 {}", rng.digits_nz(7)),
            5 => format!("030/{}", rng.digits_nz(7)),
            _ => format!("0{} {}", rng.range(4000, 9999), rng.digits_nz(6)),
        },
        // France
        4 => {
            let first = rng.range(1, 9);
            let pairs: Vec<String> = (0..4).map(|_| d(rng, 2)).collect();
            match rng.below(5) {
                0 => format!("0{first} {}", pairs.join(" ")),
                1 => format!("0{first}.{}", pairs.join(".")),
                2 => format!("+33 {first} {}", pairs.join(" ")),
                3 => format!("0{first}-{}", pairs.join("-")),
                _ => format!("+33 (0){first} {}", pairs.join(" ")),
            }
        }
        // India
        5 => {
            let mobile = format!("{}{}", rng.range(6, 9), d(rng, 4));
            match rng.below(6) {
                5 => format!("+91 (22) {}-{}", rng.digits_nz(4), d(rng, 4)),
                0 => format!("+91 {mobile} {}", d(rng, 5)),
                1 => format!("+91-{mobile}{}", d(rng, 5)),
                2 => format!("{mobile} {}", d(rng, 5)),
                3 => format!("+91 22 {} {}", rng.digits_nz(4), d(rng, 4)),
                _ => format!("022 {} {}", rng.digits_nz(4), d(rng, 4)),
            }
        }
        // Brazil
        6 => {
            let area = format!("{}{}", rng.range(1, 9), rng.range(1, 9));
            match rng.below(6) {
                5 => format!("+55 {area} {}{}-{}", rng.range(2, 5), d(rng, 3), d(rng, 4)),
                0 => format!("+55 {area} 9{}-{}", d(rng, 4), d(rng, 4)),
                1 => format!("({area}) 9{}-{}", d(rng, 4), d(rng, 4)),
                2 => format!("({area}) {}{}-{}", rng.range(2, 5), d(rng, 3), d(rng, 4)),
                3 => format!("+55 ({area}) 9{}-{}", d(rng, 4), d(rng, 4)),
                _ => format!("{area} 9{}-{}", d(rng, 4), d(rng, 4)),
            }
        }
        // Australia, and a few other countries in international form
        _ => match rng.below(10) {
            9 => format!("+61 (2) {} {}", rng.digits_nz(4), d(rng, 4)),
            0 => format!("+61 4{} {} {}", d(rng, 2), d(rng, 3), d(rng, 3)),
            1 => format!("04{} {} {}", d(rng, 2), d(rng, 3), d(rng, 3)),
            2 => format!("(02) {} {}", rng.digits_nz(4), d(rng, 4)),
            3 => format!("+61 2 {} {}", rng.digits_nz(4), d(rng, 4)),
            4 => format!("1300 {} {}", d(rng, 3), d(rng, 3)),
            5 => format!("+34 6{} {} {}", d(rng, 2), d(rng, 3), d(rng, 3)),
            6 => format!("+39 06 {} {}", d(rng, 4), d(rng, 4)),
            7 => format!("+81 3-{}-{}", d(rng, 4), d(rng, 4)),
            _ => format!("+7 9{} {}-{}-{}", d(rng, 2), d(rng, 3), d(rng, 2), d(rng, 2)),
        },
    }
}

// ---------------------------------------------------------------- SSN

fn ssn(rng: &mut Rng) -> String {
    let area = loop {
        let a = rng.range(1, 899);
        if a != 666 {
            break a;
        }
    };
    let group = rng.range(1, 99);
    let serial = rng.range(1, 9999);
    match rng.below(10) {
        0..=6 => format!("{area:03}-{group:02}-{serial:04}"),
        7 | 8 => format!("{area:03} {group:02} {serial:04}"),
        _ => format!("{area:03}{group:02}{serial:04}"),
    }
}

// ---------------------------------------------------------------- IBAN

/// Country, BBAN layout ('n' digit, 'a' letter, 'c' letter or digit) per the IBAN registry.
const IBAN_LAYOUTS: &[(&str, &str)] = &[
    ("DE", "nnnnnnnnnnnnnnnnnn"),
    ("GB", "aaaannnnnnnnnnnnnn"),
    ("FR", "nnnnnnnnnncccccccccccnn"),
    ("ES", "nnnnnnnnnnnnnnnnnnnn"),
    ("IT", "annnnnnnnnncccccccccccc"),
    ("NL", "aaaannnnnnnnnn"),
    ("BE", "nnnnnnnnnnnn"),
    ("CH", "nnnnncccccccccccc"),
    ("AT", "nnnnnnnnnnnnnnnn"),
    ("PL", "nnnnnnnnnnnnnnnnnnnnnnnn"),
    ("SE", "nnnnnnnnnnnnnnnnnnnn"),
    ("NO", "nnnnnnnnnnn"),
    ("DK", "nnnnnnnnnnnnnn"),
    ("FI", "nnnnnnnnnnnnnn"),
    ("IE", "aaaannnnnnnnnnnnnn"),
    ("PT", "nnnnnnnnnnnnnnnnnnnnn"),
    ("GR", "nnnnnnncccccccccccccccc"),
    ("SA", "nncccccccccccccccccc"),
    ("BR", "nnnnnnnnnnnnnnnnnnnnnnnac"),
    ("TR", "nnnnnncccccccccccccccc"),
    ("AE", "nnnnnnnnnnnnnnnnnnn"),
    ("LU", "nnnccccccccccccc"),
    ("CZ", "nnnnnnnnnnnnnnnnnnnn"),
    ("HU", "nnnnnnnnnnnnnnnnnnnnnnnn"),
    ("RO", "aaaacccccccccccccccc"),
    ("HR", "nnnnnnnnnnnnnnnnn"),
    ("MT", "aaaannnnncccccccccccccccccc"),
    ("LT", "nnnnnnnnnnnnnnnn"),
    ("SI", "nnnnnnnnnnnnnnn"),
    ("IS", "nnnnnnnnnnnnnnnnnnnnnn"),
];

fn iban_check_digits(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap();
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    format!("{:02}", 98 - rem)
}

fn iban(rng: &mut Rng) -> String {
    let (country, layout) = IBAN_LAYOUTS[rng.below(IBAN_LAYOUTS.len())];
    let bban: String = layout
        .chars()
        .map(|k| match k {
            'n' => rng.digit(),
            'a' => rng.chars_of(UPPER, 1).chars().next().unwrap(),
            _ if rng.chance(25) => rng.chars_of(UPPER, 1).chars().next().unwrap(),
            _ => rng.digit(),
        })
        .collect();
    let compact = format!("{country}{}{bban}", iban_check_digits(country, &bban));
    let written = if rng.chance(55) {
        compact.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ")
    } else {
        compact
    };
    if rng.chance(5) {
        written.to_lowercase()
    } else {
        written
    }
}

// ---------------------------------------------------------------- IP

fn ipv4(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => format!("192.168.{}.{}", rng.range(0, 255), rng.range(1, 254)),
        1 => format!("10.{}.{}.{}", rng.range(0, 255), rng.range(0, 255), rng.range(1, 254)),
        2 => format!("172.{}.{}.{}", rng.range(16, 31), rng.range(0, 255), rng.range(1, 254)),
        _ => format!("{}.{}.{}.{}", rng.range(1, 223), rng.range(0, 255), rng.range(0, 255), rng.range(1, 254)),
    }
}

fn hex_group(rng: &mut Rng) -> String {
    format!("{:x}", rng.range(0, 0xffff))
}

fn ipv6(rng: &mut Rng) -> String {
    let s = match rng.below(8) {
        0 => (0..8).map(|_| format!("{:04x}", rng.range(0, 0xffff))).collect::<Vec<_>>().join(":"),
        1 => format!("2001:db8::{}", hex_group(rng)),
        2 => format!("2001:db8:{}:{}::{}", hex_group(rng), hex_group(rng), hex_group(rng)),
        3 => format!("fe80::{}:{}:{}:{}", hex_group(rng), hex_group(rng), hex_group(rng), hex_group(rng)),
        4 => "::1".to_string(),
        5 => format!("::ffff:{}", ipv4(rng)),
        6 => format!("2a00:1450:4001:{}::200e", hex_group(rng)),
        _ => format!("fd{:02x}:{}:{}::{}", rng.range(0, 255), hex_group(rng), hex_group(rng), rng.range(1, 9)),
    };
    if rng.chance(10) {
        s.to_uppercase()
    } else {
        s
    }
}

fn ip(rng: &mut Rng) -> String {
    if rng.chance(65) {
        ipv4(rng)
    } else {
        ipv6(rng)
    }
}

// ---------------------------------------------------------------- secrets

fn base64url(bytes: &[u8]) -> String {
    let a = B64URL.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for k in 0..chars {
            out.push(char::from(a[((n >> (18 - 6 * k)) & 63) as usize]));
        }
    }
    out
}

fn jwt(rng: &mut Rng) -> String {
    let alg = rng.pick(&["HS256", "RS256", "ES256"]);
    let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
    let payload = format!(
        r#"{{"sub":"{}","name":"{}","iat":{}}}"#,
        rng.digits_nz(8),
        capitalize(rng.pick(FIRST)),
        rng.range(1_600_000_000, 1_800_000_000)
    );
    let sig: Vec<u8> = (0..32).map(|_| rng.below(256) as u8).collect();
    format!("{}.{}.{}", base64url(header.as_bytes()), base64url(payload.as_bytes()), base64url(&sig))
}

fn pem(rng: &mut Rng) -> String {
    let label =
        rng.pick(&["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]);
    let lines = rng.range(2, 6) as usize;
    let mut body: Vec<String> = (0..lines).map(|_| rng.chars_of(B64, 64)).collect();
    let last = rng.range(4, 40) as usize;
    body.push(format!("{}==", rng.chars_of(B64, last)));
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----", body.join("\n"))
}

fn credential_url(rng: &mut Rng) -> String {
    let scheme = rng.pick(&["postgres", "mysql", "https", "ftp", "redis", "mongodb+srv", "amqp"]);
    let user = rng.pick(&["admin", "app", "deploy", "root", "svc_backup", "john"]);
    let pass = rng.chars_between("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 6, 16);
    let host = rng.pick(&["db.internal", "10.0.3.12", "cache.example.com", "files.example.net", "mq.prod.local"]);
    let tail = rng.pick(&["", ":5432/app", ":3306/shop", "/backup/", ":6379", "/vhost"]);
    format!("{scheme}://{user}:{pass}@{host}{tail}")
}

fn secret(rng: &mut Rng) -> String {
    match rng.below(13) {
        0 => format!("{}{}", rng.pick(&["AKIA", "ASIA"]), rng.chars_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
        1 => format!("{}{}", rng.pick(&["ghp_", "gho_", "ghs_"]), rng.chars_of(ALNUM, 36)),
        2 => format!("github_pat_{}_{}", rng.chars_of(ALNUM, 22), rng.chars_of(ALNUM, 59)),
        3 => format!("{}{}", rng.pick(&["sk_live_", "sk_test_", "rk_live_"]), rng.chars_between(ALNUM, 24, 99)),
        4 => format!("xoxb-{}-{}-{}", rng.digits_nz(11), rng.digits_nz(13), rng.chars_of(ALNUM, 24)),
        5 => format!(
            "xoxp-{}-{}-{}-{}",
            rng.digits_nz(10),
            rng.digits_nz(11),
            rng.digits_nz(13),
            rng.chars_of("0123456789abcdef", 32)
        ),
        6 => format!("AIza{}", rng.chars_of(B64URL, 35)),
        7 => format!("sk-{}", rng.chars_of(ALNUM, 48)),
        8 => format!("sk-proj-{}", rng.chars_between(B64URL, 40, 120)),
        9 => jwt(rng),
        10 => pem(rng),
        11 => credential_url(rng),
        _ => format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            rng.chars_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8),
            rng.chars_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10),
            rng.chars_of(ALNUM, 24)
        ),
    }
}

// ---------------------------------------------------------------- fillers (not PII)

fn date(rng: &mut Rng) -> String {
    let (y, m, d) = (rng.range(2019, 2026), rng.range(1, 12), rng.range(1, 28));
    match rng.below(7) {
        0 => format!("{y}-{m:02}-{d:02}"),
        1 => format!("{d:02}.{m:02}.{y}"),
        2 => format!("{m:02}/{d:02}/{y}"),
        3 => format!("{d}/{m}/{y}"),
        4 => format!("{} {d}, {y}", rng.pick(&["March", "Jan", "Sept", "December"])),
        5 => format!("{y}/{m:02}/{d:02}"),
        _ => format!("{d:02}-{m:02}-{y}"),
    }
}

fn time(rng: &mut Rng) -> String {
    let (h, m) = (rng.range(0, 23), rng.range(0, 59));
    match rng.below(4) {
        0 => format!("{h:02}:{m:02}"),
        1 => format!("{}:{m:02} {}", rng.range(1, 12), rng.pick(&["am", "pm"])),
        2 => format!("{h:02}:{m:02}:{:02}", rng.range(0, 59)),
        _ => format!("{h}h{m:02}"),
    }
}

fn price(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("${},{:03}.{:02}", rng.range(1, 9), rng.range(0, 999), rng.range(0, 99)),
        1 => format!("€{},{:02}", rng.range(1, 999), rng.range(0, 99)),
        2 => format!("£{}.{:02}", rng.range(1, 999), rng.range(0, 99)),
        3 => format!("{}.{:03},{:02} €", rng.range(1, 99), rng.range(0, 999), rng.range(0, 99)),
        4 => format!("USD {}", rng.range(10, 99_999)),
        _ => format!("R$ {},{:02}", rng.range(10, 9999), rng.range(0, 99)),
    }
}

fn order(rng: &mut Rng) -> String {
    match rng.below(7) {
        0 => format!("#{}", rng.digits_nz(6)),
        1 => format!("{}-{}-{}", rng.digits_nz(3), rng.digits(7), rng.digits(7)),
        2 => format!("ORD-{}-{}", rng.range(2019, 2026), rng.digits(6)),
        3 => format!("#{}{}", rng.chars_of(UPPER, 2), rng.digits(8)),
        4 => format!("INV-{}", rng.digits(6)),
        5 => rng.digits_nz(10),
        _ => rng.digits_nz(7),
    }
}

fn tracking(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("1Z{}{}", rng.chars_of("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", 6), rng.digits(10)),
        1 => format!("9400 {} {} {} {} {}", rng.digits(4), rng.digits(4), rng.digits(4), rng.digits(4), rng.digits(2)),
        2 => format!("JD{}", rng.digits(18)),
        _ => format!("TBA{}", rng.digits(12)),
    }
}

fn version(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("v{}.{}.{}", rng.range(0, 9), rng.range(0, 30), rng.range(0, 30)),
        1 => format!("{}.{}.{}", rng.range(1, 20), rng.range(0, 30), rng.range(0, 30)),
        2 => format!("{}.{}.{}.{}", rng.range(1, 12), rng.range(0, 9), rng.range(0, 9), rng.range(0, 30)),
        _ => format!("{}.0.{}.{}", rng.range(90, 130), rng.range(1000, 9999), rng.range(10, 200)),
    }
}

fn link(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("https://help.example.com/articles/{}", rng.digits_nz(9)),
        1 => format!("https://shop.example.com/orders/{}?ref=mail", rng.digits_nz(16)),
        2 => format!("www.example.org/track/{}", rng.digits_nz(12)),
        _ => format!("https://example.com/u/{}/settings", rng.digits_nz(10)),
    }
}

fn expiry(rng: &mut Rng) -> String {
    format!("{:02}/{}", rng.range(1, 12), rng.range(25, 32))
}

// ---------------------------------------------------------------- templates

/// Chat turns. `{CARD}` .. `{SECRET}` are labelled; the other slots are not PII.
const TEMPLATES: &[&str] = &[
    "Hi, my card number is {CARD}, can you check why it was declined on {DATE}?",
    "Please charge {CARD} for order {ORDER} ({PRICE}).",
    "card: {CARD} exp {EXP}",
    "I paid with {CARD} at {TIME} but the app shows {PRICE} twice",
    "{CARD} is the one ending that I used",
    "Can you update my payment method to {CARD}? Thanks!",
    "You can email me at {EMAIL} or call {PHONE}.",
    "my email is {EMAIL}",
    "Contact: {EMAIL}",
    "{EMAIL} didn't get the confirmation for order {ORDER}",
    "Send the invoice to {EMAIL} please, the total was {PRICE}.",
    "cc {EMAIL} and {EMAIL} on this",
    "Reach me on {PHONE} after {TIME}.",
    "Call me at {PHONE} tomorrow",
    "My phone number is {PHONE}",
    "Tel.: {PHONE}",
    "{PHONE} is my mobile, whatsapp works too",
    "Meine Telefonnummer ist {PHONE}, bitte ab {TIME} anrufen.",
    "Mon numéro : {PHONE}",
    "Meu telefone é {PHONE}, pedido {ORDER}",
    "मेरा नंबर {PHONE} है",
    "رقمي هو {PHONE} شكرا",
    "我的电话是{PHONE}，邮箱是{EMAIL}",
    "If I'm not around ring my partner at {PHONE}",
    "My SSN is {SSN}",
    "SSN: {SSN}, DOB {DATE}",
    "social security number {SSN} for the tax form",
    "Here it is: {SSN}",
    "ssn {SSN} — is that what you need?",
    "Please send the refund of {PRICE} to {IBAN}, reference {ORDER}.",
    "IBAN: {IBAN}",
    "My bank account is {IBAN}",
    "{IBAN} is the new account, the old one is closed since {DATE}",
    "Überweisung bitte auf {IBAN}, danke!",
    "the server at {IP} keeps timing out since {VERSION}",
    "My IP is {IP}",
    "I'm connecting from {IP} and get error 503",
    "whitelist {IP} and {IP} please",
    "ssh into {IP} fails, port {PORT} works",
    "DNS resolves to [{IP}] now",
    "please route {IP}/24 through the vpn",
    "ping {IP} -c 4 shows 30% loss",
    "here's my key {SECRET} please don't share",
    "Token: {SECRET}",
    "I accidentally pasted {SECRET} in the public channel!",
    "config:\n{SECRET}\nend of config",
    "```\n{SECRET}\n```",
    "Is {SECRET} still valid? It was created on {DATE}.",
    "I'm {NAME}, {EMAIL}, phone {PHONE}, and my IBAN is {IBAN}.",
    "Name {NAME}, SSN {SSN}, card {CARD}",
    "Order {ORDER} placed on {DATE} for {PRICE}, tracking {TRACKING}.",
    "Version {VERSION} fixed the crash at {TIME}",
    "See {LINK} for details",
    "It's been {QTY} days since {DATE} and my order {ORDER} is still not here.",
    "The package {TRACKING} was due {DATE}",
    "ok thanks, talk {DATE} at {TIME}",
    "Error at {TIME}: build {VERSION} on {DATE}",
    "Total {PRICE}, paid by {CARD}, receipt to {EMAIL}",
    "sure, {EMAIL} / {PHONE} / {IP}",
    "ℹ️ My contact 👉 {EMAIL} 📞 {PHONE} 🙏",
    "{NAME} ({EMAIL})",
    "pls call {PHONE} asap!!!",
];

fn name(rng: &mut Rng) -> String {
    format!("{} {}", capitalize(rng.pick(FIRST)), capitalize(rng.pick(LAST)))
}

/// Fills a template; returns the text and labelled spans.
fn fill(rng: &mut Rng, template: &str, text: &mut String, spans: &mut Vec<Span>) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').unwrap();
        let slot = &rest[open + 1..close];
        let (value, category) = match slot {
            "CARD" => (card(rng), Some(PiiCategory::Card)),
            "EMAIL" => (email(rng), Some(PiiCategory::Email)),
            "PHONE" => (phone(rng), Some(PiiCategory::Phone)),
            "SSN" => (ssn(rng), Some(PiiCategory::Ssn)),
            "IBAN" => (iban(rng), Some(PiiCategory::Iban)),
            "IP" => (ip(rng), Some(PiiCategory::Ip)),
            "SECRET" => (secret(rng), Some(PiiCategory::Secret)),
            "DATE" => (date(rng), None),
            "TIME" => (time(rng), None),
            "PRICE" => (price(rng), None),
            "ORDER" => (order(rng), None),
            "TRACKING" => (tracking(rng), None),
            "VERSION" => (version(rng), None),
            "LINK" => (link(rng), None),
            "EXP" => (expiry(rng), None),
            "NAME" => (name(rng), None),
            "QTY" => (rng.range(2, 40).to_string(), None),
            "PORT" => (rng.range(1024, 65535).to_string(), None),
            other => panic!("unknown slot {other}"),
        };
        let start = text.len();
        text.push_str(&value);
        if let Some(category) = category {
            spans.push(Span { category, start, end: text.len() });
        }
        rest = &rest[close + 1..];
    }
    text.push_str(rest);
}

/// `n` turns of one to three templates each, from `seed`.
pub fn generate(seed: u64, n: usize) -> Vec<Turn> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let mut text = String::new();
            let mut spans = Vec::new();
            let parts = 1 + rng.below(3);
            for k in 0..parts {
                if k > 0 {
                    text.push_str(rng.pick(&[" ", "\n", " — ", ". "]));
                }
                let t = TEMPLATES[rng.below(TEMPLATES.len())];
                fill(&mut rng, t, &mut text, &mut spans);
            }
            Turn { text, spans }
        })
        .collect()
}
