// ES module entry of the Node flavour: everything the CommonJS build exports (the wasm is
// compiled synchronously when it loads), plus a default `init` that does nothing, so code
// written for browsers (`import init, { Session } from 'chatseal'; await init();`) runs
// unchanged in Node.
export * from './chatseal.js';

export default async function init() {}
