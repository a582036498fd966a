// The npm package as users get it: `npm pack` of pkg/, installed from the tarball into a scratch
// project, then used from Node with `import` and with `require`, from the browser flavour in Node,
// and type-checked through the `exports` map's `types` conditions.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PKG, ROOT, requirePkg, run, scratch } from './harness.mjs';

const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error'];
let project;
let tarball;

before(async () => {
  requirePkg();
  tarball = process.env.CHATSEAL_TARBALL;
  if (!tarball || !existsSync(tarball)) {
    const out = scratch('tarball');
    const name = (await run('npm', ['pack', '--pack-destination', out, '--loglevel=error'], { cwd: PKG })).trim();
    tarball = join(out, basename(name.split('\n').pop()));
  }
  project = scratch('npm-project');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  await run('npm', ['install', '--offline', ...NPM_QUIET, tarball], { cwd: project });
});

test('the tarball holds both flavours, the ESM wrapper, the client, the README, and nothing else', async () => {
  const files = (await run('tar', ['-tzf', tarball])).trim().split('\n').sort();
  for (const f of [
    'package/package.json',
    'package/README.md',
    'package/web/chatseal.js',
    'package/web/chatseal.d.ts',
    'package/web/chatseal_bg.wasm',
    'package/node/chatseal.js',
    'package/node/chatseal.d.ts',
    'package/node/chatseal_bg.wasm',
    'package/node/index.mjs',
    'package/node/index.d.mts',
    'package/node/package.json',
    'package/client/index.js',
    'package/client/index.d.ts',
    'package/client/node.js',
  ]) {
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  }
  const outside = files.filter((f) => !/^package\/(package\.json|README\.md|(web|node|client)\/)/.test(f));
  assert.deepEqual(outside, []);

  const pkg = JSON.parse(readFileSync(join(project, 'node_modules/chatseal/package.json'), 'utf8'));
  const cargo = readFileSync(join(ROOT, 'crates', 'chatseal-wasm', 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)[1];
  assert.equal(pkg.name, 'chatseal');
  assert.equal(pkg.version, cargo);
  assert.equal(pkg.sideEffects, false);
  assert.ok(pkg.license);
  assert.deepEqual(Object.keys(pkg.exports['.']), ['node', 'default']);
});

// One pinned session both ways through a Service, plus the error contract, as text that both
// scripts print.
const SCENARIO = `
  const keyring = new ServiceKeyring();
  const service = new Service(keyring, new Uint8Array(32).fill(1), new MemoryRecordStore());
  const visitor = Session.initiatePinned(keyring.generateKey());
  const first = visitor.sealText('hello from an installed package');
  const { handle, turn } = service.accept(fromText(toText(first)));
  const reply = service.sealText(handle, 'reply: ' + turn.text);
  const opened = visitor.open(reply);
  let error;
  try { visitor.open(reply); } catch (e) { error = e; }
  const result = {
    first: turn.text,
    reply: opened.text,
    role: opened.metadata.role,
    sameHandle: visitor.handle === handle,
    errorIsError: error instanceof Error,
    errorName: error.name,
    errorCode: error.code,
    codes: errorCodes().length,
    version: version(),
  };
  for (const o of [visitor, service, keyring]) o.free();
  console.log(JSON.stringify(result));
`;

function checkResult(stdout) {
  const result = JSON.parse(stdout.trim().split('\n').pop());
  assert.deepEqual(result, {
    first: 'hello from an installed package',
    reply: 'reply: hello from an installed package',
    role: 'assistant',
    sameHandle: true,
    errorIsError: true,
    errorName: 'ChatsealError',
    errorCode: 'duplicate',
    codes: result.codes,
    version: result.version,
  });
  assert.equal(result.codes, 26);
  return result;
}

test('import works in Node (ES module, with the browser-style init)', async () => {
  writeFileSync(
    join(project, 'esm.mjs'),
    `import init, { MemoryRecordStore, Service, ServiceKeyring, Session, toText, fromText, errorCodes, version } from 'chatseal';
     await init();
     ${SCENARIO}`,
  );
  checkResult(await run('node', ['esm.mjs'], { cwd: project }));
});

test('require works in Node (CommonJS)', async () => {
  writeFileSync(
    join(project, 'cjs.cjs'),
    `const { MemoryRecordStore, Service, ServiceKeyring, Session, toText, fromText, errorCodes, version } = require('chatseal');
     ${SCENARIO}`,
  );
  checkResult(await run('node', ['cjs.cjs'], { cwd: project }));
});

test('the browser flavour (chatseal/web) runs too, given the wasm bytes', async () => {
  writeFileSync(
    join(project, 'web.mjs'),
    `import { readFileSync } from 'node:fs';
     import { createRequire } from 'node:module';
     import init, { MemoryRecordStore, Service, ServiceKeyring, Session, toText, fromText, errorCodes, version } from 'chatseal/web';
     const wasmPath = createRequire(import.meta.url).resolve('chatseal/chatseal_bg.wasm');
     await init({ module_or_path: readFileSync(wasmPath) });
     ${SCENARIO}`,
  );
  checkResult(await run('node', ['web.mjs'], { cwd: project }));
});

test('the typings resolve through the exports map (node16 import and require, bundler), with lib es2022 and esnext', async () => {
  const tsc = join(ROOT, 'tools/node_modules/.bin/tsc');
  const body = (ns) => `
    const keyring = new ${ns}ServiceKeyring();
    const store: ${ns}RecordStore = new ${ns}MemoryRecordStore();
    const service = new ${ns}Service(keyring, new Uint8Array(32), store, { timeGranularity: 60 });
    const session: ${ns}Session = ${ns}Session.initiatePinned(keyring.generateKey(), { timeGranularity: 60 });
    const envelope: Uint8Array = session.sealText('typed', { role: 'visitor', labels: [['page', 'home']] });
    const accepted: ${ns}ServiceTurn = service.accept(envelope);
    const info: ${ns}Inspection = ${ns}inspect(envelope);
    const status: ${ns}Status = session.status();
    export const finished: boolean = status.finished;
    export const labels: Array<[string, string]> = info.metadata.labels;
    export const code: ${ns}ErrorCode[] = ${ns}errorCodes();
    export const seq: number = info.header.seq + accepted.turn.header.seq;
    export async function read(source: AsyncIterable<Uint8Array>): Promise<string> {
      let text = '';
      for await (const chunk of ${ns}openStream(session, source)) text += chunk;
      return text;
    }`;
  const usingBlock = (ns) => `
    export function scoped(key: Uint8Array): string {
      using s = ${ns}Session.initiatePinned(key);
      return s.handle;
    }`;
  writeFileSync(join(project, 'node-esm.mts'), `import init, * as cs from 'chatseal';\nawait init();\n${body('cs.')}`);
  writeFileSync(join(project, 'node-cjs.cts'), `import cs = require('chatseal');\n${body('cs.')}`);
  writeFileSync(join(project, 'bundler.ts'), `import init, * as cs from 'chatseal';\nawait init();\n${body('cs.')}`);
  writeFileSync(join(project, 'using.ts'), `import * as cs from 'chatseal';\n${usingBlock('cs.')}`);
  const common = { strict: true, noEmit: true, target: 'es2022', types: [], skipLibCheck: false };
  const configs = {
    'tsconfig.node.json': { compilerOptions: { ...common, lib: ['es2022', 'dom'], module: 'node16' }, files: ['node-esm.mts', 'node-cjs.cts'] },
    'tsconfig.bundler.json': {
      compilerOptions: { ...common, lib: ['es2022', 'dom'], module: 'esnext', moduleResolution: 'bundler' },
      files: ['bundler.ts'],
    },
    'tsconfig.esnext.json': {
      compilerOptions: { ...common, target: 'esnext', lib: ['esnext', 'dom'], module: 'esnext', moduleResolution: 'bundler' },
      files: ['bundler.ts', 'using.ts'],
    },
  };
  for (const [name, config] of Object.entries(configs)) {
    writeFileSync(join(project, name), JSON.stringify(config));
    await run(tsc, ['-p', name], { cwd: project });
  }
  // And misuses are caught through the same resolution: bytes as a string, labels as numbers.
  for (const bad of [
    `import { Session } from 'chatseal';\nSession.initiatePinned('key');\n`,
    `import { Session } from 'chatseal';\ndeclare const s: Session;\ns.sealText('x', { labels: { a: 1 } });\n`,
  ]) {
    writeFileSync(join(project, 'bad.mts'), bad);
    writeFileSync(
      join(project, 'tsconfig.bad.json'),
      JSON.stringify({ compilerOptions: { ...common, lib: ['es2022', 'dom'], module: 'node16' }, files: ['bad.mts'] }),
    );
    await assert.rejects(run(tsc, ['-p', 'tsconfig.bad.json'], { cwd: project }), /TS2345|TS2322/);
  }
});
