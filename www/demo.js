// chatseal demo: a visitor (the widget) and a service agree on a session in this page and
// exchange turns; the third pane shows what a backend stores: envelopes and what inspect()
// reads from them without keys. Nothing is sent anywhere.
import init, { ServiceKeyring, Session, inspect, isChatsealError, keyIdOf, scanPii, toText, version } from './pkg/web/chatseal.js';

const $ = (id) => document.getElementById(id);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Page state: the service's keyring, both ends' sessions, and the backend's store. */
const demo = {
  keyring: null,
  servicePublicKey: null,
  visitor: null,
  service: null,
  /** `{ envelope: Uint8Array, from: 'visitor' | 'service', tampered: boolean, verdict: string }` */
  store: [],
};

function describe(error) {
  return isChatsealError(error) ? `${error.code}: ${error.message}` : String(error);
}

function say(log, kind, text, note) {
  const item = document.createElement('li');
  item.className = kind;
  const bubble = document.createElement('span');
  bubble.className = 'bubble';
  bubble.textContent = text;
  item.append(bubble);
  if (note) {
    const small = document.createElement('small');
    small.textContent = note;
    item.append(small);
  }
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function turnNote(turn) {
  const time = turn.metadata.time ? new Date(turn.metadata.time * 1000).toLocaleTimeString() : 'no time';
  return `${turn.metadata.role} · #${turn.header.seq} · ${turn.order} · ${turn.chain} · ${time}`;
}

function field(list, name, value) {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.textContent = value;
  list.append(dt, dd);
}

/** One stored envelope as the backend sees it: header and metadata from inspect(), never plaintext. */
function renderEntry(entry, index) {
  const info = inspect(entry.envelope);
  const { header, metadata } = info;
  const item = document.createElement('li');
  item.className = `envelope from-${entry.from}${entry.tampered ? ' tampered' : ''}`;
  item.dataset.testid = 'envelope';

  const head = document.createElement('header');
  const route = document.createElement('span');
  route.className = 'route';
  route.textContent = `#${index + 1} ${entry.from === 'visitor' ? 'visitor → service' : 'service → visitor'}`;
  const tamper = document.createElement('button');
  tamper.textContent = entry.tampered ? 'Tampered' : 'Tamper';
  tamper.disabled = entry.tampered;
  tamper.dataset.testid = 'tamper';
  tamper.addEventListener('click', () => tamperWith(entry));
  head.append(route, tamper);

  const list = document.createElement('dl');
  field(list, 'header', `${header.direction} · epoch ${header.epoch} · seq ${header.seq}`);
  if (info.hello) field(list, 'handshake', `${info.hello.mode}, key ${info.hello.keyId ?? '—'}`);
  field(list, 'role', metadata.role);
  const granularity = metadata.timeGranularity;
  const when = granularity ? `${new Date(metadata.time * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC (±${granularity} s)` : 'omitted';
  field(list, 'time', when);
  field(list, 'padded length', `${info.paddedLen} bytes`);
  const pii = Object.entries(metadata.pii).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`);
  field(list, 'PII counts', pii.length ? pii.join(', ') : 'none');
  const labels = Object.entries(metadata.labels).map(([k, v]) => `${k}=${v}`);
  field(list, 'labels', labels.length ? labels.join(', ') : 'none');
  field(list, 'session', header.sessionId);

  const text = toText(entry.envelope);
  const form = document.createElement('code');
  form.className = 'text-form';
  form.dataset.testid = 'text-form';
  form.title = text;
  form.textContent = `${text.slice(0, 24)}…${text.slice(-24)} (${text.length} chars)`;

  item.append(head, list, form);
  if (entry.verdict) {
    const verdict = document.createElement('div');
    verdict.className = `verdict ${entry.tampered ? 'bad' : 'ok'}`;
    verdict.dataset.testid = 'verdict';
    verdict.textContent = entry.verdict;
    item.append(verdict);
  }
  return item;
}

function renderStore() {
  $('store').replaceChildren(...demo.store.map(renderEntry));
}

/** The backend (or someone in it) alters a stored envelope: the recipient's check refuses it. */
function tamperWith(entry) {
  const altered = entry.envelope.slice();
  altered[altered.length - 5] ^= 0x01; // a bit of the ciphertext
  entry.envelope = altered;
  entry.tampered = true;
  const recipient = entry.from === 'visitor' ? demo.service : demo.visitor;
  try {
    recipient.reopen(altered);
    entry.verdict = 'still opens (unexpected)';
  } catch (error) {
    entry.verdict = `re-open by the recipient: ${describe(error)}`;
  }
  renderStore();
}

function store(from, envelope) {
  demo.store.push({ envelope, from, tampered: false, verdict: '' });
  renderStore();
}

function showSafetyCodes() {
  $('visitor-safety').textContent = demo.visitor ? demo.visitor.safetyCode() : '—';
  $('service-safety').textContent = demo.service ? demo.service.safetyCode() : '—';
}

function startSession() {
  demo.visitor?.free();
  demo.service?.free();
  demo.service = null;
  demo.visitor = Session.initiatePinned(demo.servicePublicKey, { timeGranularity: 60 });
  $('visitor-session').textContent = demo.visitor.sessionId;
  for (const id of ['visitor-input', 'visitor-send']) $(id).disabled = false;
  for (const id of ['service-input', 'service-send']) $(id).disabled = true;
  $('visitor-log').replaceChildren();
  $('service-log').replaceChildren();
  showSafetyCodes();
  $('visitor-input').focus();
}

function visitorSends(text) {
  const envelope = demo.visitor.sealText(text, { labels: { channel: 'web' } });
  store('visitor', envelope);
  say($('visitor-log'), 'mine', text, `sealed #${demo.visitor.nextSendSeq - 1}`);
  try {
    let turn;
    if (demo.service) {
      turn = demo.service.open(envelope);
    } else {
      ({ session: demo.service, turn } = demo.keyring.accept(envelope));
      for (const id of ['service-input', 'service-send']) $(id).disabled = false;
      showSafetyCodes();
    }
    say($('service-log'), 'theirs', turn.text, turnNote(turn));
  } catch (error) {
    say($('service-log'), 'error', describe(error));
  }
}

function serviceReplies(text) {
  const envelope = demo.service.sealText(text, { role: 'agent', labels: { channel: 'web' } });
  store('service', envelope);
  say($('service-log'), 'mine', text, `sealed #${demo.service.nextSendSeq - 1}`);
  try {
    const turn = demo.visitor.open(envelope);
    say($('visitor-log'), 'theirs', turn.text, turnNote(turn));
  } catch (error) {
    say($('visitor-log'), 'error', describe(error));
  }
}

function piiHint() {
  const text = $('visitor-input').value;
  const found = text ? scanPii(text) : [];
  $('visitor-pii').textContent = found.length
    ? `Checked locally: ${found.map((f) => f.category).join(', ')} in this message (nothing leaves the page to check).`
    : '';
}

function onSubmit(form, input, send) {
  $(form).addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $(input).value;
    if (!text.trim()) return;
    $(input).value = '';
    try {
      send(text);
    } catch (error) {
      $('status').textContent = describe(error);
    }
    piiHint();
  });
}

async function main() {
  await init();
  demo.keyring = new ServiceKeyring();
  demo.servicePublicKey = demo.keyring.generateKey();
  const keyId = keyIdOf(demo.servicePublicKey);
  $('service-key-id').textContent = keyId;
  $('service-public').textContent = hex(demo.servicePublicKey);
  $('visitor-key').textContent = keyId;
  $('start').disabled = false;
  $('start').addEventListener('click', startSession);
  onSubmit('visitor-form', 'visitor-input', visitorSends);
  onSubmit('service-form', 'service-input', serviceReplies);
  $('visitor-input').addEventListener('input', piiHint);
  $('status').textContent = `chatseal ${version()} loaded. The service published key ${keyId}; start a session.`;
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  $('status').textContent = `Failed to start: ${describe(error)}`;
  $('status').className = 'error';
});
