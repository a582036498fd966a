// Renders BENCHMARKS.md from the results of benches/browser/run.mjs (and, when present,
// benches/browser/variants.json from `bash scripts/bench.sh --variants`, and the hand-written
// benches/browser/notes.md, appended as the closing note's explanations).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const us = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : x >= 100 ? `${x.toFixed(0)} µs` : `${x.toFixed(2)} µs`);
const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const x = (r) => (r === undefined || !Number.isFinite(r) ? 'n/a' : `${r.toFixed(2)}x`);

/** "median (IQR q1–q3; min–max; n batches)". */
function cell(s) {
  if (!s) return 'n/a';
  return `**${us(s.medianUs)}** <br><sub>IQR ${us(s.q1Us)}–${us(s.q3Us)}; ${us(s.minUs)}–${us(s.maxUs)}; ${s.batches}×${s.batchSize}</sub>`;
}
/** Speed ratio of chatseal against a peer: peer time / chatseal time (> 1: chatseal is faster). */
/** The median over rounds of the per-round ratio (same round, so drift cancels); else of medians. */
const speedRatio = (fig, peer) =>
  fig?.[peer] && fig?.chatseal ? fig[peer].pairedRatio ?? fig[peer].medianUs / fig.chatseal.medianUs : undefined;
const throughput = (s, bytes) => `${((bytes / (s.medianUs / 1e6)) / 2 ** 20).toFixed(0)} MiB/s`;

/** benchmarks.json: the figures integrators compare (ratios: peer time / chatseal time). */
export function summary(r) {
  const s = r.speed ?? {};
  const rs = (f, peer = 'libsodium') => speedRatio(s[f], peer) ?? null;
  const cold = r.cold ?? {};
  return {
    date: r.date,
    commit: r.versions?.chatsealCommit,
    browser: `Chromium ${r.browserVersion}`,
    loadAverage: loadRange(r),
    ratios: {
      seal_1k_vs_libsodium: rs('seal1k'),
      seal_1k_default_policy_vs_libsodium: rs('seal1kDefault'),
      seal_1k_masked_vs_libsodium: rs('sealPii'),
      open_1k_vs_libsodium: rs('open1k'),
      seal_1m_vs_libsodium: rs('seal1m'),
      seal_1m_vs_noble: rs('seal1m', 'noble'),
      handshake_vs_libsodium: rs('handshake'),
      cold_start_vs_noble: cold.chatseal && cold.noble ? cold.noble.medianMs / cold.chatseal.medianMs : null,
      cold_start_crypto_only_vs_noble:
        cold.chatsealCrypto && cold.noble ? cold.noble.medianMs / cold.chatsealCrypto.medianMs : null,
    },
    median_us: Object.fromEntries(Object.entries(s).filter(([, f]) => f?.chatseal).map(([k, f]) => [k, f.chatseal.medianUs])),
    cold_start_ms: Object.fromEntries(Object.entries(cold).map(([k, c]) => [k, c.medianMs])),
    gzip_bytes: {
      full: r.sizes?.chatseal?.gzip ?? null,
      crypto_only: r.sizes?.chatsealCrypto?.gzip ?? null,
      libsodium: r.sizes?.libsodium?.gzip ?? null,
      noble: r.sizes?.noble?.gzip ?? null,
    },
    pii_chars_per_s: s.piiScan?.charsPerSecond ?? null,
    memory_10k_sessions_bytes: r.memory?.initiators?.afterBytes ?? null,
    memory_10k_responder_sessions_bytes: r.memory?.responders?.afterBytes ?? null,
  };
}

/** "min–max" of the 1-minute load averages seen during the run. */
function loadRange(r) {
  const all = [...Object.values(r.speed ?? {}), ...Object.values(r.memory ?? {})]
    .flatMap((f) => f?.load ?? []).concat(r.coldLoad ?? []);
  return all.length ? [Math.min(...all), Math.max(...all)] : null;
}

