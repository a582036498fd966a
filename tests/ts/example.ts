// A widget, a service and a backend written against the chatseal typings, the way an integrator
// would. `tsc -p tests/ts` (strict, lib es2022 + dom: no Symbol.dispose) must accept it; each
// `@ts-expect-error` line proves a misuse is rejected (tsc fails if the line were accepted).
import init, {
  MemoryRecordStore,
  MutualInitiator,
  MutualResponder,
  PseudonymKey,
  Service,
  ServiceKeyring,
  Session,
  audit,
  errorCodes,
  fromText,
  inspect,
  isChatsealError,
  keyIdOf,
  limits,
  openStream,
  randomPseudonym,
  rewrapState,
  scanPii,
  sealStream,
  stateInfo,
  toText,
  version,
  type AcceptedSession,
  type Audit,
  type ChatsealError,
  type DeletionRecord,
  type ErrorCode,
  type Inspection,
  type Labels,
  type MaskPolicy,
  type Metadata,
  type OpenedTurn,
  type PeerAck,
  type PiiCategory,
  type PiiFinding,
  type RecordStore,
  type Restored,
  type Role,
  type SealOptions,
  type ServiceTurn,
  type SessionOptions,
  type Status,
} from "chatseal";

export async function demo(): Promise<string[]> {
  await init();
  const log: string[] = [`chatseal ${version()}, envelopes up to ${limits().maxEnvelope} bytes`];

  // Service end: the secret never leaves the keyring; only the public key is returned.
  const keyring = new ServiceKeyring();
  const servicePublicKey: Uint8Array = keyring.generateKey();
  const keyId: string = keyIdOf(servicePublicKey);
  const hasKey: boolean = keyring.hasKey(keyId);
  const store: RecordStore = new MemoryRecordStore();
  const service = new Service(keyring, crypto.getRandomValues(new Uint8Array(32)), store, { rekeyEveryTurns: 50 });

  // Widget: options are typed; labels are a record or pairs.
  const options: SessionOptions = { timeGranularity: 60, maskPolicy: { card: "partial" } };
  const widget: Session = Session.initiatePinned(servicePublicKey, options);
  const labels: Labels = [["page", "checkout"]];
  const seal: SealOptions = { labels, subject: randomPseudonym(), mask: true };
  const first: Uint8Array = widget.sealText("card 4111 1111 1111 1111 please", seal);

  // The backend sees the metadata without keys.
  const info: Inspection = inspect(fromText(toText(first)));
  const metadata: Metadata = info.metadata;
  const role: Role = metadata.role;
  const pairs: Array<[string, string]> = metadata.labels;
  const cards: number = metadata.pii.card;
  log.push(`${role} ${pairs.length} label(s), ${cards} card, hello key ${info.hello?.keyId ?? "none"}, ${hasKey}`);

  const accepted: ServiceTurn = service.accept(first);
  const turn: OpenedTurn = accepted.turn;
  const ack: PeerAck = turn.peerAck;
  log.push(`${turn.text} (${turn.order}, ${turn.chain}, acked ${ack.highest ?? "nothing"})`);

  const reply = widget.open(service.sealText(accepted.handle, "noted [CARD ****1111]", { role: "agent" }));
  const restored: Restored = widget.restore(reply.text);
  log.push(`${restored.text}, ${restored.withheld.length} withheld`);

  // Streams.
  const chunks = ["a", "b"].map((t) => service.sealChunk(accepted.handle, t, { end: false }));
  chunks.push(service.sealChunk(accepted.handle, "", { end: true }));
  let streamed = "";
  for await (const text of openStream(widget, chunks)) streamed += text;
  for await (const envelope of sealStream(widget, ["c", "d"], { labels: { page: "chat" } })) service.open(envelope);
  log.push(streamed);

  // Closing, status, audit.
  service.open(widget.close());
  widget.open(service.close(accepted.handle));
  const status: Status = widget.status();
  const report: Audit = audit([first]);
  log.push(`finished ${status.finished}, audit ${report.verdict}, ${report.i2r.turns} stored`);

  // Persistence: the handle is part of the import.
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const blob = widget.exportState(kek);
  const restoredSession = Session.importState(rewrapState(blob, kek, kek), kek, stateInfo(blob).handle, {
    minGeneration: widget.stateGeneration,
  });
  const deletion: DeletionRecord = restoredSession.forget();
  log.push(`${deletion.keysDeleted} keys deleted, ${deletion.piiValuesDeleted} PII values`);

  // Mutual mode.
  const initiator = MutualInitiator.offer();
  const responder = MutualResponder.answer(initiator.offerBytes);
  const visitor = initiator.complete(responder.answerBytes);
  const agent: AcceptedSession = responder.accept(visitor.sealText("hi"));
  log.push(visitor.safetyCode === agent.session.safetyCode ? "codes match" : "codes differ");

  // Pseudonyms (service side) and PII scanning.
  const pseudonyms = new PseudonymKey(crypto.getRandomValues(new Uint8Array(32)));
  const subject: string = pseudonyms.pseudonym("user-42");
  const findings: PiiFinding[] = scanPii("mail ann@example.org");
  const category: PiiCategory | undefined = findings[0]?.category;
  const policy: MaskPolicy = { email: "type", ip: "keep" };
  widget.setMaskPolicy(policy);
  log.push(`${subject.length} ${category ?? "none"}`);

  // Errors narrow to ChatsealError with a typed code.
  try {
    widget.open(first);
  } catch (e: unknown) {
    if (isChatsealError(e)) {
      const error: ChatsealError = e;
      const code: ErrorCode = error.code;
      log.push(`refused: ${code} of ${errorCodes().length}`);
    }
  }

  // @ts-expect-error a service key is bytes, not text
  Session.initiatePinned("service key");
  // @ts-expect-error importState needs the expected session handle
  Session.importState(blob, kek);
  // @ts-expect-error label values are strings
  widget.sealText("x", { labels: { page: 1 } });
  // @ts-expect-error roles are a closed set
  widget.sealText("x", { role: "admin" });
  // @ts-expect-error a stream chunk must say whether it ends the stream
  widget.sealChunk("x", {});
  // @ts-expect-error restore returns the text and what was withheld, not a string
  const plain: string = widget.restore("x");
  // @ts-expect-error hashedId is gone: use a PseudonymKey
  import("chatseal").then((m) => m.hashedId);

  for (const o of [widget, service, keyring, initiator, responder, visitor, agent.session, pseudonyms]) o.free();
  return [...log, plain];
}
