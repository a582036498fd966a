#!/usr/bin/env python3
"""Labelled chat turns for the PII accuracy test (`tests/pii_accuracy.rs`), built with Faker.

Run from this folder:   pip install faker==40.63.0 && python3 generate.py
It rewrites dev.txt (tuned on) and heldout.txt (never tuned on). Both are committed, so the
test needs no Python. Two splits, two seeds, two disjoint sets of templates and of locales:

  dev       seed 20261203, templates DEV_TEMPLATES,     locales DEV_LOCALES
  heldout   seed 77000913, templates HELDOUT_TEMPLATES, locales HELDOUT_LOCALES

Line format (shared with the hand-written files here):

  <turn class> TAB <text>

where the text marks each personal value as {{category/class:value}} (class optional) and
escapes newline, tab and backslash as \\n, \\t, \\\\. Only the six scored categories are labelled:
card, email, phone, ssn, iban, ip. Everything else in a turn (dates, versions, user agents,
ISBNs, order, ticket and record numbers, prices, postcodes, addresses) is innocent text that a
finding must not cover.

Span convention (the same as the detectors, see the crate docs): a phone span covers the
international prefix, a "(0)" trunk and an extension ("x4587", "ext. 12", "#204"); it does not
cover a label glued after it ("-office", "home", "(mobile)"). A card or SSN span covers its
separators; an IBAN its spaces.
"""

import random
import sys

from faker import Faker

# ------------------------------------------------------------------ helpers


def luhn_complete(body):
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def nz(rng, n):
    return rng.choice("123456789") + digits(rng, n - 1)


def mark(category, value, cls=None):
    tag = category if cls is None else f"{category}/{cls}"
    return "{{" + tag + ":" + value + "}}"


def escape(text):
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


# ------------------------------------------------------------------ cards

US = Faker("en_US")

CARD_TYPES = ["visa16", "visa13", "visa19", "mastercard", "amex", "discover", "diners", "jcb15", "jcb16", "maestro"]


def card_number(fk, rng, split):
    kind = rng.choice(CARD_TYPES + ["extra"])
    if kind == "extra":
        # Networks Faker lacks: Mir, UnionPay 19, RuPay, Maestro of other lengths, Troy, Verve.
        prefix, length = rng.choice(
            [("2200", 16), ("2204", 16), ("62", 19), ("6521", 16), ("508", 16), ("6759", 18), ("5893", 19),
             ("9792", 16), ("6304", 13), ("6012", 16), ("81", 16), ("3589", 19)]
        )
        number = luhn_complete(prefix + digits(rng, length - len(prefix) - 1))
    else:
        number = US.credit_card_number(card_type=kind)  # the en_US provider has every network
    return number, kind


