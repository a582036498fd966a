// The human agent's console: answers mutual offers from the relay's mailbox, then chats through the
// relay with the same envelopes as the service end (role "agent"). Its session lives in memory.
import init, { MutualResponder, fromText } from 'chatseal';
import { httpTransport } from 'chatseal/client';

const $ = (id) => document.getElementById(id);
const ui = {
  conn: $('agent-conn'), offers: $('offers'), none: $('no-offers'), chat: $('agent-chat'), state: $('agent-state'),
  code: $('agent-code'), transcript: $('agent-transcript'), compose: $('agent-compose'), message: $('agent-message'),
  send: $('agent-send'), end: $('agent-end'),
};

let config;
let transport;
let responder = null;
let session = null;
let sub = null;
let cursor = '0.0';

function line(who, text, cls = '') {
  const li = document.createElement('li');
  li.className = `msg ${cls}`;
  li.dataset.testid = 'agent-message-item';
  const p = document.createElement('p');
  p.className = 'who';
  p.textContent = who;
  const t = document.createElement('p');
  t.className = 'text';
  t.textContent = text;
  li.append(p, t);
  ui.transcript.append(li);
}

async function post(envelope) {
  try {
    await transport.post(envelope);
  } catch (e) {
    line('Relay', `Not delivered (${e.relayCode ?? e.code}).`, 'system');
  }
}

function onRow(row) {
  cursor = row.cursor ?? cursor;
  if (row.direction !== 'i2r') return;
  const bytes = fromText(row.envelope);
  try {
    let turn;
    if (!session) {
      ({ session, turn } = responder.accept(bytes));
      responder.free();
      responder = null;
      ui.code.textContent = session.safetyCode;
      ui.state.textContent = 'Connected';
      ui.message.disabled = ui.send.disabled = ui.end.disabled = false;
    } else {
      turn = session.open(bytes);
    }
    if (turn.text) line('Visitor', turn.text, 'received');
    if (turn.header.close) {
      line('Visitor', 'The visitor ended the conversation.', 'system');
      if (!session.status().closed) post(session.close('', { role: 'agent' }));
      finish();
    }
  } catch (e) {
    if (e.code === 'duplicate') return;
    line('Relay', `A stored turn could not be opened (${e.code ?? e.name}): it was altered or is not for this session.`, 'system');
  }
}

function finish() {
  ui.message.disabled = ui.send.disabled = ui.end.disabled = true;
  ui.state.textContent = session?.status().finished ? 'Ended properly' : 'Ended';
}

function follow(handle) {
  sub = transport.subscribe(handle, cursor, {
    onRow,
    onDeleted() {
      line('Relay', 'The visitor forgot this conversation; the relay deleted it.', 'system');
      finish();
    },
    onDown() {
      sub = null;
      setTimeout(() => follow(handle), 1000);
    },
  });
}

/** Polls until the visitor's first turn created the conversation, then follows it. */
async function waitForConversation(handle) {
  for (;;) {
    try {
      await transport.rows(handle, '0.0');
      return follow(handle);
    } catch (e) {
      if (e.status !== 404) throw e;
    }
    await new Promise((r) => setTimeout(r, 700));
  }
}

async function answer(handle, offer) {
  responder = MutualResponder.answer(fromText(offer));
  if (responder.handle !== handle) {
    responder.free();
    responder = null;
    throw new Error('the offer does not fix the handle it was listed under');
  }
  await fetch(`/v1/mailbox/${handle}/answer`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${config.agent_key}`, 'Content-Type': 'application/octet-stream' },
    body: responder.answerBytes,
  });
  ui.offers.replaceChildren();
  ui.chat.hidden = false;
  ui.state.textContent = 'Answered: waiting for the visitor';
  ui.message.focus();
  await waitForConversation(handle);
}

async function pollOffers() {
  if (responder || session) return;
  try {
    const res = await fetch('/v1/mailbox/offers', { headers: { Authorization: `Bearer ${config.agent_key}` } });
    const { offers } = await res.json();
    ui.conn.textContent = 'Online';
    ui.conn.className = 'pill ok';
    ui.none.hidden = offers.length > 0;
    const ids = new Set(offers.map((o) => o.handle));
    for (const li of [...ui.offers.children]) if (!ids.has(li.dataset.handle)) li.remove();
    for (const o of offers) {
      if (ui.offers.querySelector(`[data-handle="${o.handle}"]`)) continue;
      const li = document.createElement('li');
      li.dataset.handle = o.handle;
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'primary';
      b.dataset.testid = 'answer-offer';
      b.textContent = `Answer visitor ${o.handle.slice(0, 8)}`;
      b.addEventListener('click', () => answer(o.handle, o.offer).catch((e) => line('Console', `Could not answer (${e.message}).`, 'system')));
      li.append(b);
      ui.offers.append(li);
    }
  } catch {
    ui.conn.textContent = 'Offline';
    ui.conn.className = 'pill warn';
  }
}

ui.compose.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = ui.message.value.trim();
  if (!text || !session) return;
  ui.message.value = '';
  await post(session.sealText(text, { role: 'agent' }));
  line('You (agent)', text, 'sent');
});

ui.end.addEventListener('click', async () => {
  await post(session.close('', { role: 'agent' }));
  line('You (agent)', 'You ended the conversation.', 'system');
  finish();
});

await init();
config = await (await fetch('/demo/config')).json();
transport = httpTransport({ relay: location.origin, key: config.agent_key });
await pollOffers();
setInterval(pollOffers, 1500);
