// The visitor's chat: the chatseal conversation client against the real relay and service end.
import init, { keyIdOf, fromText } from 'chatseal';
import { connect, httpTransport, isClientError } from 'chatseal/client';
import { followRows, piiWords } from './server-view.js';

const $ = (id) => document.getElementById(id);
const ui = {
  conn: $('conn'), trust: $('trust'), transcript: $('transcript'), ended: $('ended'), compose: $('compose'),
  message: $('message'), mask: $('mask'), send: $('send'), preview: $('preview'), close: $('close'), fresh: $('new'),
  human: $('human'), forget: $('forget'), forgotten: $('forgotten'), rows: $('rows'), count: $('row-count'), proof: $('proof'),
};
const WHO = { visitor: 'You', assistant: 'Service', agent: 'Agent', system: 'System' };
const STATE = {
  sending: 'sending…', sent: 'sent', failed: 'not delivered', streaming: 'writing…', received: '',
  interrupted: 'interrupted: the full answer follows', broken: 'cut off: this reply is incomplete',
  unreadable: 'could not be opened',
};
const PREFS = 'chatseal-demo';

let config;
let chat = null;
let rowsView = null;
const shown = new Map(); // message id -> <li>

const prefs = () => JSON.parse(localStorage.getItem(PREFS) ?? 'null') ?? { n: 1, mode: 'pinned' };
const setPrefs = (p) => localStorage.setItem(PREFS, JSON.stringify(p));
const nameOf = (p) => `${p.mode}-${p.n}`;

function setBusy(on) {
  for (const b of [ui.send, ui.close, ui.forget, ui.human]) b.disabled = on;
  ui.message.disabled = on;
}

function say(el, text, cls) {
  el.textContent = text;
  el.hidden = !text;
  if (cls) el.className = cls;
}

// ------------------------------------------------------------------ transcript --

function render(m) {
  let li = shown.get(m.id);
  if (!li) {
    li = document.createElement('li');
    li.dataset.testid = 'message';
    li.innerHTML = '<p class="who"><span class="name"></span> <span class="state"></span></p><p class="text"></p><p class="detail"></p>';
    shown.set(m.id, li);
    ui.transcript.append(li);
  }
  li.className = `msg ${m.direction} ${m.state}`;
  li.dataset.direction = m.direction;
  li.dataset.state = m.state;
  li.querySelector('.name').textContent = m.direction === 'sent' ? 'You' : WHO[m.role] ?? m.role;
  li.querySelector('.state').textContent = STATE[m.state] ?? m.state;
  const text = li.querySelector('.text');
  const detail = li.querySelector('.detail');
  detail.textContent = '';
  if (m.state === 'unreadable') {
    text.textContent = 'This reply could not be opened: it was altered after sealing or is not part of this conversation.';
    detail.textContent = `Refused by the seal check (${m.error}); nothing of it is shown.`;
  } else {
    text.textContent = m.close && !m.text ? (m.direction === 'sent' ? 'You ended the conversation.' : 'The conversation was ended.') : m.text;
  }
  if (m.direction === 'sent' && m.masked) {
    const sentAs = document.createElement('span');
    sentAs.className = 'sent-as';
    sentAs.dataset.testid = 'sent-as';
    sentAs.textContent = m.sentAs;
    detail.append(`Hidden before sending (${piiWords(m.pii)}). The service received: `, sentAs);
  } else if (m.direction === 'sent' && m.pii && Object.keys(m.pii).length === 0 && !m.close && m.state !== 'sending') {
    detail.textContent = 'Sent as typed (sealed).';
  }
  if (m.withheld) detail.append(` ${m.withheld} placeholder(s) left hidden because they sit inside a link.`);
  if (m.flag) detail.append(` Moderation flag: ${m.flag}.`);
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
}

// ------------------------------------------------------------------ status --

function showStatus(s) {
  if (!s) return;
  const pending = s.pending ? ` · ${s.pending} waiting to send` : '';
  ui.conn.textContent = s.outcome === 'forgotten' ? 'Forgotten' : s.connected ? `Connected${pending}` : `Offline, will resend${pending}`;
  ui.conn.className = `pill ${s.connected ? 'ok' : 'warn'}`;
  const ended = {
    closing: 'You ended the conversation; waiting for the other side to confirm.',
    finished: 'Conversation ended properly: both sides closed it and nothing is missing.',
    unfinished: 'This conversation ended without a close from both sides (unfinished): the end may have been cut off.',
    deleted: 'The relay deleted this conversation.',
  }[s.outcome];
  say(ui.ended, ended ?? '', `notice ${s.outcome}`);
  const open = s.outcome === 'open' && !s.closed;
  ui.message.disabled = ui.send.disabled = ui.close.disabled = !open;
  ui.fresh.hidden = open;
  ui.forget.disabled = s.outcome === 'forgotten';
  ui.human.disabled = false;
  if (rowsView === null && s.handle && chat && chat.messages.some((m) => m.direction === 'sent' && m.state === 'sent')) follow();
}

function trustLine() {
  ui.human.hidden = chat.mode === 'mutual';
  if (chat.mode === 'mutual') {
    ui.trust.innerHTML = '';
    const code = document.createElement('strong');
    code.className = 'code';
    code.dataset.testid = 'safety-code';
    code.textContent = chat.safetyCode;
    ui.trust.append('Talking to a person. Safety code: ', code,
      '. Ask the agent to read theirs: if both match, no one sits in the middle.');
  } else {
    ui.trust.textContent = `Sealed for the service whose key this page ships with (key ${keyIdOf(fromText(config.service_public_key))}). Only it can open your messages.`;
  }
}

// ------------------------------------------------------------------ stored rows --

