// "What the server stored": the relay's rows of one conversation, live, as the relay keeps them.
import { httpTransport } from 'chatseal/client';

const ROLE = { visitor: 'Visitor', assistant: 'Service', agent: 'Agent', system: 'System' };
const PII = { card: 'card', email: 'e-mail', phone: 'phone', ssn: 'SSN', iban: 'IBAN', ip: 'IP address', secret: 'secret' };

export const piiWords = (pii) =>
  Object.entries(pii ?? {})
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${n} ${PII[c] ?? c}${n > 1 ? 's' : ''}`)
    .join(', ');

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function rowItem(row) {
  const time = row.time ? new Date(row.time * 1000).toISOString().slice(11, 16) + ' UTC' : 'no time';
  const facts = [
    ['Who', ROLE[row.role] ?? row.role],
    ['Turn', `${row.direction === 'i2r' ? 'to service' : 'to visitor'} #${row.seq}`],
    ['Time (rounded)', time],
    ['Size', `${row.size} bytes (length bucket ${row.length_bucket})`],
    ['Personal data found', piiWords(row.pii) || 'none reported'],
  ];
  if (row.close) facts.push(['Close', 'yes']);
  if (row.stream) facts.push(['Stream part', row.stream.end ? 'last chunk' : 'chunk']);
  const labels = Object.entries(row.labels ?? {});
  if (labels.length) facts.push(['Labels', labels.map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ')]);
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of facts) dl.append(el('dt', {}, k), el('dd', {}, v));
  return el(
    'li',
    { class: `row ${row.direction}`, 'data-testid': 'row' },
    dl,
    el('p', { class: 'bytes-label' }, 'Sealed envelope (base64url):'),
    el('code', { class: 'bytes', 'data-testid': 'row-envelope' }, row.envelope),
  );
}

/**
 * Follows the rows of `handle` into `list`; calls `onRows(rows)` after each change. Returns
 * { stop(), rows }.
 */
export function followRows({ relay, key, handle, list, count, onRows = () => {} }) {
  const transport = httpTransport({ relay, key });
  const rows = [];
  let sub = null;
  let stopped = false;
  let cursor = '0.0';
  const start = () => {
    if (stopped) return;
    sub = transport.subscribe(handle, cursor, {
      onRow(row) {
        cursor = row.cursor ?? cursor;
        rows.push(row);
        list.append(rowItem(row));
        count.textContent = `${rows.length} row${rows.length === 1 ? '' : 's'}`;
        onRows(rows);
      },
      onDeleted() {
        rows.length = 0;
        list.replaceChildren(el('li', { class: 'row deleted' }, 'The relay deleted this conversation: no rows are left.'));
        count.textContent = 'deleted';
        onRows(rows, true);
      },
      onDown() {
        sub = null;
        setTimeout(start, 1000);
      },
    });
  };
  start();
  return {
    rows,
    stop() {
      stopped = true;
      sub?.close();
    },
  };
}
