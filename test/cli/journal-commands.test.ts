// `status`, `retry` and `forget` against a journal written by a real agent run, some of them
// while that agent is still running (read-only status must not fight the writer).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { memoryIO } from '../helpers/memory-io.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function cli(e: AgentEnv, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({}, e.root);
  const code = await main([...args, '--state-dir', e.stateDir], io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

const complete = (e: AgentEnv, name: string) => e.emu.files().filter((f) => f.name === name && f.uploadComplete && !f.deleted);

describe('status', () => {
  it('shows counts, uploads in flight with progress, and failures with reasons, while the agent runs', async () => {
    env = await agentEnv({ partSizeTarget: 16 * 1024, partLatencyMs: 150 });
    const agent = await env.start({ uploadYaml: 'max_upload_attempts: 1' });
    env.emu.inject({ target: 'part', kind: 'expired', count: 1 });
    await env.write('broken.mov', 'x');
    await waitFor(() => agent.runner.summary.failed === 1, { what: 'failure' });
    await env.write('slow.mov', pattern(320 * 1024, 1));
    await waitFor(async () => (await agent.journal.inFlight()).some((j) => j.partsDone.length >= 2), { what: 'parts in flight', timeoutMs: 15_000 });
    const text = await cli(env, ['status']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/failed: 1/);
    expect(text.out).toMatch(/uploading:\n\s+hot\/slow\.mov\s+\d+%\s+.*parts \d+\/20/);
    expect(text.out).toMatch(/recent failures:\n.*hot\/broken\.mov: .*expired/);
    const json = JSON.parse((await cli(env, ['status', '--json'])).out);
    expect(json.counts.failed).toBe(1);
    expect(json.in_flight[0]).toMatchObject({ path: 'slow.mov', parts: 20 });
    expect(json.failures[0]).toMatchObject({ path: 'broken.mov', code: 'upload_url_expired' });
    await waitFor(() => agent.runner.summary.done === 1, { what: 'slow upload', timeoutMs: 20_000 });
    const after = JSON.parse((await cli(env, ['status', '--json'])).out);
    expect(after.counts.done).toBe(1);
    expect(after.recent[0].view_url).toMatch(/\/view\//);
  });

  it('shows a file waiting out an outage, with the reason; stopping ends the wait at once', async () => {
    env = await agentEnv();
    const agent = await env.start();
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_local_upload', count: 1000 });
    await env.write('waiting.mov', 'w');
    await waitFor(async () => (await agent.journal.listByState('seen', 'settled')).some((j) => j.lastErrorCode === 'server_error'), { what: 'outage recorded' });
    const text = await cli(env, ['status']);
    expect(text.out).toMatch(/waiting to try again:\n\s+hot\/waiting\.mov \((seen|settled)\): create upload for waiting\.mov .*503/);
    const json = JSON.parse((await cli(env, ['status', '--json'])).out);
    expect(json.waiting[0]).toMatchObject({ path: 'waiting.mov', code: 'server_error' });
    const t0 = Date.now();
    await agent.stop();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(agent.runner.summary.failed).toBe(0);
  });

  it('says clearly when there is no journal yet (exit 2)', async () => {
    env = await agentEnv();
    const r = await cli(env, ['status']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no journal at .*journal\.sqlite/);
  });
});

describe('retry', () => {
  it('queues a failed file left in place again, picked up by the running agent', async () => {
    env = await agentEnv();
    const agent = await env.start({ uploadYaml: 'max_upload_attempts: 1' });
    env.emu.inject({ target: 'part', kind: 'expired', count: 1 });
    const p = await env.write('again.mov', pattern(1000, 2));
    await waitFor(() => agent.runner.summary.failed === 1, { what: 'failure' });
    expect(complete(env, 'again.mov')).toHaveLength(0);
    const r = await cli(env, ['retry', p]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/queued again: hot\/again\.mov/);
    await waitFor(() => agent.runner.summary.done === 1, { what: 'retried upload', timeoutMs: 15_000 });
    expect(complete(env, 'again.mov')).toHaveLength(1);
  });

  it('--failed moves files back from the failed folder and removes the reason file', async () => {
    env = await agentEnv();
    const failed = path.join(env.root, 'failed');
    let agent = await env.start({ uploadYaml: 'max_upload_attempts: 1', watchYaml: `on_failure: { action: move, to: ${JSON.stringify(failed)} }` });
    env.emu.inject({ target: 'part', kind: 'expired', count: 1 });
    await env.write('sub/back.mov', pattern(500, 3));
    await waitFor(() => agent.runner.summary.failed === 1, { what: 'failure' });
    await agent.stop();
    expect(await fs.readdir(path.join(failed, 'sub'))).toEqual(['back.mov', 'back.mov.error.txt']);
    const r = await cli(env, ['retry', '--failed']);
    expect(r.code, r.err).toBe(0);
    expect(await fs.readdir(path.join(failed, 'sub'))).toEqual([]);
    expect(await fs.readdir(path.join(env.hot, 'sub'))).toEqual(['back.mov']);
    agent = await env.start({ uploadYaml: 'max_upload_attempts: 1', watchYaml: `on_failure: { action: move, to: ${JSON.stringify(failed)} }` });
    await waitFor(() => agent.runner.summary.done === 1, { what: 'retried upload', timeoutMs: 15_000 });
    expect(complete(env, 'back.mov')).toHaveLength(1);
  });

  it('names a path that is not a failed file (exit 1)', async () => {
    env = await agentEnv();
    const agent = await env.start();
    await env.write('fine.mov', 'ok');
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload' });
    const r = await cli(env, ['retry', path.join(env.hot, 'fine.mov')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/fine\.mov is not a failed file/);
  });
});

describe('forget', () => {
  it('lets an uploaded file be uploaded again on purpose', async () => {
    env = await agentEnv();
    let agent = await env.start({ watchYaml: 'after_upload: { action: tag }' });
    const p = await env.write('redo.mov', pattern(800, 4));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload' });
    await agent.stop();
    const r = await cli(env, ['forget', p]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/forgotten: hot\/redo\.mov/);
    await expect(fs.stat(`${p}.frameio.json`)).rejects.toThrow();
    agent = await env.start({ watchYaml: 'after_upload: { action: tag }' });
    await waitFor(() => agent.runner.summary.done === 1, { what: 'second upload' });
    expect(complete(env, 'redo.mov')).toHaveLength(2);
  });

  it('refuses an unknown path (exit 1)', async () => {
    env = await agentEnv();
    const agent = await env.start();
    await env.write('known.mov', 'k');
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload' });
    const r = await cli(env, ['forget', 'nope.mov']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope\.mov is not in the journal/);
  });
});