def card_format(rng, number, split):
    """Prints a card number the way people type it: bare, in fours, Amex 4-6-5, or uneven."""
    n = len(number)
    style = rng.random()
    if style < 0.3:
        return number, "bare"
    sep = rng.choice([" ", " ", "-"] if split == "dev" else [" ", "-", "-"])
    if style < 0.8:
        if n == 15:
            sizes = [4, 6, 5]
        elif n == 14:
            sizes = [4, 6, 4]
        else:
            sizes = [4] * (n // 4) + ([n % 4] if n % 4 else [])
        cls = "grouped"
    else:
        sizes = []
        left = n
        while left > 0:
            k = min(left, rng.choice([2, 3, 4, 5, 6] if split == "dev" else [3, 4, 5, 7]))
            sizes.append(k)
            left -= k
        if len(sizes) == 1:
            sizes = [n - 4, 4]
        cls = "uneven"
    out, at = [], 0
    for k in sizes:
        out.append(number[at:at + k])
        at += k
    return sep.join(out), cls


def card(fk, rng, split):
    number, kind = card_number(fk, rng, split)
    text, shape = card_format(rng, number, split)
    cls = "uneven" if shape == "uneven" else ("jcb15" if kind == "jcb15" else "maestro" if kind == "maestro" else kind)
    return mark("card", text, cls)


# ------------------------------------------------------------------ SSN


def ssn(fk, rng, split):
    value = US.ssn()  # AAA-GG-SSSS by the SSA rules (other locales' ssn() are other ids)
    style = rng.random()
    if style < 0.55:
        return mark("ssn", value, "dash")
    if style < 0.7:
        return mark("ssn", value.replace("-", " "), "space")
    if style < 0.85:
        return mark("ssn", value.replace("-", "."), "dots")
    return mark("ssn", value.replace("-", ""), "bare")


# ------------------------------------------------------------------ phones

EXTENSIONS_DEV = [" x{e}", "x{e}", " ext. {e}", " ext {e}", " Ext.{e}", "#{e}", " #{e}", " extension {e}"]
EXTENSIONS_HELDOUT = [" x {e}", "x{e}", " EXT {e}", " ext.{e}", " ext: {e}", " # {e}", "#{e}", " Ext. {e}"]
GLUED_DEV = ["-office", "home", "(mobile)", "(cell)", "/mobile", "-work"]
GLUED_HELDOUT = ["(home)", "-mobile", "work", "(office)", "-cell", "(fax)"]


def nanp(rng):
    area = rng.choice("23456789") + digits(rng, 2)
    exch = rng.choice("23456789") + digits(rng, 2)
    line = digits(rng, 4)
    return rng.choice(
        [f"({area}) {exch}-{line}", f"{area}-{exch}-{line}", f"{area}.{exch}.{line}", f"({area}){exch}-{line}",
         f"+1 {area} {exch} {line}", f"1-{area}-{exch}-{line}"]
    )


def intl(rng, split):
    """International forms: trunk (0), dots, mixed spaces, leading 00."""
    if split == "dev":
        forms = [
            lambda: f"+44 (0)20 {digits(rng, 4)} {digits(rng, 4)}",
            lambda: f"+44 (0) 7{digits(rng, 3)} {digits(rng, 6)}",
            lambda: f"0044 20 {digits(rng, 4)} {digits(rng, 4)}",
            lambda: f"+49 (0)30 {digits(rng, 8)}",
            lambda: f"0049 151 {digits(rng, 8)}",
            lambda: f"+33 (0)6 {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}",
            lambda: f"+33.6.{digits(rng, 2)}.{digits(rng, 2)}.{digits(rng, 2)}.{digits(rng, 2)}",
            lambda: f"+31 (0)20 {digits(rng, 3)} {digits(rng, 4)}",
            lambda: f"+34 6{digits(rng, 2)} {digits(rng, 3)} {digits(rng, 3)}",
            lambda: f"+39 3{digits(rng, 2)} {digits(rng, 3)} {digits(rng, 4)}",
            lambda: f"+1.{nz(rng, 3)}.{nz(rng, 3)}.{digits(rng, 4)}",
            lambda: f"+91 9{digits(rng, 4)} {digits(rng, 5)}",
            lambda: f"+81 90-{digits(rng, 4)}-{digits(rng, 4)}",
            lambda: f"+86 13{digits(rng, 1)} {digits(rng, 4)} {digits(rng, 4)}",
        ]
    else:
        forms = [
            lambda: f"+41 (0)44 {digits(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}",
            lambda: f"0041 79 {digits(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}",
            lambda: f"+43 (0)1 {digits(rng, 7)}",
            lambda: f"+46 (0)8 {digits(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}",
            lambda: f"+45 {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}",
            lambda: f"+47 {digits(rng, 3)} {digits(rng, 2)} {digits(rng, 3)}",
            lambda: f"+358 (0)40 {digits(rng, 3)} {digits(rng, 4)}",
            lambda: f"+420.{digits(rng, 3)}.{digits(rng, 3)}.{digits(rng, 3)}",
            lambda: f"+353 (0)87 {digits(rng, 3)} {digits(rng, 4)}",
            lambda: f"00 353 1 {digits(rng, 3)} {digits(rng, 4)}",
            lambda: f"+64 21 {digits(rng, 3)} {digits(rng, 4)}",
            lambda: f"+82 10-{digits(rng, 4)}-{digits(rng, 4)}",
            lambda: f"+1 {nz(rng, 3)}.{nz(rng, 3)}.{digits(rng, 4)}",
            lambda: f"+27 (0)82 {digits(rng, 3)} {digits(rng, 4)}",
        ]
    return rng.choice(forms)()


def short_local(rng, split):
    """7 to 9 digits, no area code or no trunk: only a cue says it is a phone."""
    if split == "dev":
        forms = [f"555-{digits(rng, 4)}", f"{nz(rng, 3)} {digits(rng, 4)}", f"{nz(rng, 4)} {digits(rng, 4)}",
                 f"{nz(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}", f"6{digits(rng, 2)} {digits(rng, 3)} {digits(rng, 3)}",
                 f"{nz(rng, 3)}-{digits(rng, 4)}", f"{nz(rng, 7)}"]
    else:
        forms = [f"{nz(rng, 3)}.{digits(rng, 4)}", f"{nz(rng, 2)}-{digits(rng, 2)}-{digits(rng, 2)}-{digits(rng, 2)}",
                 f"{nz(rng, 4)}-{digits(rng, 4)}", f"9{digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}",
                 f"{nz(rng, 8)}", f"{nz(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}"]
    return rng.choice(forms)


def phone(fk, rng, split):
    """A phone of some class, marked; the glued class returns the label after the mark."""
    r = rng.random()
    if r < 0.45:
        value = fk.phone_number()
        cls = "ext" if "x" in value else "intl" if value.startswith(("+", "00", "(+")) else "national"
        return mark("phone", value, cls)
    if r < 0.6:
        base = nanp(rng) if rng.random() < 0.6 else fk.phone_number().split("x")[0]
        ext = rng.choice(EXTENSIONS_DEV if split == "dev" else EXTENSIONS_HELDOUT).format(e=digits(rng, rng.randint(2, 5)))
        return mark("phone", base + ext, "ext")
    if r < 0.72:
        base = nanp(rng) if rng.random() < 0.5 else intl(rng, split)
        return mark("phone", base, "glued") + rng.choice(GLUED_DEV if split == "dev" else GLUED_HELDOUT)
    return mark("phone", intl(rng, split), "intl")


def short_phone(fk, rng, split):
    return mark("phone", short_local(rng, split), "short")


# ------------------------------------------------------------------ other PII


def email(fk, rng, split):
    return mark("email", rng.choice([fk.email(), fk.free_email(), fk.company_email()]))


def iban(fk, rng, split):
    value = fk.iban()
    if rng.random() < 0.5:
        value = " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return mark("iban", value)


def ip(fk, rng, split):
    r = rng.random()
    if r < 0.4:
        return mark("ip", fk.ipv4_public(), "v4")
    if r < 0.7:
        return mark("ip", fk.ipv4_private(), "v4")
    return mark("ip", fk.ipv6() if rng.random() < 0.6 else compress6(fk.ipv6()), "v6")


def compress6(full):
    groups = [g.lstrip("0") or "0" for g in full.split(":")]
    groups[2:5] = [""]
    return ":".join(groups)


# ------------------------------------------------------------------ innocent text


def innocent(fk, rng, kind):
    if kind == "date":
        d = fk.date_object()
        return rng.choice([d.isoformat(), d.strftime("%d.%m.%Y"), d.strftime("%m/%d/%Y"), d.strftime("%d-%m-%Y"),
                           d.strftime("%B %d, %Y"), d.strftime("%Y%m%d")])
    if kind == "time":
        return fk.time(pattern=rng.choice(["%H:%M", "%H:%M:%S", "%I:%M %p"]))
    if kind == "ua":
        return fk.user_agent()
    if kind == "isbn":
        return rng.choice([fk.isbn13(), fk.isbn10()])
    if kind == "version":
        return rng.choice([f"{rng.randint(1, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}",
                           f"{rng.randint(1, 12)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9999)}"])
    if kind == "price":
        return rng.choice([f"${rng.randint(1, 9999)}.{digits(rng, 2)}", f"{rng.randint(1, 999)},{digits(rng, 2)} €",
                           f"£{rng.randint(1, 999)}"])
    if kind == "ref":  # order / ticket / record numbers, often phone-shaped
        return rng.choice([f"{nz(rng, 3)}-{digits(rng, 3)}-{digits(rng, 4)}", f"{nz(rng, 3)}-{digits(rng, 4)}",
                           f"{nz(rng, 10)}", f"{nz(rng, 3)} {digits(rng, 3)} {digits(rng, 4)}", f"{nz(rng, 8)}",
                           f"{nz(rng, 2)}-{digits(rng, 7)}"])
    if kind == "postcode":
        return fk.postcode()
    if kind == "address":
        return fk.address().replace("\n", ", ")
    if kind == "amount":
        return f"{rng.randint(1, 999)},{digits(rng, 3)},{digits(rng, 3)}"
    if kind == "ean":
        return fk.ean13()
    raise KeyError(kind)


PII = {"card": card, "ssn": ssn, "phone": phone, "short": short_phone, "email": email, "iban": iban, "ip": ip}
SIMPLE = {"name": lambda fk: fk.name(), "first": lambda fk: fk.first_name(), "company": lambda fk: fk.company(),
          "city": lambda fk: fk.city(), "job": lambda fk: fk.job()}

# Templates: {card} {ssn} {phone} {short} {email} {iban} {ip} are labelled; {date} {time} {ua} {isbn}
# {version} {price} {ref} {postcode} {address} {amount} {ean} are innocent; {name} {first} {company}
# {city} {job} are filler. {short} only ever follows a phone cue.
DEV_TEMPLATES = [
    ("contact", "Hi, I'm {name}. You can call me on {phone} or write to {email}."),
    ("contact", "My number is {phone}, best after {time}."),
    ("contact", "Please reach me at {phone} — I'm at {company} until {date}."),
    ("contact", "Contact: {name}, {job}, phone {phone}, e-mail {email}"),
    ("contact", "call me at {short} when you land"),
    ("contact", "Tel.: {short} (only mornings)"),
    ("contact", "mobile {short}, landline {phone}"),
    ("contact", "Meine Telefonnummer ist {phone}, ruf mich an!"),
    ("contact", "Mon numéro de téléphone : {phone}. Merci !"),
    ("contact", "Mi teléfono es {phone} y mi correo {email}."),
    ("contact", "Il mio cellulare è {short}, chiamami."),
    ("contact", "whatsapp: {short}"),
    ("contact", "Ring me on {phone}, or text {short}."),
    ("signature", "--\n{name}\n{job}, {company}\nT {phone}\nE {email}\n{address}"),
    ("signature", "Best regards,\n{name}\nDirect: {phone}\nFax: {phone}"),
    ("payment", "I paid with card {card} on {date}, the amount was {price}."),
    ("payment", "Card number: {card}, expires 0{exp}/2{exp}. Order {ref}."),
    ("payment", "Can you refund {price} to {card}? Thanks, {first}"),
    ("payment", "my visa {card} was charged twice for order #{ref}"),
    ("payment", "Please wire it to {iban} ({company})."),
    ("payment", "IBAN: {iban}, BIC DEUTDEFF, amount {amount}"),
    ("identity", "My SSN is {ssn} and my date of birth is {date}."),
    ("identity", "social security number: {ssn}"),
    ("identity", "For the tax form: national id {ssn}, employer {company}."),
    ("identity", "{name}, SSN {ssn}, phone {phone}"),
    ("identity", "tax id {ssn} — please keep it private"),
    ("it", "The server {ip} is down since {time}; my browser is {ua}."),
    ("it", "ssh into {ip} and check the logs from {date}"),
    ("it", "Gateway {ip}, DNS {ip}, running firmware {version}."),
    ("it", "Connection from {ip} refused (client {ua})"),
    ("mixed", "Order {ref} placed on {date} by {name} ({email}), ship to {address}."),
    ("mixed", "Ticket {ref}: customer {name} says the app {version} crashes. Callback {phone}."),
    ("mixed", "Patient MRN {ref}, seen {date}, contact {phone}"),
    ("mixed", "Book ISBN {isbn} costs {price}; call the store at {phone}."),
    ("mixed", "{name} from {city} ({postcode}) asked about invoice {ref}, reply to {email}"),
    ("mixed", "Reference number {ref}, EAN {ean}, price {price}."),
    ("innocent", "The meeting is on {date} at {time} in {city}, bring the {version} release notes."),
    ("innocent", "Order number {ref} shipped on {date}, tracking {ref}."),
    ("innocent", "My user agent is {ua} if that helps."),
    ("innocent", "ISBN {isbn}, {price}, published {date}."),
    ("innocent", "Case {ref} was escalated; the fix is in build {version}."),
    ("innocent", "We sold {amount} units, revenue {price}, see {address}."),
]

HELDOUT_TEMPLATES = [
    ("contact", "hey it's {first}!! my cell is {phone} lol, or {email}"),
    ("contact", "You can phone {name} on {phone} (weekdays)."),
    ("contact", "Kontakt: {name}, Tel. {phone}, Mail {email}"),
    ("contact", "Téléphone portable : {short}"),
    ("contact", "Número de contacto {short}, pregunte por {first}."),
    ("contact", "ph: {short}"),
    ("contact", "Cell {short} / office {phone}"),
    ("contact", "Telefon {short} eller mail {email}"),
    ("contact", "best number to reach me: {phone}"),
    ("contact", "fax {phone} attn. {name}"),
    ("contact", "{name} | {phone} | {email} | {city}"),
    ("contact", "Emergency contact {name}, {phone}."),
    ("signature", "Kind regards\n{name} — {company}\nMobile: {phone}\nOffice: {phone}\n{email}"),
    ("signature", "{name}\n{address}\n{phone}\n{email}"),
    ("payment", "charge it to my mastercard {card} exp {exp}/2{exp}"),
    ("payment", "credit card {card} (CVV sent separately), invoice {ref}"),
    ("payment", "The {price} payment from {card} failed on {date}."),
    ("payment", "Kreditkarte {card}, Bestellung {ref}"),
    ("payment", "Bank details: {iban} (account holder {name})"),
    ("payment", "Überweisung an {iban}, Betrag {price}"),
    ("identity", "SSN: {ssn}, DOB {date}"),
    ("identity", "Applicant {name} — social security no. {ssn}"),
    ("identity", "Employee {name} ({job}), SSN {ssn}, hired {date}"),
    ("identity", "my social is {ssn}"),
    ("identity", "taxpayer id {ssn}"),
    ("it", "Blocked {ip} after {amount} requests with UA \"{ua}\"."),
    ("it", "VPN endpoint {ip}, fallback {ip}"),
    ("it", "ping {ip} -> timeout ({version})"),
    ("it", "allowlist: {ip}, {ip}"),
    ("mixed", "Re: ticket #{ref} — {name} ({email}) called from {phone} about order {ref}."),
    ("mixed", "Appointment for medical record {ref} on {date} at {time}; confirm via {phone}."),
    ("mixed", "Shipping {address}; customer {name}, {phone}; parcel {ref}"),
    ("mixed", "ISBN {isbn} was reserved by {email} on {date}."),
    ("mixed", "{name} paid {price} with {card}; receipt {ref}."),
    ("innocent", "Release {version} went out {date}; UA string {ua}"),
    ("innocent", "Invoice {ref} from {date}, total {price}, postcode {postcode}"),
    ("innocent", "See ISBN {isbn} and EAN {ean} in the catalogue."),
    ("innocent", "Our office: {address}. Open {time} to {time}."),
    ("innocent", "Member id {ref}, policy {ref}, claim filed {date}"),
    ("innocent", "Tracking {ref} — expected {date}."),
]

DEV_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "en_IN", "en_AU", "ja_JP", "pl_PL"]
HELDOUT_LOCALES = ["en_CA", "de_AT", "de_CH", "fr_CH", "sv_SE", "da_DK", "no_NO", "fi_FI", "cs_CZ", "pt_PT", "en_NZ", "ko_KR", "en_US"]

