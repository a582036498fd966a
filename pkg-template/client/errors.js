// Errors of the conversation client: a stable `code`, never a key, plaintext or PII in the message.

/** Thrown (and emitted as `error` events) by the client; `code` is stable. */
export class ClientError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ status?: number, relayCode?: string, cause?: unknown, retryable?: boolean }} [details]
   */
  constructor(code, message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ChatsealClientError';
    this.code = code;
    this.status = details.status ?? null;
    this.relayCode = details.relayCode ?? null;
    this.retryable = details.retryable ?? false;
  }
}

/** The client's own codes (a chatseal `ChatsealError` keeps its own code, e.g. `decrypt_failed`). */
export const CLIENT_ERROR_CODES = Object.freeze([
  'invalid_input', // a bad option or argument
  'locked', // another tab or process owns this conversation
  'offline', // the relay could not be reached (retried in the background)
  'relay', // the relay refused a request (see status and relayCode)
  'tampered', // a stored state, transcript or checkpoint does not match (swapped, stale, altered)
  'closed', // this end closed the conversation: nothing more can be sent
  'forgotten', // the conversation was forgotten (or released)
  'deleted', // the relay deleted the conversation
  'unsupported', // the platform lacks what this needs (e.g. fileStore outside Node)
  'timeout', // no answer to a mutual offer in time
]);

export const isClientError = (e) => e instanceof ClientError;
