// Shared by the consumer pages (copied next to each): a conversation sealed and opened in the
// page with the package's own Service, and the page's verdict in document.body.dataset.
export function sealAndOpen(cs) {
  const keyring = new cs.ServiceKeyring();
  const service = new cs.Service(keyring, crypto.getRandomValues(new Uint8Array(32)), new cs.MemoryRecordStore());
  const widget = cs.Session.initiatePinned(keyring.generateKey());
  const { handle, turn } = service.accept(widget.sealText('card 4111 1111 1111 1111 please', { mask: true }));
  const reply = widget.open(service.sealText(handle, 'noted [CARD_1]'));
  const result = { sent: turn.text, reply: widget.restore(reply.text).text, version: cs.version() };
  for (const o of [widget, service, keyring]) o.free();
  return result;
}

export function report(promise) {
  promise.then(
    (value) => { document.body.dataset.result = JSON.stringify(value); },
    (e) => { document.body.dataset.error = `${e && e.name}: ${e && e.code ? e.code + ': ' : ''}${e && e.message}`; },
  );
}
