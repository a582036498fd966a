// A widget and a service written against the chatseal typings, the way an integrator would.
// `tsc -p tests/ts` must accept it; each `@ts-expect-error` line proves a misuse is rejected
// (tsc fails if the line were accepted).
import init, {
  ServiceKeyring,
  Session,
  MutualInitiator,
  MutualResponder,
  inspect,
  toText,
  fromText,
  hashedId,
  keyIdOf,
  errorCodes,
  isChatsealError,
  rewrapState,
  scanPii,
  version,
  type AcceptedSession,
  type ChatsealError,
  type DeletionRecord,
  type ErrorCode,
  type Inspection,
  type Metadata,
  type OpenedTurn,
  type PiiCategory,
  type PiiFinding,
  type Role,
  type SealOptions,
  type SessionOptions,
} from "chatseal";

export async function demo(): Promise<string[]> {
  await init();
  const log: string[] = [`chatseal ${version()}`];

  // Service end: the secret never leaves the keyring; only the public key is returned.
  const keyring = new ServiceKeyring();
  const servicePublicKey: Uint8Array = keyring.generateKey();
  const keyId: string = keyIdOf(servicePublicKey);
  const held: boolean = keyring.hasKey(keyId);

  // Widget: pinned session, text turns with labels.
  const options: SessionOptions = { timeGranularity: 300, rekeyEveryTurns: 50, keepOldEpochs: false };
  const visitor = Session.initiatePinned(servicePublicKey, options);
  const userLabel = hashedId(new TextEncoder().encode("tenant salt"), "user-42");
  const seal: SealOptions = { labels: { user: userLabel, queue: "billing" } };
  const first: Uint8Array = visitor.sealText("Hello, I need help with my invoice", seal);

  // Backend: stores the text form and reads only the metadata.
  const stored: string = toText(first);
  const info: Inspection = inspect(fromText(stored));
  const meta: Metadata = info.metadata;
  const emails: number = meta.pii.email;
  const role: Role = meta.role;
  log.push(`${info.header.sessionId} ${info.header.direction} #${info.header.seq} ${role} ${emails} ${info.paddedLen}`);
  if (info.hello !== null && info.hello.keyId !== null) log.push(info.hello.keyId);
  if (info.rekey) log.push(info.rekey.step);

  // Service accepts and answers.
  const accepted: AcceptedSession = keyring.accept(first);
  const service: Session = accepted.session;
  const turn: OpenedTurn = accepted.turn;
  log.push(turn.text, String(turn.bytes.length), turn.order, turn.chain, String(turn.missing));
  const reply = service.sealText("Sure, which invoice?", { role: "agent" });
  const opened = visitor.open(reply);
  log.push(opened.text, opened.metadata.role, String(opened.header.epoch));

  // Errors carry stable codes.
  try {
    visitor.open(reply);
  } catch (e: unknown) {
    if (isChatsealError(e)) {
      const code: ErrorCode = e.code;
      log.push(code, e.message, e.name);
      if (e.code === "duplicate") log.push("replay refused");
      // @ts-expect-error: not one of the error codes
      if (e.code === "decrypt_fail") log.push("never");
    }
  }
  const codes: ErrorCode[] = errorCodes();
  log.push(String(codes.length));

  // Session properties.
  const side: "initiator" | "responder" = visitor.side;
  const mode: "pinned" | "mutual" = visitor.mode;
  const next: number = visitor.nextSendSeq;
  const epochs: number[] = visitor.epochsHeld;
  log.push(side, mode, String(next), String(epochs), visitor.safetyCode(), visitor.sessionId, String(visitor.keyId));
  log.push(String(visitor.epoch), String(visitor.rekeyPending), String(visitor.timeGranularity));

  // Persistence across page loads: a sealed state blob under a 32-byte key the page keeps.
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const blob: Uint8Array = visitor.exportState(kek);
  const generation: number = visitor.stateGeneration;
  const restored = Session.importState(blob, kek, { minGeneration: generation });
  const rotated: Uint8Array = rewrapState(blob, kek, crypto.getRandomValues(new Uint8Array(32)));
  log.push(String(rotated.length), restored.reopen(first).text);
  restored.rekeyNow();
  service.resumeAfter(reply);

  // Mutual mode: no pinned key; both ends compare the safety code.
  const initiator = MutualInitiator.offer();
  const responder = MutualResponder.answer(initiator.offerBytes);
  const widget: Session = initiator.complete(responder.answerBytes);
  const agent = responder.accept(widget.sealText("hi")).session;
  log.push(String(widget.safetyCode() === agent.safetyCode()));

  // Local PII detection with offsets that index JS strings.
  const text = "write to ann@example.org";
  const findings: PiiFinding[] = scanPii(text);
  for (const f of findings) {
    const category: PiiCategory = f.category;
    log.push(category, text.slice(f.start, f.end));
  }

  // Explicit release of wasm memory (the garbage collector is the backstop).
  const record: DeletionRecord = restored.forget();
  log.push(record.sessionId, String(record.keysDeleted), record.digest, String(restored.forgotten));
  for (const s of [visitor, service, widget, agent, restored]) s.free();
  keyring.free();
  {
    using scoped = Session.initiatePinned(servicePublicKey);
    log.push(scoped.sessionId);
  }
  log.push(String(held));
  return log;
}

export function misuse(session: Session, envelope: Uint8Array, error: ChatsealError): void {
  // @ts-expect-error: roles are a closed set
  session.sealText("x", { role: "admin" });
  // @ts-expect-error: labels are strings
  session.sealText("x", { labels: { n: 1 } });
  // @ts-expect-error: options are checked for misspelt fields
  Session.initiatePinned(envelope, { granularity: 60 });
  // @ts-expect-error: the public key is bytes, not its text form
  Session.initiatePinned(toText(envelope));
  // @ts-expect-error: sessions come from handshakes, not a constructor
  new Session();
  // @ts-expect-error: read-only
  session.nextSendSeq = 0;
  // @ts-expect-error: there is no such PII category
  inspect(envelope).metadata.pii.creditCard;
  // @ts-expect-error: order is a closed set
  if (session.open(envelope).order === "sideways") return;
  // @ts-expect-error: the code is typed, not any string
  const code: "oops" = error.code;
  // @ts-expect-error: the offer is a read-only property, not a method
  MutualInitiator.offer().offerBytes();
  // @ts-expect-error: the secret key can only go in: there is no getter for it
  new ServiceKeyring().secretKey;
  void code;
}
