// The CLI caps V8's young generation (src/cli/v8-flags.ts): a scan that keeps many small objects
// alive for a while must not grow it to V8's 16 MB semi-spaces, which it never hands back (the
// agent's peak RSS with 100,000 uploaded files, BENCHMARKS §10). Measured in a child process: a
// heap's young generation is set up once per process.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const FLAGS = path.resolve('dist/cli/v8-flags.js');
// What a first scan does to the heap: many short-lived objects, a fair share of them kept.
const SCAN = `
  await import(${JSON.stringify(FLAGS)});
  const v8 = await import('node:v8');
  const kept = new Map();
  for (let i = 0; i < 300000; i++) {
    const p = '/watch/dir' + (i % 300) + '/shot.' + i + '.exr';
    kept.set(p, { p, parts: p.split('/'), size: i });
    if (i % 5000 === 0) await new Promise((r) => setImmediate(r));
  }
  const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  console.log(JSON.stringify({ youngMb: ns.space_size / 1048576, kept: kept.size }));
`;

async function youngGenerationMb(env: Record<string, string>): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCAN], { env: { ...process.env, ...env } });
  const r = JSON.parse(stdout) as { youngMb: number; kept: number };
  expect(r.kept).toBe(300000);
  return r.youngMb;
}

describe('V8 flags of the CLI process', () => {
  it('keeps the young generation at its initial size through a scan-like burst, where V8 alone grows it past 16 MB', async () => {
    expect(await youngGenerationMb({})).toBeLessThanOrEqual(2.5);
    // The baseline the benchmark compares against: without the cap the same burst grows it.
    expect(await youngGenerationMb({ FRAMEIO_AGENT_SEMI_SPACE_GROWTH: '2' })).toBeGreaterThan(16);
  });
});
