export { createNotifier, type Notifier, type NotifierOptions } from './notifier.js';
export { verifySignature, sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js';
export { redactUrl } from './redact-url.js';
export { MemoryOutbox } from './memory-outbox.js';