export function goals(r) {
  const s = r.speed ?? {};
  const g = [];
  const add = (goal, value, met) => g.push({ goal, value, met });
  const rs = (f) => speedRatio(s[f], 'libsodium');
  add('seal 1 KiB (PII off) ≥ 1.0x libsodium bare seal', x(rs('seal1k')), rs('seal1k') >= 1.0);
  if (s.sealPii && !s.sealPii.skipped) add('seal 1 KiB with PII masking ≥ 0.5x libsodium bare seal', x(rs('sealPii')), rs('sealPii') >= 0.5);
  add('open 1 KiB ≥ 1.0x libsodium bare open', x(rs('open1k')), rs('open1k') >= 1.0);
  add('1 MiB seal ≥ 1.0x libsodium', x(rs('seal1m')), rs('seal1m') >= 1.0);
  add('1 MiB seal ≥ 3x noble', x(speedRatio(s.seal1m, 'noble')), speedRatio(s.seal1m, 'noble') >= 3);
  add('handshake (both sides) ≥ 1.0x libsodium crypto_kx', x(rs('handshake')), rs('handshake') >= 1.0);
  if (r.cold?.chatseal) {
    add('cold start to first seal < 15 ms', `${r.cold.chatseal.medianMs.toFixed(1)} ms`, r.cold.chatseal.medianMs < 15);
    add('cold start faster than noble in the same run', `${r.cold.chatseal.medianMs.toFixed(1)} ms vs ${r.cold.noble.medianMs.toFixed(1)} ms`, r.cold.chatseal.medianMs < r.cold.noble.medianMs);
  }
  if (s.piiScan && !s.piiScan.skipped) {
    add('PII scan in the page ≥ 20M chars/s', `${(s.piiScan.charsPerSecond / 1e6).toFixed(1)}M chars/s`, s.piiScan.charsPerSecond >= 20e6);
  }
  const m = r.memory;
  if (m?.initiators && !m.initiators.skipped) {
    add('linear memory with 10,000 live sessions ≤ 16 MiB', mib(m.initiators.afterBytes), m.initiators.afterBytes <= 16 * 2 ** 20);
  }
  if (m?.long && !m.long.skipped) {
    const first = m.long.marks[0];
    const last = m.long.marks.at(-1);
    add(`no memory growth over ${m.long.turns.toLocaleString('en')} turns`, `${mib(first.bytes)} → ${mib(last.bytes)}`, last.bytes === first.bytes);
  }
  add('size ≤ 75 KB gzip (wasm + JS glue, with PII)', kb(r.sizes.chatseal.gzip), r.sizes.chatseal.gzip <= 75_000);
  if (r.sizes.chatsealCrypto) add('size ≤ 45 KB gzip (crypto-only build)', kb(r.sizes.chatsealCrypto.gzip), r.sizes.chatsealCrypto.gzip <= 45_000);
  add('half the size of libsodium-wrappers (with PII)', `${kb(r.sizes.chatseal.gzip)} vs ${kb(r.sizes.libsodium.gzip)}`, r.sizes.chatseal.gzip * 2 <= r.sizes.libsodium.gzip);
  return g;
}

/** The per-phase table: each row's median, the step from the row before, and the ratio to libsodium. */
function phasesTable(f) {
  if (!f || f.skipped) return ['_Not measured._', ''];
  // [row, the row it adds to, what the difference is]
  const order = [
    ['version', null, ''],
    ['fromText', null, ''],
    ['sealEmpty', null, 'the fixed per-turn cost'],
    ['sealBytes', 'sealEmpty', '832 more bytes through the AEAD (bucket 256 → 1,088 B) and copied in'],
    ['sealText', 'sealBytes', 'a string instead of bytes: checked (lone surrogates), UTF-8 encoded, copied in'],
    ['sealTextLabels', 'sealText', 'an options object: read, snapshot, label checked and sealed'],
  ];
  const out = [
    '| step | median | vs libsodium | + over the step it builds on |',
    '|---|---:|---:|---|',
    `| libsodium bare seal of 1 KiB (yardstick, same rounds) | ${us(f.libsodium.medianUs)} | 1.00x | |`,
  ];
  for (const [k, base, what] of order) {
    const c = f[k];
    if (!c) continue;
    const step = base && f[base] ? `+${us(c.medianUs - f[base].medianUs)}: ${what}` : what;
    out.push(`| ${c.label ?? k} | ${us(c.medianUs)} | ${x(c.pairedRatio ? 1 / c.pairedRatio : f.libsodium.medianUs / c.medianUs)} | ${step} |`);
  }
  return [...out, ''];
}

