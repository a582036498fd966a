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

test('the tarball holds both flavours, the ESM wrapper, the README, and nothing else', async () => {
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
  ]) {
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  }
  const outside = files.filter((f) => !/^package\/(package\.json|README\.md|(web|node)\/)/.test(f));
  assert.deepEqual(outside, []);

  const pkg = JSON.parse(readFileSync(join(project, 'node_modules/chatseal/package.json'), 'utf8'));
  const cargo = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)[1];
  assert.equal(pkg.name, 'chatseal');
  assert.equal(pkg.version, cargo);
  assert.equal(pkg.sideEffects, false);
  assert.ok(pkg.license);
  assert.deepEqual(Object.keys(pkg.exports['.']), ['node', 'default']);
});

// One pinned session both ways plus the error contract, as text that both scripts print.
const SCENARIO = `
  const keyring = new ServiceKeyring();
  const visitor = Session.initiatePinned(keyring.generateKey());
  const first = visitor.sealText('hello from an installed package');
  const { session: service, turn } = keyring.accept(fromText(toText(first)));
  const reply = service.sealText('reply: ' + turn.text);
  const opened = visitor.open(reply);
  let error;
  try { visitor.open(reply); } catch (e) { error = e; }
  const result = {
    first: turn.text,
    reply: opened.text,
    role: opened.metadata.role,
    sameCode: visitor.safetyCode() === service.safetyCode(),
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
    sameCode: true,
    errorIsError: true,
    errorName: 'ChatsealError',
    errorCode: 'duplicate',
    codes: result.codes,
    version: result.version,
  });
  assert.ok(result.codes >= 15);
  return result;
}

test('import works in Node (ES module, with the browser-style init)', async () => {
  writeFileSync(
    join(project, 'esm.mjs'),
    `import init, { ServiceKeyring, Session, toText, fromText, errorCodes, version } from 'chatseal';
     await init();
     ${SCENARIO}`,
  );
  checkResult(await run('node', ['esm.mjs'], { cwd: project }));
});

test('require works in Node (CommonJS)', async () => {
  writeFileSync(
    join(project, 'cjs.cjs'),
    `const { ServiceKeyring, Session, toText, fromText, errorCodes, version } = require('chatseal');
     ${SCENARIO}`,
  );
  checkResult(await run('node', ['cjs.cjs'], { cwd: project }));
});

test('the browser flavour (chatseal/web) runs too, given the wasm bytes', async () => {
  writeFileSync(
    join(project, 'web.mjs'),
    `import { readFileSync } from 'node:fs';
     import { createRequire } from 'node:module';
     import init, { ServiceKeyring, Session, toText, fromText, errorCodes, version } from 'chatseal/web';
     const wasmPath = createRequire(import.meta.url).resolve('chatseal/chatseal_bg.wasm');
     await init({ module_or_path: readFileSync(wasmPath) });
     ${SCENARIO}`,
  );
  checkResult(await run('node', ['web.mjs'], { cwd: project }));
});

test('the typings resolve through the exports map (node16 import and require, bundler)', async () => {
  const tsc = join(ROOT, 'tools/node_modules/.bin/tsc');
  const body = (ns) => `
    const keyring = new ${ns}ServiceKeyring();
    const session: ${ns}Session = ${ns}Session.initiatePinned(keyring.generateKey(), { timeGranularity: 60 });
    const envelope: Uint8Array = session.sealText('typed', { role: 'visitor' });
    const info: ${ns}Inspection = ${ns}inspect(envelope);
    export const code: ${ns}ErrorCode[] = ${ns}errorCodes();
    export const seq: number = info.header.seq;`;
  writeFileSync(join(project, 'node-esm.mts'), `import init, * as cs from 'chatseal';\nawait init();\n${body('cs.')}`);
  writeFileSync(join(project, 'node-cjs.cts'), `import cs = require('chatseal');\n${body('cs.')}`);
  writeFileSync(join(project, 'bundler.ts'), `import init, * as cs from 'chatseal';\nawait init();\n${body('cs.')}`);
  const common = { strict: true, noEmit: true, target: 'es2022', lib: ['esnext', 'dom'], types: [], skipLibCheck: false };
  const configs = {
    'tsconfig.node.json': { compilerOptions: { ...common, module: 'node16' }, files: ['node-esm.mts', 'node-cjs.cts'] },
    'tsconfig.bundler.json': {
      compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler' },
      files: ['bundler.ts'],
    },
  };
  for (const [name, config] of Object.entries(configs)) {
    writeFileSync(join(project, name), JSON.stringify(config));
    await run(tsc, ['-p', name], { cwd: project });
  }
  // And a misuse is caught through the same resolution.
  writeFileSync(join(project, 'bad.mts'), `import { Session } from 'chatseal';\nSession.initiatePinned('key');\n`);
  writeFileSync(
    join(project, 'tsconfig.bad.json'),
    JSON.stringify({ compilerOptions: { ...common, module: 'node16' }, files: ['bad.mts'] }),
  );
  await assert.rejects(run(tsc, ['-p', 'tsconfig.bad.json'], { cwd: project }), /TS2345/);
});
