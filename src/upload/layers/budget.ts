// The byte-budget layer: every read of a part's body first takes its bytes from a budget (a
// TokenBucket). The wait sits before the read into the pooled buffer, so the memory path is
// unchanged (a buffer is refilled only after its write callback), and the wait is wrapped in
// req.hold() so a part slowed by the budget never trips its progress deadline. Reads are cut
// to the budget's grant size, so a low rate still sends small pieces steadily and S3 never
// sees an idle socket.
import type { PartTransport, TransportLayer } from '../transport.js';
import type { ByteBudget } from './token-bucket.js';

export function budgetLayer(budget: ByteBudget): TransportLayer {
  return (next: PartTransport): PartTransport => ({
    send: (req) => {
      const inner = req.source;
      return next.send({
        ...req,
        source: {
          size: inner.size,
          async read(buf, length, position) {
            const grant = budget.maxGrant();
            // No limit set (the usual case): no wait, no hold, no promise per chunk.
            if (grant === Infinity) return inner.read(buf, length, position);
            // The budget may grant less than asked (the rate fell while this read waited).
            const n = await req.hold(budget.take(Math.max(1, Math.min(length, grant)), req.signal));
            return inner.read(buf, n, position);
          },
        },
      });
    },
  });
}