function variantsTable(benchDir, name = 'variants.json') {
  const file = join(benchDir, name);
  if (!existsSync(file)) return '_No `benches/browser/variants.json` yet: run `bash scripts/bench.sh --variants`._\n';
  const vs = JSON.parse(readFileSync(file, 'utf8'));
  const rows = vs.map((v) => {
    const r = (f, p = 'libsodium') => x(speedRatio(v.speed?.[f], p));
    const t = (f) => (v.speed?.[f]?.chatseal ? us(v.speed[f].chatseal.medianUs) : 'n/a');
    return `| ${v.variant} | ${kb(v.sizes.chatseal.gzip)} | ${v.sizes.chatsealCrypto ? kb(v.sizes.chatsealCrypto.gzip) : 'n/a'} | ` +
      `${t('seal1k')} (${r('seal1k')}) | ${t('open1k')} (${r('open1k')}) | ` +
      `${t('seal1m')} (${r('seal1m')}, ${r('seal1m', 'noble')} noble) | ` +
      `${t('handshake')} (${r('handshake')}) | ${v.cold ? `${v.cold.chatseal.medianMs.toFixed(1)} ms (noble ${v.cold.noble.medianMs.toFixed(1)})` : 'n/a'} |`;
  });
  const date = vs[0]?.date?.slice(0, 10) ?? '?';
  return [
    `Measured by \`bash scripts/bench.sh --variants\` on ${date} (${vs[0]?.browserVersion ? 'Chromium ' + vs[0].browserVersion : ''}); each row is a full rebuild of both packages and`,
    'a shorter run of the speed figures. Ratios in parentheses are against libsodium in the same run (peer time / chatseal time).',
    '',
    '| variant | gzip (PII) | gzip (crypto-only) | seal 1 KiB | open 1 KiB | seal 1 MiB | handshake | cold start |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    '<details><summary>exact build settings per row</summary>',
    '',
    ...vs.map((v) => `- ${v.variant}: \`${v.build}\``),
    '',
    '</details>',
    '',
  ].join('\n');
}

