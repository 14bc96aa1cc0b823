// Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>", so a receiver can check both that
// the message is ours and that it is fresh (a replayed old message carries an old timestamp).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-frameio-agent-signature';
export const TIMESTAMP_HEADER = 'x-frameio-agent-timestamp';

export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): true when `signature` is ours for this timestamp and body. */
export function verifySignature(secret: string, timestamp: string, body: string, signature: string | undefined): boolean {
  if (!signature) return false;
  const want = Buffer.from(sign(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
