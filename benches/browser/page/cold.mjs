// Cold start in a fresh browser context (nothing cached; the server sends no-store): from before
// the library's module is requested to the end of the first seal. ?lib=chatseal|libsodium|noble
// (&pkg=pkg-crypto for the crypto-only build). The result lands in globalThis.cold.
const params = new URLSearchParams(location.search);
const lib = params.get('lib');
const pkg = params.get('pkg') || 'pkg';
const text = 'Hello, I need help with my invoice';

async function run() {
  const t0 = performance.now();
  let bytes;
  if (lib === 'chatseal') {
    const cs = await import(`./${pkg}/web/chatseal.js`);
    await cs.default(); // fetch + compile + instantiate (streaming)
    // First seal of a pinned session: includes the widget's half of the handshake.
    bytes = cs.Session.initiatePinned(new Uint8Array(32).fill(9)).sealText(text).length;
  } else if (lib === 'libsodium') {
    const m = await import('./sodium/libsodium-wrappers.mjs');
    const sodium = m.default ?? m;
    await sodium.ready;
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const nonce = sodium.randombytes_buf(24);
    bytes = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, null, null, nonce, key).length;
  } else if (lib === 'noble') {
    const noble = await import('./noble.js');
    const key = crypto.getRandomValues(new Uint8Array(32));
    const nonce = crypto.getRandomValues(new Uint8Array(24));
    bytes = noble.xchacha20poly1305(key, nonce).encrypt(new TextEncoder().encode(text)).length;
  } else {
    throw new Error(`unknown lib ${lib}`);
  }
  return { ms: performance.now() - t0, bytes };
}

globalThis.cold = run();