SPLITS = {
    "dev": (20261203, DEV_TEMPLATES, DEV_LOCALES, 2500),
    "heldout": (77000913, HELDOUT_TEMPLATES, HELDOUT_LOCALES, 2500),
}


def fill(template, fk, rng, split):
    out, i = [], 0
    while True:
        j = template.find("{", i)
        if j < 0:
            out.append(template[i:])
            return "".join(out)
        k = template.index("}", j)
        out.append(template[i:j])
        slot = template[j + 1:k]
        if slot in PII:
            out.append(PII[slot](fk, rng, split))
        elif slot in SIMPLE:
            out.append(SIMPLE[slot](fk))
        elif slot == "exp":
            out.append(str(rng.randint(1, 9)))
        else:
            out.append(innocent(fk, rng, slot))
        i = k + 1


def generate(split):
    seed, templates, locales, turns = SPLITS[split]
    rng = random.Random(seed)
    US.seed_instance(seed)
    fakers = {}
    for loc in locales:
        fk = Faker(loc)
        fk.seed_instance(seed + len(fakers))
        fakers[loc] = fk
    lines = []
    for _ in range(turns):
        loc = rng.choice(locales)
        cls, template = rng.choice(templates)
        lines.append(f"{cls}\t{escape(fill(template, fakers[loc], rng, split))}")
    return lines


def main():
    for split in sys.argv[1:] or ["dev", "heldout"]:
        seed, _, _, _ = SPLITS[split]
        header = [
            f"# Generated by corpus/generate.py (Faker), split {split}, seed {seed}. Do not edit by hand.",
            "# <turn class> TAB <text with {{category/class:value}} marks>; \\n \\t \\\\ escaped.",
        ]
        with open(f"{split}.txt", "w", encoding="utf-8") as f:
            f.write("\n".join(header + generate(split)) + "\n")


if __name__ == "__main__":
    main()
