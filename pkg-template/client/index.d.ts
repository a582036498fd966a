// chatseal/client: the conversation client (see "The conversation client" in the README).
import type { DeletionRecord, MaskPolicy, Labels, PiiCategory, PiiFinding, Role } from 'chatseal';

/** The client's own error codes (a chatseal `ChatsealError` keeps its own code). */
export type ClientErrorCode =
  | 'invalid_input'
  | 'locked'
  | 'offline'
  | 'relay'
  | 'tampered'
  | 'closed'
  | 'forgotten'
  | 'deleted'
  | 'unsupported'
  | 'timeout';

/** Thrown by the client and passed to `error` listeners. Messages never hold keys, text or PII. */
export class ClientError extends Error {
  constructor(code: ClientErrorCode, message: string, details?: { status?: number; relayCode?: string; cause?: unknown; retryable?: boolean });
  readonly name: 'ChatsealClientError';
  readonly code: ClientErrorCode;
  /** The relay's HTTP status (code "relay"). */
  readonly status: number | null;
  /** The relay's error code (`duplicate`, `gap`, `unauthorized`, ...). */
  readonly relayCode: string | null;
  /** Retried by the client in the background (network down, 429, 5xx). */
  readonly retryable: boolean;
}
export const CLIENT_ERROR_CODES: readonly ClientErrorCode[];
export function isClientError(value: unknown): value is ClientError;

/** A row the relay stored: envelope (base64url) and the metadata columns it can read. */
export interface StoredRow {
  handle: string;
  direction: 'i2r' | 'r2i';
  seq: number;
  epoch: number;
  role: Role;
  time: number;
  length_bucket: number;
  pii: Partial<Record<PiiCategory, number>>;
  labels: Record<string, string>;
  close: boolean;
  stream: { start: number; end: boolean } | null;
  envelope: string;
  size: number;
  stored_at: number;
  /** After this row: "<i2r>.<r2i>", the next sequence number wanted per direction. */
  cursor?: string;
  [column: string]: unknown;
}

/** How the client reaches the relay. `httpTransport` is the reference relay's API. */
export interface Transport {
  post(envelope: Uint8Array): Promise<{ stored: boolean; seq: number; direction: string }>;
  rows(handle: string, since?: string): Promise<{ envelopes: StoredRow[]; cursor: string }>;
  remove(handle: string): Promise<unknown>;
  offer(handle: string, offer: Uint8Array): Promise<unknown>;
  /** The answer (base64url), or null while none came. */
  answer(handle: string): Promise<string | null>;
  subscribe(
    handle: string,
    since: string,
    handlers: { onRow(row: StoredRow): void; onDeleted(tombstone: unknown): void; onDown(error: ClientError): void },
  ): { close(): void };
}

export interface HttpTransportOptions {
  /** The relay's base URL, e.g. "https://relay.example". */
  relay: string;
  /** The API key: the widget key in a page (public), a service key in an agent tool. */
  key: string;
  fetch?: typeof fetch;
  /** Default: the global WebSocket; null (or none on the platform) polls the stored rows. */
  WebSocket?: unknown;
  /** Polling interval in ms without WebSocket (default 1000). */
  pollInterval?: number;
}
export function httpTransport(options: HttpTransportOptions): Transport;

/** Where conversations are kept, sealed. Values are structured-cloneable records. */
export interface ConversationStore {
  readonly kind: string;
  get(key: string): Promise<unknown>;
  put(entries: Record<string, unknown>): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Whether it can keep a non-extractable CryptoKey (IndexedDB can; a file cannot). */
  readonly holdsCryptoKeys: boolean;
  /** Owns `name` for this tab or process: a release function, or null if it is owned elsewhere. */
  lock(name: string): Promise<(() => unknown) | null>;
}
/** IndexedDB with Web Locks (browsers, workers): the default where IndexedDB exists. */
export function idbStore(database?: string): ConversationStore;
/** In memory: the default without IndexedDB (Node); lost with the process. */
export function memoryStore(): ConversationStore;
/** Files in `dir` (Node only; elsewhere it throws "unsupported"). Pass a `kek` to `connect`. */
export function fileStore(dir: string, options?: { checkpointDir?: string }): ConversationStore;
/** A Web Lock if free: its release function, or null if another tab holds it. */
export function webLock(name: string): Promise<(() => void) | null>;

