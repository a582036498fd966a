// Shared by tests/js/*.test.mjs and tests/page/*.mjs: where the built package is, scratch
// directories, fixture files, and the native end of the interop tests (examples/interop.rs).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PKG = join(ROOT, 'pkg');

/** Fails early with a useful message when scripts/build.sh has not produced pkg/. */
export function requirePkg() {
  for (const f of ['package.json', 'node/chatseal.js', 'node/index.mjs', 'web/chatseal.js', 'web/chatseal_bg.wasm']) {
    if (!existsSync(join(PKG, f))) throw new Error(`pkg/${f} is missing: run bash scripts/build.sh first`);
  }
}

/**
 * The package under test, Node flavour: $CHATSEAL_PKG (a package directory, e.g. a build in
 * /tmp) if set, else the installed one (`node_modules/chatseal`, which scripts/test.sh's pack
 * step links to the packed tarball), else pkg/.
 */
export async function loadChatseal() {
  if (process.env.CHATSEAL_PKG) return import(join(process.env.CHATSEAL_PKG, 'node', 'index.mjs'));
  if (existsSync(join(ROOT, 'node_modules', 'chatseal', 'package.json'))) return import('chatseal');
  requirePkg();
  return import(join(PKG, 'node', 'index.mjs'));
}

/** A fresh scratch directory under the system temp dir. */
export function scratch(name) {
  return mkdtempSync(join(tmpdir(), `chatseal-${name}-`));
}

/** Runs a program; resolves with its stdout, rejects with stdout and stderr in the message. */
export function run(file, args, { cwd = ROOT, timeout = 600_000, env = process.env } = {}) {
  return new Promise((ok, fail) => {
    execFile(file, args, { cwd, timeout, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${file} ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`));
      else ok(stdout);
    });
  });
}

/** The native end: `cargo run --example interop -- <mode> <dir>` (see examples/interop.rs). */
export function native(mode, dir) {
  return run('cargo', ['run', '--quiet', '--example', 'interop', '--', mode, dir]);
}

export const hex = (bytes) => Buffer.from(bytes).toString('hex');
export const fromHex = (text) => new Uint8Array(Buffer.from(text.trim(), 'hex'));

/** Writes `{"turns": [{envelope, text}]}` with envelopes in their text form. */
export function writeTurns(dir, name, turns, toText) {
  const body = { turns: turns.map(({ envelope, text }) => ({ envelope: toText(envelope), text })) };
  writeFileSync(join(dir, name), JSON.stringify(body, null, 2));
}

/** Reads `{"turns": [...]}` back into `{ envelope: Uint8Array, text }` objects. */
export function readTurns(dir, name, fromText) {
  const { turns } = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  return turns.map(({ envelope, text }) => ({ envelope: fromText(envelope), text }));
}

export function readText(dir, name) {
  return readFileSync(join(dir, name), 'utf8').trim();
}

export function writeText(dir, name, text) {
  writeFileSync(join(dir, name), text);
}
