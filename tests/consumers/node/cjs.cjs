// Node CommonJS: require() of the package (and, on Node >= 20.19, of the ESM-only client).
const cs = require('chatseal');

const keyring = new cs.ServiceKeyring();
const service = new cs.Service(keyring, crypto.getRandomValues(new Uint8Array(32)), new cs.MemoryRecordStore());
const widget = cs.Session.initiatePinned(keyring.generateKey());
const { handle, turn } = service.accept(widget.sealText('hello from require'));
const reply = widget.open(service.sealText(handle, 'hi'));
let client = 'not tried';
try {
  client = typeof require('chatseal/client').connect;
} catch (e) {
  client = e.code || e.name;
}
console.log(JSON.stringify({ sent: turn.text, reply: reply.text, version: cs.version(), client }));