export function render(r, benchDir) {
  const s = r.speed;
  const v = r.versions;
  const m = r.machine;
  const lines = [];
  const p = (...l) => lines.push(...l);
  p('# Benchmarks', '');
  p('<!-- Generated by `bash scripts/bench.sh` (benches/browser/report.mjs): do not edit by hand. -->', '');
  p(`Generated on ${r.date.slice(0, 10)} (${r.date}) by \`bash scripts/bench.sh\`.`, '');
  p('| | |', '|---|---|');
  p(`| machine | ${m.cpu}, ${m.cores} cores (page sees ${m.browserCores}), ${m.memGiB} GiB, ${m.distro || m.os} |`);
  p(`| browser | headless Chromium ${r.browserVersion} (playwright-core ${v.playwrightCore}), pages served from 127.0.0.1 |`);
  p(`| chatseal | ${v.chatseal} (${v.chatsealCommit}), release build as published by \`scripts/build.sh\` |`);
  p(`| libsodium-wrappers | ${v.libsodiumWrappers} (libsodium package ${v.libsodium}, library ${v.libsodiumLib ?? '?'}) |`);
  p(`| noble | @noble/ciphers ${v.nobleCiphers}, @noble/curves ${v.nobleCurves}, @noble/hashes ${v.nobleHashes} (bundled by esbuild ${v.esbuild}) |`);
  p(`| node | ${m.node} |`);
  const load = loadRange(r);
  p(`| load average (1 min, \`uptime\`) during the run | ${load ? `${load[0].toFixed(2)}–${load[1].toFixed(2)} on ${m.cores} cores` : 'n/a'} |`, '');
  p('Absolute times on a shared 2-core machine are noisy; compare the **ratios**, taken between',
    'contenders measured in the same page, interleaved round by round. A ratio is *peer time /',
    'chatseal time* in the same round, median over the rounds: above 1.00x chatseal is faster. Each cell: **median time per operation**, then',
    'interquartile range, min–max, and batches × operations per batch. Each batch lasts ≥ 30 ms;',
    'rounds go on until every contender\'s median of the last 5 batches moved < 2 % three rounds in a',
    'row (8–40 rounds, first 2 discarded as warm-up).', '');

  p('## Speed', '');
  p('| figure | chatseal | libsodium-wrappers | noble | vs libsodium | vs noble | goal |');
  p('|---|---:|---:|---:|---:|---:|---|');
  const row = (title, f, goal) => {
    if (!f || f.skipped) { p(`| ${title} | ${f?.skipped ?? 'not measured'} | | | | | ${goal} |`); return; }
    p(`| ${title} | ${cell(f.chatseal)} | ${cell(f.libsodium)} | ${cell(f.noble)} | ${x(speedRatio(f, 'libsodium'))} | ${x(speedRatio(f, 'noble'))} | ${goal} |`);
  };
  row('seal 1 KiB chat turn, PII off', s.seal1k, '≥ 1.0x libsodium');
  row('seal 1 KiB, default rekey policy (peer answers every 100th turn)', s.seal1kDefault, '');
  row('seal 1 KiB chat turn, PII masking on', s.sealPii, '≥ 0.5x libsodium');
  row('open 1 KiB chat turn', s.open1k, '≥ 1.0x libsodium');
  row('seal 1 MiB', s.seal1m, '≥ 1.0x libsodium, ≥ 3x noble');
  row('handshake, both sides', s.handshake, '≥ 1.0x libsodium');
  p('');
  if (s.seal1m?.chatseal) {
    p(`1 MiB throughput: chatseal ${throughput(s.seal1m.chatseal, 2 ** 20)}, libsodium ${throughput(s.seal1m.libsodium, 2 ** 20)}, noble ${throughput(s.seal1m.noble, 2 ** 20)}.`, '');
  }
  p('What each contender does per operation:', '');
  p('- **seal 1 KiB**: chatseal `session.sealText(text, { labels: { queue: "billing" } })` on the widget',
    '  end of a pinned session in its steady state (epoch 1, after the service\'s first reply; rekeying',
    '  only when asked: `{ rekeyEveryTurns: 0, rekeyEverySeconds: 0 }`): the 1,024-character string',
    '  crosses into wasm, the options object is read, metadata (role, coarse time, one label) is',
    '  encoded and authenticated, the body padded to its bucket (1,088 bytes: SPEC § 9), sealed with a',
    '  fresh random nonce and chained (SHA-256 over header + tag), and the envelope comes back as a new',
    '  `Uint8Array`. The default-policy row seals the same turn on a mutual pair with the default policy',
    '  (a new epoch offered every 100 turns); the peer opens and answers every 100th turn inside the',
    '  timing, so rekeys complete, old epochs are dropped and the session repacked. libsodium:',
    '  `crypto_aead_xchacha20poly1305_ietf_encrypt(bytes, null, null, nonce, key)`;',
    '  noble: `xchacha20poly1305(key, getRandomValues(24)).encrypt(bytes)`, both on 1,024 bytes',
    '  already encoded, each with a fresh nonce from `crypto.getRandomValues` (part of any seal, and',
    '  where chatseal gets its nonces).');
  const piiLabel = s.sealPii?.chatseal?.label;
  p(`- **PII masking on**: chatseal ${piiLabel ? '`' + piiLabel + '`' : '(see the row)'} on 1,024 characters of`,
    '  chat text holding emails, phone numbers, a card number, an IBAN, an IP address, an API key and',
    '  an SSN; the peers seal the same text\'s bytes bare (they do no masking).');
  p('- **open 1 KiB**: chatseal `session.open(envelope).text` on the widget end of a mutual pair',
    '  (the same `Session.open` as a pinned widget\'s), opening the agent\'s 1 KiB replies sealed untimed',
    '  before each batch (replay window, chain check, returns `{ text, bytes, metadata, header, … }`);',
    '  the peers decrypt one 1,024-byte ciphertext.');
  p('- **seal 1 MiB**: chatseal `session.seal(bytes)`; the peers encrypt the same 1 MiB.');
  p('- **handshake, both sides**: chatseal pinned mode: `Session.initiatePinned(servicePublicKey)`',
    '  (ephemeral X25519 key pair + agreement + key schedule), its first turn `sealText("hi")`, which',
    '  carries the handshake, and `service.accept(first)` on the service end (agreement, key schedule,',
    '  opening the turn, sealing the session\'s record for its `RecordStore`, here one that keeps',
    '  nothing), then `free()` of the widget\'s session. libsodium: `crypto_kx_keypair()` +',
    '  `crypto_kx_client_session_keys` + `crypto_kx_server_session_keys`. noble: ephemeral',
    '  `x25519.getPublicKey`, two `x25519.getSharedSecret` and two HKDF-SHA-256 expansions to 64 bytes.',
    '  The peers do three X25519 scalar multiplications; chatseal\'s pinned v2 handshake does five: the',
    '  service answers the hello\'s key at once with a fresh ephemeral key of its own (key generation +',
    '  a second agreement), so its first reply is already forward secret (SPEC § 5.1).', '');

  p('### Per-phase breakdown of a 1 KiB seal (in the page)', '');
  p('Measured like the figures above, all rows interleaved in the same rounds with libsodium\'s bare',
    'seal as the yardstick; each row adds one piece of work to the one it builds on, so the',
    'difference is that piece\'s cost. Inside the core, per phase, see the instruction counts below.', '');
  p(...phasesTable(s.phases));
  if (s.piiScan && !s.piiScan.skipped) {
    p(`PII scan in the page: \`scanPii\` over ${s.piiScan.chars.toLocaleString('en')} characters of chat text (${s.piiScan.findings} findings) in ${us(s.piiScan.chatseal.medianUs)}: **${(s.piiScan.charsPerSecond / 1e6).toFixed(1)}M chars/s**.`, '');
  }

  p('## Cold start', '');
  p('A fresh browser context per run (nothing cached; the server sends `Cache-Control: no-store`),',
    'timed in the page from before the library\'s module is requested to the end of its first seal:',
    'chatseal `import()` of the JS glue + `await init()` (streaming fetch, compile, instantiate) +',
    '`Session.initiatePinned(key).sealText(…)` (which includes the widget\'s half of the handshake);',
    'libsodium `import()` + `await sodium.ready` + first encrypt; noble `import()` of the bundle + first',
    'encrypt. Runs are interleaved between the libraries.', '');
  p('| library | median | min–max | runs |', '|---|---:|---:|---:|');
  const coldNames = { chatseal: 'chatseal (with PII)', chatsealCrypto: 'chatseal crypto-only', libsodium: 'libsodium-wrappers', noble: 'noble' };
  for (const [k, c] of Object.entries(r.cold ?? {})) {
    p(`| ${coldNames[k] ?? k} | **${c.medianMs.toFixed(1)} ms** | ${c.minMs.toFixed(1)}–${c.maxMs.toFixed(1)} ms | ${c.runs} |`);
  }
  p('');

  p('## Memory', '');
  const mem = r.memory;
  if (!mem || mem.responders?.skipped) {
    p('_Not measured (the build has no `wasmMemoryBytes()`)._', '');
  } else {
    p('WebAssembly linear memory (`wasmMemoryBytes()`, i.e. `memory.buffer.byteLength`; it only ever',
      'grows), each in a fresh page:', '');
    p('| scenario | before | after | time |', '|---|---:|---:|---:|');
    p(`| 10,000 live widget-end sessions (pinned, each sealed its first turn) | ${mib(mem.initiators.beforeBytes)} | **${mib(mem.initiators.afterBytes)}** | ${(mem.initiators.ms / 1000).toFixed(1)} s |`);
    p(`| 10,000 live responder-end \`Session\`s (mutual mode, each opened its first turn; a pinned service keeps its sessions in its record store, not in wasm memory) | ${mib(mem.responders.beforeBytes)} | **${mib(mem.responders.afterBytes)}** | ${(mem.responders.ms / 1000).toFixed(1)} s |`);
    const l = mem.long;
    p(`| one conversation, ${l.turns.toLocaleString('en')} turns (the two ends take turns, seal + open of a 69-byte turn each, default rekey policy: epoch ${l.epoch} at the end) | ${mib(l.startBytes)} | **${l.marks.map((mk) => `${mk.turns.toLocaleString('en')}: ${mib(mk.bytes)}`).join(', ')}** | ${(l.ms / 1000).toFixed(1)} s (${l.usPerTurn.toFixed(1)} µs per seal + open) |`);
    p('');
  }

  p('## Size', '');
  p('gzip -9 of what a page loads, measured the same way for everyone: chatseal\'s `web/` flavour as',
    'published (`chatseal_bg.wasm` + the `chatseal.js` glue, not minified); libsodium-wrappers\' ESM',
    'dist files as published (the wrappers + `libsodium.mjs` with its embedded wasm); noble bundled',
    'and minified by esbuild with just `xchacha20poly1305`, `x25519`, `hkdf` and `sha256`.', '');
  p('| library | files | raw | gzip -9 |', '|---|---|---:|---:|');
  const sizeRow = (name, sz) => p(`| ${name} | ${sz.parts.map((q) => `${q.file} (${kb(q.gzip)})`).join(' + ')} | ${kb(sz.raw)} | **${kb(sz.gzip)}** |`);
  sizeRow('chatseal (with PII)', r.sizes.chatseal);
  if (r.sizes.chatsealCrypto) sizeRow('chatseal crypto-only (`--no-default-features`)', r.sizes.chatsealCrypto);
  sizeRow('libsodium-wrappers', r.sizes.libsodium);
  sizeRow('noble', r.sizes.noble);
  p('', `(KB = 1,000 bytes.) The published wasm is capped by \`scripts/size-budget.sh\`, which \`scripts/test.sh\` runs right after the build.`, '');

  p('## What we tried', '');
  p(variantsTable(benchDir));
  if (existsSync(join(benchDir, 'variants-v1.json'))) {
    p('<details><summary>The same table for the v1 package (2026-11-24, before protocol v2 and the checked bindings)</summary>', '');
    p(variantsTable(benchDir, 'variants-v1.json'));
    p('</details>', '');
  }

  p('## Goals', '');
  p('| goal | measured | met |', '|---|---|---|');
  for (const goal of goals(r)) p(`| ${goal.goal} | ${goal.value} | ${goal.met ? 'yes' : '**no**'} |`);
  p('');
  const notes = join(benchDir, 'notes.md');
  if (existsSync(notes)) p(readFileSync(notes, 'utf8').trim(), '');
  return lines.join('\n');
}

// `node report.mjs results.json [BENCHMARKS.md [benchmarks.json]]`: re-render from a saved run
// (scripts/bench.sh keeps it as $BENCH_SITE/result.json), e.g. after editing notes.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { writeFileSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const md = render(r, dirname(fileURLToPath(import.meta.url)));
  if (process.argv[3]) writeFileSync(process.argv[3], md); else process.stdout.write(md);
  if (process.argv[4]) writeFileSync(process.argv[4], JSON.stringify(summary(r), null, 2) + '\n');
}
