// End to end: the demo (www/) on the real relay and service end (`chatseal-relay demo`), driven
// in headless Chromium and Firefox over WebDriver like a person would: typing turns with personal
// data, checking the masking preview, the masked send and the restored streamed reply, the
// "what the server stored" pane and the relay's database (no typed text in either), a 390 px
// wide layout without sideways scroll, an axe-core check (no serious or critical violation),
// reload, close, forget, and the agent console's mutual mode with matching safety codes. Also
// runs the npm README's 15-line client example as written (the relay URL aside) in Node.
//
//   node tests/e2e/demo.test.mjs          (after scripts/test.sh's pack step)
//
// The page uses the packed package ($CHATSEAL_PACK_DIR/node_modules/chatseal) through a scratch
// copy of www/. Screenshots go to target/e2e-screenshots/ (git-ignored; the path is printed).
// Prints "N passed, N failed"; everything started (relay, drivers, browsers) is stopped.
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeExample } from '../page/lib/readme.mjs';
import { freePort, launchBrowser } from '../page/lib/webdriver.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PACK_DIR = process.env.CHATSEAL_PACK_DIR || join(tmpdir(), 'chatseal-pack');
const SHOTS = join(ROOT, 'target', 'e2e-screenshots');
const CARD = '4111 1111 1111 1111';
const EMAIL = 'ann.e2e@example.org';
const PHONE = '+44 20 7946 0958';
const FIRST = `My card is ${CARD}, mail me at ${EMAIL}`;
const SECOND = `Unmasked on purpose: call ${PHONE} tomorrow`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push(true);
    console.log(`ok    ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL  ${name}: ${e.stack ?? e}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const exec = (cmd, args, opts = {}) =>
  new Promise((ok, fail) =>
    execFile(cmd, args, { timeout: 600_000, maxBuffer: 1 << 24, ...opts }, (e, out, err) => (e ? fail(new Error(`${cmd}: ${err || e.message}`)) : ok(out))),
  );

async function relayBinary() {
  await exec('cargo', ['build', '-q', '-p', 'chatseal-relay', '--bin', 'chatseal-relay'], { cwd: ROOT });
  const meta = JSON.parse(await exec('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: ROOT }));
  return join(meta.target_directory, 'debug', 'chatseal-relay');
}

/** The relay + service end + page, on a free loopback port, with a scratch data dir and site. */
async function startDemo(work) {
  const pkg = join(PACK_DIR, 'node_modules', 'chatseal');
  assert(existsSync(join(pkg, 'client', 'index.js')), `no packed package with client/ in ${pkg}: run scripts/test.sh's pack step`);
  const site = join(work, 'www');
  cpSync(join(ROOT, 'www'), site, { recursive: true, filter: (src) => !src.startsWith(join(ROOT, 'www', 'pkg')) });
  symlinkSync(pkg, join(site, 'pkg'));
  const data = join(work, 'data');
  const port = await freePort();
  const bin = await relayBinary();
  const child = spawn(bin, ['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', data, '--www', site], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let log = '';
  child.stderr.on('data', (d) => (log = (log + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`relay exited: ${log}`);
    try {
      if ((await fetch(`${url}/demo/config`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 300) throw new Error(`relay did not start: ${log}`);
    await sleep(100);
  }
  const stop = async () => {
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && child.exitCode === null; i++) await sleep(100);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', () => child.kill('SIGKILL'));
  return { url, data, stop, config: await (await fetch(`${url}/demo/config`)).json() };
}

/** Every byte of the relay's SQLite database (main file and WAL) as latin1 text. */
function databaseText(data) {
  return readdirSync(data)
    .filter((f) => f.startsWith('relay.db'))
    .map((f) => readFileSync(join(data, f)).toString('latin1'))
    .join('\n');
}

// ------------------------------------------------------------------ page driving --

function ui(browser) {
  const el = async (css) => (await browser.command('POST', '/element', { using: 'css selector', value: css }))['element-6066-11e4-a52e-4f735466cecf'];
  return {
    async type(css, text) {
      await browser.command('POST', `/element/${await el(css)}/value`, { text });
    },
    async click(css) {
      await browser.command('POST', `/element/${await el(css)}/click`, {});
    },
    async shot(name) {
      mkdirSync(SHOTS, { recursive: true });
      const file = join(SHOTS, `${browser.name}-${name}.png`);
      writeFileSync(file, Buffer.from(await browser.command('GET', '/screenshot'), 'base64'));
      return file;
    },
    size: (width, height) => browser.command('POST', '/window/rect', { width, height }),
    /** Polls `fn(arg)` in the page until it returns a truthy value. */
    async until(fn, arg = null, what = 'a condition', ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const v = await browser.run(fn, arg);
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`${browser.name}: timed out waiting for ${what}`);
        await sleep(150);
      }
    },
  };
}

const transcript = () =>
  [...document.querySelectorAll('[data-testid=message]')].map((li) => ({
    direction: li.dataset.direction,
    state: li.dataset.state,
    text: li.querySelector('.text').textContent,
    sentAs: li.querySelector('[data-testid=sent-as]')?.textContent ?? null,
  }));

/** Page source: the transcript once at least `n` replies were received, else false. */
const repliesAtLeast = `(n) => { const t = (${transcript})(); return t.filter((m) => m.state === 'received').length >= n && t; }`;

async function visitorScenario(browser, demo) {
  const u = ui(browser);
  await u.size(1280, 900);
  await browser.navigate(`${demo.url}/`);
  await u.until(() => !document.getElementById('message').disabled, null, 'the chat to start');

  await check(`${browser.name}: masking preview before sending, masked send, restored streamed reply`, async () => {
    await u.type('#message', FIRST);
    const preview = await u.until(() => document.getElementById('preview').textContent, null, 'the preview');
    assert(/Will be hidden: 1 card, 1 e-mail/.test(preview), `preview: ${preview}`);
    assert(preview.includes('[CARD]') && !preview.includes(CARD), `preview shows what the service gets: ${preview}`);
    await u.click('#send');
    const t = await u.until(
      repliesAtLeast, 1, 'the reply',
    );
    const sent = t.find((m) => m.direction === 'sent');
    assert(sent.text === FIRST, `the visitor sees what they typed: ${sent.text}`);
    assert(sent.sentAs === 'My card is [CARD_1], mail me at [EMAIL_1]', `sent as: ${sent.sentAs}`);
    const reply = t.find((m) => m.direction === 'received');
    assert(reply.text.includes(`You mentioned ${CARD}, ${EMAIL}: only your page can fill those in.`), `reply not restored: ${reply.text}`);
    assert(reply.text.includes('masked 2 pieces'), reply.text);
  });

  await check(`${browser.name}: masking switched off sends as typed (sealed), after a warning`, async () => {
    await u.click('#mask');
    await u.type('#message', SECOND);
    const preview = await u.until(() => document.getElementById('preview').textContent, null, 'the preview');
    assert(preview.startsWith('Hiding is off'), `preview: ${preview}`);
    await u.click('#send');
    const t = await u.until(repliesAtLeast, 2, 'the second reply');
    assert(t.filter((m) => m.direction === 'sent')[1].sentAs === null, 'an unmasked turn shows no masked form');
    await u.click('#mask');
  });

  await check(`${browser.name}: the stored-rows pane and the relay's database hold none of the typed text`, async () => {
    const pane = await u.until(() => {
      const rows = [...document.querySelectorAll('[data-testid=row]')];
      const visitor = rows.filter((r) => r.classList.contains('i2r')).length;
      const ends = rows.filter((r) => r.textContent.includes('last chunk')).length;
      return visitor >= 2 && ends >= 2 && { rows: rows.length, text: document.getElementById('rows').textContent, proof: document.getElementById('proof').textContent };
    }, null, 'the stored rows of 2 turns and 2 streamed replies');
    assert(pane.proof.startsWith('Checked: none of your 2 message(s)'), `proof: ${pane.proof}`);
    const db = databaseText(demo.data);
    for (const secret of [FIRST, SECOND, CARD, EMAIL, PHONE, '4111111111111111', 'ann.e2e', 'Unmasked on purpose']) {
      assert(!pane.text.includes(secret), `the pane shows "${secret}"`);
      assert(!db.includes(secret), `the relay database holds "${secret}"`);
    }
    assert(db.length > 0, 'no relay database found');
    console.log(`      screenshot: ${await u.shot('chat-desktop')}`);
  });

  await check(`${browser.name}: no sideways scroll at 390 px; axe-core finds no serious violation`, async () => {
    await u.size(390, 844);
    await sleep(300);
    const widths = await browser.run(() => ({ inner: window.innerWidth, scroll: document.documentElement.scrollWidth }));
    assert(widths.scroll <= widths.inner, `page is ${widths.scroll} px wide in a ${widths.inner} px window`);
    console.log(`      screenshot: ${await u.shot('chat-390px')}`);
    await axeCheck(browser, 'chat');
    await u.size(1280, 900);
  });

  await check(`${browser.name}: reload keeps the conversation (sealed in IndexedDB)`, async () => {
    await browser.reload();
    const t = await u.until(`(n) => { const t = (${transcript})(); return t.length >= n && t; }`, 4, 'the restored transcript');
    assert(t[0].text === FIRST && t[1].text.includes(CARD), `restored transcript: ${JSON.stringify(t.slice(0, 2))}`);
    const stored = await browser.run(async () => {
      const db = await new Promise((ok, fail) => { const r = indexedDB.open('chatseal-client'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
      const store = db.transaction('kv').objectStore('kv');
      const all = await new Promise((ok) => { const r = store.getAll(); r.onsuccess = () => ok(r.result); });
      const text = JSON.stringify(all, (k, v) => (v instanceof Uint8Array ? new TextDecoder('latin1').decode(v) : v));
      db.close();
      return { text, kek: all.some((v) => v instanceof CryptoKey && v.extractable === false) };
    });
    assert(stored.kek, 'no non-extractable KEK in IndexedDB');
    for (const secret of [CARD, EMAIL, PHONE, 'My card is', 'Unmasked on purpose']) {
      assert(!stored.text.includes(secret), `IndexedDB holds "${secret}" in plaintext`);
    }
  });

  await check(`${browser.name}: ending the conversation shows it ended properly`, async () => {
    await u.until(() => !document.getElementById('close').disabled, null, 'the close button');
    await u.click('#close');
    const ended = await u.until(() => { const t = document.getElementById('ended').textContent; return !t.includes('waiting') && t; }, null, 'the end notice');
    assert(ended.includes('ended properly'), ended);
  });

  await check(`${browser.name}: forget shreds the conversation; it cannot be read any more`, async () => {
    await u.click('#forget');
    const note = await u.until(() => document.getElementById('forgotten').textContent, null, 'the forgotten notice');
    assert(/keys and 2 hidden values were destroyed/.test(note) && note.includes('relay deleted its rows'), note);
    assert(note.includes('The relay now holds 0 rows for it'), `the relay still serves it: ${note}`);
    const left = await browser.run(async () => {
      const db = await new Promise((ok) => { const r = indexedDB.open('chatseal-client'); r.onsuccess = () => ok(r.result); });
      const keys = await new Promise((ok) => { const r = db.transaction('kv').objectStore('kv').getAllKeys(); r.onsuccess = () => ok(r.result); });
      db.close();
      return keys;
    });
    assert(left.every((k) => k === 'kek'), `saved entries left: ${left}`);
    const db = databaseText(demo.data);
    assert(!db.includes(FIRST), 'plaintext in the database after forget');
  });
}

async function axeCheck(browser, label) {
  const source = readFileSync(join(ROOT, 'tools', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  const violations = await browser.run(async (src) => {
    if (!window.axe) {
      const s = document.createElement('script');
      s.textContent = src;
      document.head.append(s);
    }
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  }, source);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  console.log(`      axe (${label}): ${violations.length} violation(s)${violations.length ? ': ' + violations.map((v) => `${v.id}/${v.impact}`).join(', ') : ''}`);
  assert(serious.length === 0, `serious axe violations: ${JSON.stringify(serious)}`);
}

async function agentScenario(browser, demo) {
  const u = ui(browser);
  await check(`${browser.name}: mutual mode with the agent console: both sides show the same safety code`, async () => {
    await browser.navigate(`${demo.url}/`);
    await u.until(() => !document.getElementById('human').disabled, null, 'the page');
    const visitor = await browser.command('GET', '/window');
    await u.click('#human');
    const agent = (await browser.command('POST', '/window/new', { type: 'tab' })).handle;
    await browser.command('POST', '/window', { handle: agent });
    await browser.navigate(`${demo.url}/agent.html`);
    await u.until(() => document.querySelector('[data-testid=answer-offer]'), null, 'a waiting visitor');
    await axeCheck(browser, 'agent console');
    await u.click('[data-testid=answer-offer]');
    await browser.command('POST', '/window', { handle: visitor });
    await u.until(() => !document.getElementById('message').disabled, null, 'the mutual chat');
    const code = await browser.run(() => document.querySelector('[data-testid=safety-code]')?.textContent);
    assert(/^\d{4} \d{4} \d{4}$/.test(code), `visitor code ${code}`);
    await u.type('#message', 'Hello, a person please');
    await u.click('#send');
    await browser.command('POST', '/window', { handle: agent });
    const agentCode = await u.until(() => /\d{4} \d{4} \d{4}/.test(document.getElementById('agent-code').textContent) && document.getElementById('agent-code').textContent, null, "the agent's safety code");
    assert(agentCode === code, `codes differ: visitor ${code}, agent ${agentCode}`);
    await u.until(() => document.getElementById('agent-transcript').textContent.includes('Hello, a person please'), null, 'the visitor turn at the agent');
    await u.type('#agent-message', 'Hi, this is Sam from support');
    await u.click('#agent-send');
    console.log(`      screenshot: ${await u.shot('agent-console')}`);
    await browser.command('POST', '/window', { handle: visitor });
    await u.until(() => [...document.querySelectorAll('[data-testid=message]')].some((li) => li.textContent.includes('Sam from support') && li.textContent.includes('Agent')), null, "the agent's reply");
    console.log(`      screenshot: ${await u.shot('chat-mutual')}`);
  });
}

async function readmeClientExample(demo) {
  await check('npm README: the 15-line client example runs as written against the relay', async () => {
    const code = readmeExample('client');
    const lines = code.trimEnd().split('\n');
    assert(lines.length <= 15, `the example has ${lines.length} lines`);
    assert(code.includes("'http://127.0.0.1:8080'"), 'the example no longer names the relay URL this test replaces');
    const dir = mkdtempSync(join(PACK_DIR, 'readme-client-'));
    try {
      writeFileSync(join(dir, 'client.mjs'), code.replace("'http://127.0.0.1:8080'", `'${demo.url}'`));
      const out = (await exec(process.execPath, ['client.mjs'], { cwd: dir, timeout: 60_000 })).trim().split('\n');
      const last = out[out.length - 1];
      assert(out.length >= 2, `expected the reply to stream in pieces: ${out.length} line(s)`);
      assert(last.includes('masked 2 pieces of personal data') && last.includes(`You mentioned ${CARD}, ann@example.org`), `last line: ${last}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// ------------------------------------------------------------------ run --

const work = mkdtempSync(join(tmpdir(), 'chatseal-e2e-'));
let demo = null;
let watchdog = null;
try {
  demo = await startDemo(work); // builds the relay first if needed (not counted by the watchdog)
  watchdog = setTimeout(() => {
    console.log('FAIL  e2e: watchdog (240 s)');
    process.exit(1);
  }, 240_000);
  await readmeClientExample(demo);
  for (const name of ['chromium', 'firefox']) {
    const browser = await launchBrowser(name, { scriptTimeout: 30_000 });
    try {
      await visitorScenario(browser, demo);
      await agentScenario(browser, demo);
    } finally {
      await browser.close();
    }
  }
} catch (e) {
  results.push(false);
  console.log(`FAIL  e2e runner: ${e.stack ?? e}`);
} finally {
  await demo?.stop();
  clearTimeout(watchdog);
  rmSync(work, { recursive: true, force: true });
}
console.log(`screenshots: ${SHOTS}`);
const failed = results.filter((ok) => !ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
