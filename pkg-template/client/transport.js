// The default transport: the reference relay's HTTP API (fetch) and its live WebSocket, with
// polling of the stored rows where no WebSocket exists (Node before 22).
import { ClientError } from './errors.js';

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

async function relayError(res) {
  let code = 'http';
  let message = `HTTP ${res.status}`;
  try {
    const body = await res.json();
    if (body && body.error && typeof body.error.code === 'string') {
      code = body.error.code;
      message = String(body.error.message || code);
    }
  } catch {
    /* not JSON */
  }
  return new ClientError('relay', `the relay refused the request: ${message}`, {
    status: res.status,
    relayCode: code,
    retryable: RETRYABLE.has(res.status),
  });
}

function checkBase(relay) {
  if (typeof relay !== 'string' || !/^https?:\/\/[^\s]+$/.test(relay)) {
    throw new ClientError('invalid_input', 'relay must be an http(s) URL');
  }
  return relay.replace(/\/+$/, '');
}

/**
 * The reference relay's API as a transport. `key` is the widget's key (public, embedded in the
 * page); staff tools pass a service key.
 */
export function httpTransport({ relay, key, fetch: fetchImpl, WebSocket: WebSocketImpl, pollInterval = 1000 } = {}) {
  const base = checkBase(relay);
  if (typeof key !== 'string' || key.length === 0) throw new ClientError('invalid_input', 'key must be the relay API key');
  const doFetch = fetchImpl ?? globalThis.fetch?.bind(globalThis);
  if (!doFetch) throw new ClientError('unsupported', 'no fetch on this platform: pass one');
  const WS = WebSocketImpl === undefined ? globalThis.WebSocket : WebSocketImpl;
  const auth = { Authorization: `Bearer ${key}` };

  async function request(method, path, { body, json = true, contentType } = {}) {
    let res;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: contentType ? { ...auth, 'Content-Type': contentType } : auth,
        body,
      });
    } catch (cause) {
      throw new ClientError('offline', 'the relay could not be reached', { cause, retryable: true });
    }
    if (!res.ok) throw await relayError(res);
    return json ? res.json() : res;
  }

  return {
    /** Posts an envelope: `{ stored, direction, seq }` (stored false: a byte-identical resend). */
    post: (envelope) =>
      request('POST', '/v1/envelopes', { body: envelope, contentType: 'application/octet-stream' }),

    /** Stored rows after `since` ("<i2r>.<r2i>"): `{ envelopes, cursor }`. */
    rows: (handle, since = '0.0') =>
      request('GET', `/v1/conversations/${handle}/envelopes?since=${encodeURIComponent(since)}`),

    /** Deletes the relay's copy; `{ tombstone, residual }`. */
    remove: (handle) => request('DELETE', `/v1/conversations/${handle}`),

    /** Mutual mode: leaves the offer for an agent. */
    offer: (handle, offer) =>
      request('POST', `/v1/mailbox/${handle}/offer`, { body: offer, contentType: 'application/octet-stream' }),

    /** Mutual mode: the agent's answer (base64url) or null while none came. */
    async answer(handle) {
      try {
        return (await request('GET', `/v1/mailbox/${handle}/answer`)).answer;
      } catch (e) {
        if (e.status === 404) return null;
        throw e;
      }
    },

    /**
     * Follows the conversation from `since`: `onRow(row)` for every stored row in order (each
     * carries `cursor`), `onDeleted(tombstone)`, `onDown(error)` when the connection drops (the
     * caller resubscribes from its cursor). Returns `{ close() }`.
     */
    subscribe(handle, since, { onRow, onDeleted, onDown }) {
      return WS ? socket(handle, since, { onRow, onDeleted, onDown }) : poll(handle, since, { onRow, onDeleted, onDown });
    },
  };

  function socket(handle, since, { onRow, onDeleted, onDown }) {
    const url = `${base.replace(/^http/, 'ws')}/v1/conversations/${handle}/live?since=${encodeURIComponent(since)}&key=${encodeURIComponent(key)}`;
    const ws = new WS(url);
    let closed = false;
    ws.onmessage = (event) => {
      let msg;
      try {
        msg = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (msg.type === 'envelope') onRow(msg);
      else if (msg.type === 'deleted') onDeleted(msg.tombstone);
    };
    ws.onclose = () => {
      if (!closed) onDown(new ClientError('offline', 'the live connection dropped', { retryable: true }));
      closed = true;
    };
    ws.onerror = () => {};
    return {
      close() {
        closed = true;
        try {
          ws.close();
        } catch {
          /* already closed */
        }
      },
    };
  }

  function poll(handle, since, { onRow, onDeleted, onDown }) {
    let cursor = since;
    let stopped = false;
    let timer = null;
    const tick = async () => {
      if (stopped) return;
      try {
        const page = await request('GET', `/v1/conversations/${handle}/envelopes?since=${encodeURIComponent(cursor)}`);
        if (stopped) return;
        for (const row of page.envelopes) {
          const parts = cursor.split('.').map(Number);
          parts[row.direction === 'i2r' ? 0 : 1] = row.seq + 1;
          cursor = parts.join('.');
          onRow({ ...row, cursor });
        }
        timer = setTimeout(tick, page.envelopes.length ? 0 : pollInterval);
      } catch (e) {
        if (stopped) return;
        stopped = true;
        if (e.status === 410) onDeleted(null);
        else onDown(e);
      }
    };
    tick();
    return {
      close() {
        stopped = true;
        if (timer) clearTimeout(timer);
      },
    };
  }
}
