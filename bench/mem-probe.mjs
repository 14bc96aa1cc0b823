// Loaded into the agent by the drops scenario (NODE_OPTIONS=--import): once a second appends
// process.memoryUsage() to $FRAMEIO_BENCH_MEM_FILE, so the report can split the agent's RSS into
// V8 heap, external/ArrayBuffers and the rest (native) at its peak. One small write a second.
import { appendFileSync } from 'node:fs';

const file = process.env.FRAMEIO_BENCH_MEM_FILE;
if (file) {
  const t0 = performance.now();
  setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(file, JSON.stringify({ t: (performance.now() - t0) / 1000, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }) + '\n');
  }, 1000).unref();
}
