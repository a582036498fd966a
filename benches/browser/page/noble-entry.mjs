// What a page needs from noble for the figures: bundled and minified by esbuild (scripts/bench.sh)
// into noble.js; its gzip -9 size is noble's size figure.
export { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
export { x25519 } from '@noble/curves/ed25519.js';
export { hkdf } from '@noble/hashes/hkdf.js';
export { sha256 } from '@noble/hashes/sha2.js';
