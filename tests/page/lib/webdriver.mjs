// A minimal W3C WebDriver client over Node's fetch, for page tests that must run in Firefox
// (playwright-core cannot drive Debian's firefox-esr) and in Chromium with one code path.
//
//   import { launchBrowser, BROWSERS } from './lib/webdriver.mjs';
//   const browser = await launchBrowser('firefox');        // or 'chromium'
//   try {
//     await browser.navigate(`${server.url}index.html`);
//     const title = await browser.run(async (arg) => document.title + arg, '!');
//     await browser.reload();
//   } finally { await browser.close(); }
//
// Drivers: $GECKODRIVER (scripts/env.sh; default ~/.cargo/bin/geckodriver) with
// /usr/bin/firefox-esr, $CHROMEDRIVER (default /usr/bin/chromedriver) with $CHROMIUM_BIN.
// Each driver runs in its own process group; close() ends the session, then the group (the
// browser included). Every request has a timeout, so a hung browser fails the test instead of
// hanging it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox', // we run as root
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const BROWSERS = {
  chromium: {
    driver: () => process.env.CHROMEDRIVER || '/usr/bin/chromedriver',
    driverArgs: (port) => [`--port=${port}`],
    capabilities: () => ({
      browserName: 'chrome',
      'goog:chromeOptions': { binary: process.env.CHROMIUM_BIN || '/usr/bin/chromium', args: CHROMIUM_ARGS },
    }),
  },
  firefox: {
    driver: () => process.env.GECKODRIVER || join(process.env.CARGO_HOME || join(homedir(), '.cargo'), 'bin', 'geckodriver'),
    driverArgs: (port) => ['--port', String(port), '--host', '127.0.0.1'],
    capabilities: () => ({
      browserName: 'firefox',
      'moz:firefoxOptions': {
        binary: process.env.FIREFOX_BIN || '/usr/bin/firefox-esr',
        args: ['-headless'],
        prefs: { 'browser.shell.checkDefaultBrowser': false, 'datareporting.policy.dataSubmissionEnabled': false },
      },
    }),
  },
};

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** Thrown for a WebDriver error response; `error` is the W3C error code. */
export class WebDriverError extends Error {
  constructor(status, value) {
    super(`WebDriver ${status} ${value?.error}: ${value?.message}`);
    this.error = value?.error;
  }
}

async function request(base, method, path, body, timeoutMs) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new WebDriverError(res.status, json.value);
  return json.value;
}

/**
 * Starts the driver and a browser session. Returns { name, navigate(url), reload(), url(),
 * run(fn, arg), close() }. `run` executes `fn(arg)` in the page (fn is sent as source, like
 * playwright's evaluate; it may be async) and resolves with its JSON-serialisable result, or
 * rejects with an Error carrying the page's message, stack, `name` and `code`.
 */
export async function launchBrowser(name, { scriptTimeout = 20_000, startTimeout = 30_000 } = {}) {
  const spec = BROWSERS[name];
  if (!spec) throw new Error(`unknown browser ${name}`);
  const driverPath = spec.driver();
  if (!existsSync(driverPath)) throw new Error(`${name}: no WebDriver at ${driverPath}`);
  const port = await freePort();
  const driver = spawn(driverPath, spec.driverArgs(port), { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let driverLog = '';
  driver.stderr.on('data', (d) => { driverLog = (driverLog + d).slice(-4000); });
  let exited = false;
  driver.once('exit', () => { exited = true; });
  const killGroup = (signal) => {
    try { process.kill(-driver.pid, signal); } catch { /* already gone */ }
  };
  const onExit = () => killGroup('SIGKILL'); // never leave a browser behind
  process.once('exit', onExit);

  const base = `http://127.0.0.1:${port}`;
  let sessionId;
  try {
    const deadline = Date.now() + startTimeout;
    for (;;) {
      if (exited) throw new Error(`${name}: ${driverPath} exited\n${driverLog}`);
      try {
        const status = await request(base, 'GET', '/status', undefined, 2_000);
        if (status?.ready !== false) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`${name}: driver not ready after ${startTimeout} ms\n${driverLog}`);
      await sleep(100);
    }
    const capabilities = {
      alwaysMatch: {
        ...spec.capabilities(),
        timeouts: { script: scriptTimeout, pageLoad: startTimeout, implicit: 0 },
      },
    };
    ({ sessionId } = await request(base, 'POST', '/session', { capabilities }, startTimeout * 2));
  } catch (error) {
    killGroup('SIGKILL');
    process.off('exit', onExit);
    throw error;
  }

  const call = (method, path, body, timeoutMs = scriptTimeout + 10_000) =>
    request(base, method, `/session/${sessionId}${path}`, body, timeoutMs);

  return {
    name,
    navigate: (url) => call('POST', '/url', { url }),
    reload: () => call('POST', '/refresh', {}),
    url: () => call('GET', '/url'),
    /** Any W3C command of this session: `command('POST', '/element', { using, value })`. */
    command: (method, path, body) => call(method, path, body),
    async run(fn, arg = null) {
      const script = `const done = arguments[arguments.length - 1];
        Promise.resolve().then(() => (${fn})(arguments[0])).then(
          (value) => done({ ok: true, value: value === undefined ? null : value }),
          (e) => done({ ok: false, name: e && e.name, code: e && e.code, message: String(e && e.message || e), stack: String(e && e.stack || '') }));`;
      const result = await call('POST', '/execute/async', { script, args: [arg] });
      if (result?.ok) return result.value;
      const error = new Error(`in ${name}: ${result?.message}\n${result?.stack}`);
      Object.assign(error, { pageName: result?.name, code: result?.code });
      throw error;
    },
    async close() {
      try {
        if (!exited) await call('DELETE', '', undefined, 10_000);
      } catch { /* the group kill below ends it anyway */ }
      killGroup('SIGTERM');
      for (let i = 0; i < 30 && !exited; i++) await sleep(100);
      killGroup('SIGKILL');
      process.off('exit', onExit);
    },
  };
}