export interface ConnectOptions {
  /** The relay's base URL (with `widgetKey`), unless `transport` is given. */
  relay?: string;
  /** The widget key (public: it only posts visitor turns and reads conversations by handle). */
  widgetKey?: string;
  transport?: Transport;
  /** Pinned mode (default): the service's public key, 32 bytes or base64url, shipped with the widget. */
  servicePublicKey?: Uint8Array | string;
  /** "mutual": no pinned key; an offer waits in the relay's mailbox for an agent's answer. */
  mode?: 'pinned' | 'mutual';
  /** The saved conversation to resume (default "default"); [A-Za-z0-9_.-]{1,64}. */
  name?: string;
  /** Default: idbStore() where IndexedDB exists, else memoryStore(). */
  store?: ConversationStore;
  /** The key-encryption key: 32 bytes or an AES-GCM CryptoKey. Default: a non-extractable WebCrypto key kept in the store. */
  kek?: Uint8Array | CryptoKey;
  /** Mask personal data before sealing (default true); `send(text, { mask })` overrides per turn. */
  mask?: boolean;
  maskPolicy?: MaskPolicy;
  /** New key epoch after this many turns (default 100) or seconds (default 3600); old epochs are deleted. */
  rekeyEveryTurns?: number;
  rekeyEverySeconds?: number;
  timeGranularity?: number;
  /** The visitor's pseudonym (`randomPseudonym()`), on every turn. */
  subject?: string;
  /** Labels on every turn (never personal data). */
  labels?: Labels;
  /** Mutual mode: how long to wait for an agent's answer, in ms (default 300000). */
  answerTimeout?: number;
  signal?: AbortSignal;
}

/** One transcript entry. */
export interface Message {
  /** "i2r:<seq>" for yours, "r2i:<seq>" for replies (a stream: its first chunk's seq). */
  id: string;
  direction: 'sent' | 'received';
  role: Role;
  /** For display: what you typed; a reply with your placeholders filled in. */
  text: string;
  /** Yours: what left the page (placeholders where masking replaced something). */
  sentAs?: string;
  masked?: boolean;
  /** Yours: findings per category that were masked. */
  pii?: Partial<Record<PiiCategory, number>>;
  /** A reply: placeholders left masked because they sit in a link. */
  withheld?: number;
  seq: number;
  epoch?: number;
  /** A reply: the last of your turns sent before it. */
  after?: number;
  close?: boolean;
  /**
   * sending → sent (the relay stored it) | failed; a reply: streaming → received, or interrupted
   * (the whole answer follows), broken (cut off or spliced), unreadable (altered: `error` says why).
   */
  state: 'sending' | 'sent' | 'failed' | 'streaming' | 'received' | 'interrupted' | 'broken' | 'unreadable';
  error?: string;
  /** A moderation label the service put on the reply. */
  flag?: string;
  /** Local time (ms) the entry was made. */
  at: number;
}

export interface ConversationStatus {
  handle: string | null;
  mode: 'pinned' | 'mutual' | null;
  /**
   * closing: this end closed, the other's close has not arrived; finished: both closed, nothing
   * missing, everything acknowledged; unfinished: the other end closed without that (cut off?).
   */
  outcome: 'open' | 'closing' | 'finished' | 'unfinished' | 'deleted' | 'forgotten';
  closed: boolean;
  peerClosed: boolean;
  connected: boolean;
  /** Turns sealed and saved, not yet stored by the relay. */
  pending: number;
  epoch: number | null;
  epochsHeld: number[];
  stateGeneration: number;
}

export interface Forgotten {
  deletion: DeletionRecord;
  /** The relay's answer (`tombstone`, `residual`), or null if it held nothing or refused. */
  relay: unknown;
  relayError: unknown;
}

export class Conversation {
  private constructor();
  readonly handle: string;
  readonly mode: 'pinned' | 'mutual';
  readonly safetyCode: string;
  readonly messages: Message[];
  status(): ConversationStatus;
  on(type: 'message', fn: (message: Message) => void): () => void;
  on(type: 'status', fn: (status: ConversationStatus) => void): () => void;
  on(type: 'error', fn: (error: Error) => void): () => void;
  /** What masking would replace (nothing is registered or sent). */
  preview(text: string): { text: string; findings: PiiFinding[] };
  send(text: string, options?: { mask?: boolean; labels?: Labels }): Promise<Message>;
  /** Sends, then yields the reply so far (restored) as it streams. */
  ask(text: string, options?: { mask?: boolean; labels?: Labels }): AsyncGenerator<string, void, undefined>;
  close(text?: string, options?: { mask?: boolean }): Promise<Message>;
  rekeyNow(): void;
  forget(): Promise<Forgotten>;
  release(): Promise<void>;
}

export function connect(options: ConnectOptions): Promise<Conversation>;