function follow() {
  rowsView?.stop();
  ui.rows.replaceChildren();
  rowsView = followRows({
    relay: location.origin, key: config.widget_key, handle: chat.handle, list: ui.rows, count: ui.count,
    onRows: proveNoPlaintext,
  });
}

/** Checks the stored rows for what was typed: whole messages and the personal data in them. */
function proveNoPlaintext(rows) {
  if (!chat || !rows.length) return;
  const stored = JSON.stringify(rows);
  const typed = chat.messages.filter((m) => m.direction === 'sent' && m.text.length >= 4).map((m) => m.text);
  const leaked = typed.filter((t) => stored.includes(t));
  ui.proof.textContent = leaked.length
    ? `Warning: ${leaked.length} typed message(s) appear in the stored rows.`
    : `Checked: none of your ${typed.length} message(s) appear in these rows.`;
  ui.proof.className = leaked.length ? 'bad' : 'good';
}

// ------------------------------------------------------------------ actions --

async function start() {
  const p = prefs();
  shown.clear();
  ui.transcript.replaceChildren();
  say(ui.forgotten, '');
  rowsView?.stop();
  rowsView = null;
  ui.rows.replaceChildren();
  ui.count.textContent = '0 rows';
  ui.proof.textContent = '';
  setBusy(true);
  if (p.mode === 'mutual') {
    ui.conn.textContent = 'Waiting for an agent';
    ui.trust.textContent = 'Waiting for a person to answer: open the Agent console (link above) in another window and answer this visitor.';
  }
  try {
    chat = await connect({
      relay: location.origin,
      widgetKey: config.widget_key,
      servicePublicKey: config.service_public_key,
      mode: p.mode,
      name: nameOf(p),
    });
  } catch (e) {
    chat = null;
    ui.conn.textContent = 'Not connected';
    ui.trust.textContent = isClientError(e) && e.code === 'locked'
      ? 'This conversation is open in another tab. Close it there, then reload this page.'
      : `Could not open the conversation (${e.code ?? e.name}). ${e.code === 'tampered' ? 'The saved copy was refused: start a new conversation.' : ''}`;
    ui.fresh.hidden = false;
    ui.fresh.disabled = false;
    return;
  }
  window.chatsealDemo = { chat };
  chat.on('message', render);
  chat.on('status', showStatus);
  for (const m of chat.messages) render(m);
  trustLine();
  setBusy(false);
  showStatus(chat.status());
  updatePreview();
}

function updatePreview() {
  const text = ui.message.value;
  if (!chat || !text.trim()) return say(ui.preview, '');
  const { findings, text: masked } = chat.preview(text);
  if (!findings.length) return say(ui.preview, 'No personal data found in this message.');
  const counts = {};
  for (const f of findings) counts[f.category] = (counts[f.category] ?? 0) + 1;
  say(ui.preview, ui.mask.checked
    ? `Will be hidden: ${piiWords(counts)}. The service will receive: “${masked}”`
    : `Hiding is off: ${piiWords(counts)} will be sent as typed (still sealed, but the service sees them).`);
}

ui.message.addEventListener('input', updatePreview);
ui.mask.addEventListener('change', updatePreview);
ui.message.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    ui.compose.requestSubmit();
  }
});

ui.compose.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = ui.message.value.trim();
  if (!text || !chat) return;
  ui.message.value = '';
  updatePreview();
  try {
    await chat.send(text, { mask: ui.mask.checked });
  } catch (err) {
    say(ui.preview, `Not sent (${err.code ?? err.name}).`);
  }
  ui.message.focus();
});

ui.close.addEventListener('click', async () => {
  await chat.close();
});

ui.forget.addEventListener('click', async () => {
  const handle = chat.handle;
  const { deletion, relay } = await chat.forget();
  rowsView?.stop();
  let check = '';
  try {
    const page = await httpTransport({ relay: location.origin, key: config.widget_key }).rows(handle);
    check = `The relay now holds ${page.envelopes.length} rows for it${page.conversation?.deleted_at ? ' (marked deleted)' : ''}.`;
  } catch (e) {
    check = `Asking the relay for it now: "${e.relayCode ?? e.code}".`;
  }
  say(ui.forgotten, `Forgotten. ${deletion.keysDeleted} keys and ${deletion.piiValuesDeleted} hidden values were destroyed in this page; ` +
    `its saved copy is gone${relay ? ', and the relay deleted its rows' : ''}. No one can open these messages any more. ${check}`, 'notice forgotten');
  ui.forgotten.dataset.digest = deletion.digest;
  setPrefs({ ...prefs(), n: prefs().n + 1 });
  ui.transcript.replaceChildren();
  shown.clear();
  ui.fresh.hidden = false;
  ui.fresh.disabled = false;
  setBusy(true);
  ui.fresh.focus();
});

ui.fresh.addEventListener('click', async () => {
  if (chat && chat.status().outcome !== 'forgotten') {
    await chat.release();
    setPrefs({ ...prefs(), n: prefs().n + 1 });
  }
  setPrefs({ ...prefs(), mode: 'pinned' });
  await start();
});

ui.human.addEventListener('click', async () => {
  if (chat && chat.status().outcome !== 'forgotten') await chat.release();
  const p = prefs();
  setPrefs({ mode: 'mutual', n: p.n + 1 });
  await start();
});

// ------------------------------------------------------------------ boot --

try {
  await init();
  config = await (await fetch('/demo/config')).json();
  await start();
} catch (e) {
  ui.conn.textContent = 'Not available';
  ui.trust.textContent = `The demo could not start (${e.code ?? e.name}): is the relay running? (bash scripts/serve.sh)`;
}
