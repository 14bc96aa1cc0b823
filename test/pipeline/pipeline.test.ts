// The watch pipeline end to end: real temp dirs, the real watcher, the emulator over sockets.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentEnv as startEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern } from '../helpers/tmp.js';
import { pause, waitFor } from '../helpers/wait.js';
import { nextEvent, recordEvents } from '../helpers/events.js';
import { closeAfterTest } from '../helpers/teardown.js';
import type { EmulatorOptions } from '../../src/emulator/index.js';
import { SqliteJobStore } from '../../src/journal/index.js';

const agentEnv = async (opts?: EmulatorOptions): Promise<AgentEnv> => closeAfterTest(await startEnv(opts));

const live = (e: AgentEnv) => e.emu.files().filter((f) => !f.deleted);
const completeNamed = (e: AgentEnv, name: string) => live(e).filter((f) => f.name === name && f.uploadComplete);

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(() => true, () => false);
}

describe('watch pipeline', () => {
  it('uploads a file that grows for a while exactly once, whole, after it stops growing', async () => {
    const env = await agentEnv({ partSizeTarget: 64 * 1024 });
    const agent = await env.start({ watchYaml: 'settle_seconds: 0.8' });
    const p = path.join(env.hot, 'render.mov');
    const full = pattern(300 * 1024, 7);
    const chunk = 50 * 1024;
    for (let off = 0; off < full.length; off += chunk) {
      await fs.appendFile(p, full.subarray(off, off + chunk));
      // The writer's pace (half the settle time), not a wait for a result: the file must keep
      // growing for longer than settle_seconds for this test to mean anything.
      await pause(400);
      // Still growing: nothing may have been created in Frame.io yet.
      if (off + chunk < full.length) expect(live(env).filter((f) => f.name === 'render.mov')).toHaveLength(0);
    }
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload done', timeoutMs: 15_000 });
    const files = live(env).filter((f) => f.name === 'render.mov');
    expect(files).toHaveLength(1);
    expect(files[0]!.uploadComplete).toBe(true);
    expect((await env.emu.readFile(files[0]!.id)).equals(full)).toBe(true);
  });

  it('mirrors subfolders under the watch folder and creates each folder once', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    await env.write('a/b/one.mov', pattern(1000, 1));
    await env.write('a/b/two.mov', pattern(2000, 2));
    await env.write('a/three.mov', pattern(3000, 3));
    await env.write('top.mov', pattern(10, 4));
    await waitFor(() => agent.runner.summary.done === 4, { what: '4 uploads', timeoutMs: 15_000 });
    const byName = new Map(live(env).map((f) => [f.name, f]));
    expect(env.emu.folderPath(byName.get('one.mov')!.parentId)).toMatch(/\/a\/b$/);
    expect(env.emu.folderPath(byName.get('two.mov')!.parentId)).toMatch(/\/a\/b$/);
    expect(env.emu.folderPath(byName.get('three.mov')!.parentId)).toMatch(/\/a$/);
    expect(byName.get('top.mov')!.parentId).toBe(env.emu.rootFolderId);
    const names = env.emu.folders().map((f) => env.emu.folderPath(f.id));
    expect(names.filter((n) => n.endsWith('/a'))).toHaveLength(1);
    expect(names.filter((n) => n.endsWith('/a/b'))).toHaveLength(1);
  });

  it('routes with rules: first match wins, templates, skip', async () => {
    const env = await agentEnv();
    const agent = await env.start({
      watchYaml: [
        'rules:',
        '  - match: "**/proxies/**"',
        '    skip: true',
        '  - match: "**/*.exr"',
        '    folder: "Renders/{dir}"',
        '  - match: "**/*.wav"',
        '    folder: "Audio/{ext}/{stem}"',
      ].join('\n'),
    });
    await env.write('shotA/shotA.0001.exr', pattern(100, 1));
    await env.write('mix.wav', pattern(100, 2));
    await env.write('shotA/proxies/p.mov', pattern(100, 3));
    await waitFor(() => agent.runner.summary.done === 2 && agent.runner.summary.skipped === 1, { what: 'routing', timeoutMs: 15_000 });
    const byName = new Map(live(env).map((f) => [f.name, f]));
    expect(env.emu.folderPath(byName.get('shotA.0001.exr')!.parentId)).toMatch(/\/Renders\/shotA$/);
    expect(env.emu.folderPath(byName.get('mix.wav')!.parentId)).toMatch(/\/Audio\/wav\/mix$/);
    expect(byName.has('p.mov')).toBe(false);
    expect(await exists(path.join(env.hot, 'shotA/proxies/p.mov'))).toBe(true);
  });

  it('move: keeps the relative path under `to`, never overwrites, and does not re-upload moved files', async () => {
    const env = await agentEnv();
    const done = path.join(env.hot, '_uploaded');
    await fs.mkdir(path.join(done, 'sub'), { recursive: true });
    await fs.writeFile(path.join(done, 'sub', 'clip.mov'), 'someone else');
    const agent = await env.start({ watchYaml: `after_upload: { action: move, to: ${JSON.stringify(done)} }` });
    await env.write('sub/clip.mov', pattern(5000, 9));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload', timeoutMs: 15_000 });
    expect(await exists(path.join(env.hot, 'sub/clip.mov'))).toBe(false);
    expect(await fs.readFile(path.join(done, 'sub', 'clip.mov'), 'utf8')).toBe('someone else');
    expect((await fs.readFile(path.join(done, 'sub', 'clip (1).mov'))).equals(pattern(5000, 9))).toBe(true);
    // A rescan sees the moved file inside the watched tree; had it become a candidate, whenIdle
    // would wait for it to settle and upload.
    await agent.rescan();
    await agent.whenIdle();
    expect(live(env).filter((f) => f.name.startsWith('clip'))).toHaveLength(1);
  });

  it('tag: writes a sidecar, leaves the file, and never uploads the tagged file again, even after a restart', async () => {
    const env = await agentEnv();
    let agent = await env.start({ watchYaml: 'after_upload: { action: tag }' });
    const p = await env.write('tagged.mov', pattern(4000, 5));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload', timeoutMs: 15_000 });
    const side = JSON.parse(await fs.readFile(`${p}.frameio.json`, 'utf8'));
    const uploaded = completeNamed(env, 'tagged.mov');
    expect(uploaded).toHaveLength(1);
    expect(side.frameio_file_id).toBe(uploaded[0]!.id);
    expect(side.size).toBe(4000);
    expect(await exists(p)).toBe(true);
    await agent.stop();
    agent = await env.start({ watchYaml: 'after_upload: { action: tag }' });
    // The initial scan found it; the journal has this exact version as uploaded, so the watcher
    // handles it at once: no second settle, no trip through the pipeline.
    await agent.whenIdle();
    expect(env.logger.text().match(/tagged\.mov settled/g)).toHaveLength(1);
    expect(live(env).filter((f) => f.name === 'tagged.mov')).toHaveLength(1);
    expect(agent.runner.summary.done).toBe(0);
  });

  it('leave: a file whose done job was compacted into history is not uploaded again after a restart; an edited one is', async () => {
    const env = await agentEnv();
    let agent = await env.start({ watchYaml: 'after_upload: { action: leave }' });
    const kept = await env.write('kept.mov', pattern(3000, 6));
    const edited = await env.write('edited.mov', pattern(2000, 7));
    await waitFor(() => agent.runner.summary.done === 2, { what: 'uploads', timeoutMs: 15_000 });
    await agent.stop();
    const store = SqliteJobStore.inStateDir(env.stateDir);
    expect(await store.compactDone!(Date.now() + 1)).toBe(2);
    expect(await store.get('hot', 'kept.mov')).toBeUndefined();
    await store.close();
    await fs.appendFile(edited, 'more');
    agent = await env.start({ watchYaml: 'after_upload: { action: leave }' });
    await waitFor(() => agent.runner.summary.done === 1, { what: 'the edited file uploaded', timeoutMs: 15_000 });
    await agent.whenIdle();
    expect(await exists(kept)).toBe(true);
    expect(live(env).filter((f) => f.name === 'kept.mov')).toHaveLength(1);
    expect(live(env).filter((f) => f.name === 'edited.mov')).toHaveLength(2);
    await agent.stop();
  });

  it('delete: removes the original only after the upload is confirmed', async () => {
    const env = await agentEnv({ statusLagMs: 700 });
    const agent = await env.start({ watchYaml: 'after_upload: { action: delete }' });
    const p = await env.write('gone.mov', pattern(3000, 6));
    // While Frame.io has not confirmed (status lag), the original must still be there.
    await waitFor(() => live(env).some((f) => f.name === 'gone.mov' && f.partsReceived === f.partCount), { what: 'parts received' });
    expect(await exists(p)).toBe(true);
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload', timeoutMs: 15_000 });
    expect(await exists(p)).toBe(false);
    expect(completeNamed(env, 'gone.mov')).toHaveLength(1);
  });

  it('leave: keeps the file in place and does not upload it again on later rescans', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    const p = await env.write('stay.mov', pattern(1234, 8));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload', timeoutMs: 15_000 });
    await agent.rescan();
    await agent.whenIdle();
    expect(await exists(p)).toBe(true);
    expect(live(env).filter((f) => f.name === 'stay.mov')).toHaveLength(1);
  });

  it('failure: moves the file to the failed folder with a reason file, and other files still upload', async () => {
    const env = await agentEnv();
    const failed = path.join(env.root, 'failed');
    const agent = await env.start({
      uploadYaml: 'max_upload_attempts: 2',
      watchYaml: `on_failure: { action: move, to: ${JSON.stringify(failed)} }`,
    });
    // Every part URL of the first upload and of its redo answers "Request has expired".
    env.emu.inject({ target: 'part', kind: 'expired', count: 2 });
    await env.write('bad.mov', pattern(100, 1));
    await waitFor(() => agent.runner.summary.failed === 1, { what: 'failure', timeoutMs: 20_000 });
    await env.write('good.mov', pattern(100, 2));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'good upload', timeoutMs: 15_000 });
    const reason = await fs.readFile(path.join(failed, 'bad.mov.error.txt'), 'utf8');
    expect(reason).toMatch(/expired/);
    expect(reason).toMatch(/bad\.mov/);
    expect(await exists(path.join(failed, 'bad.mov'))).toBe(true);
    // The orphaned placeholders of the refused uploads were deleted.
    expect(live(env).filter((f) => f.name === 'bad.mov')).toHaveLength(0);
  });

  it('a file changed mid-upload is abandoned and uploaded again once it settles', async () => {
    const env = await agentEnv({ partSizeTarget: 32 * 1024 });
    const p = path.join(env.hot, 'edit.mov');
    const agent = await env.start();
    const touched = nextEvent(agent.events, 'progress', (e) => e.relPath === 'edit.mov' && e.bytes > 0);
    await fs.writeFile(p, pattern(1024 * 1024, 3));
    // The editor saves again while the agent is sending the first version (32 parts).
    await touched;
    await fs.appendFile(p, pattern(10_000, 99));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'second upload', timeoutMs: 20_000 });
    const expected = Buffer.concat([pattern(1024 * 1024, 3), pattern(10_000, 99)]);
    const complete = completeNamed(env, 'edit.mov');
    expect(complete).toHaveLength(1);
    expect((await env.emu.readFile(complete[0]!.id)).equals(expected)).toBe(true);
    expect(env.logger.text()).toMatch(/changed while uploading/);
    expect(env.emu.files().filter((f) => f.name === 'edit.mov' && f.deleted)).toHaveLength(1);
  });

  it('ignores temp files, dotfiles and partial downloads by default', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    for (const n of ['.hidden.mov', 'x.tmp', 'y.part', 'z.crdownload', '~lock.mov', '.DS_Store', 'Thumbs.db', '.clip.mov.Ab12Cd']) {
      await env.write(n, 'junk');
    }
    await env.write('real.mov', 'real');
    await waitFor(() => agent.runner.summary.done === 1, { what: 'real upload', timeoutMs: 15_000 });
    await agent.rescan();
    await agent.whenIdle();
    expect(live(env).map((f) => f.name)).toEqual(['real.mov']);
  });

  it('rides out an API outage during create: waits and carries on, uploading once', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    // More 503s than the client's own retries absorb (1 + max_retries 3 by default).
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_local_upload', count: 6 });
    await env.write('outage.mov', pattern(2000, 1));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload after outage', timeoutMs: 20_000 });
    expect(agent.runner.summary.failed).toBe(0);
    expect(env.emu.files().filter((f) => f.name === 'outage.mov')).toHaveLength(1);
    expect(env.logger.text()).toMatch(/outage\.mov: .*503.*trying again/);
  });

  it('an outage while verifying re-checks the status; the finished upload is never thrown away', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'upload_status', count: 6 });
    await env.write('verify.mov', pattern(2000, 2));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'verified upload', timeoutMs: 20_000 });
    const all = env.emu.files().filter((f) => f.name === 'verify.mov');
    expect(all).toHaveLength(1);
    expect(all[0]!.deleted).toBe(false);
    expect(env.emu.stats().partPuts).toBe(all[0]!.partCount);
  });

  it('upload_failed from Frame.io redoes the upload with a new placeholder (bounded)', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    env.emu.inject({ target: 'upload', kind: 'failed', count: 1 });
    await env.write('redo.mov', pattern(2000, 3));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'redone upload', timeoutMs: 20_000 });
    const all = env.emu.files().filter((f) => f.name === 'redo.mov');
    expect(all.filter((f) => f.deleted)).toHaveLength(1);
    expect(all.filter((f) => !f.deleted && f.uploadComplete)).toHaveLength(1);
  });

  it('a file changed after it was uploaded is a new version and is uploaded again', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    const p = await env.write('v.mov', pattern(1000, 1));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'first version' });
    await fs.writeFile(p, pattern(1500, 2));
    await waitFor(() => agent.runner.summary.done === 2, { what: 'second version', timeoutMs: 15_000 });
    const versions = completeNamed(env, 'v.mov');
    expect(versions).toHaveLength(2);
    expect(versions.map((f) => f.fileSize).sort()).toEqual([1000, 1500]);
  });

  it('tag: a tagged file is not uploaded again even when the journal is lost', async () => {
    const env = await agentEnv();
    let agent = await env.start({ watchYaml: 'after_upload: { action: tag }' });
    await env.write('keep.mov', pattern(900, 3));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload' });
    await agent.stop();
    await fs.rm(env.stateDir, { recursive: true, force: true });
    agent = await env.start({ watchYaml: 'after_upload: { action: tag }' });
    await waitFor(() => /keep\.mov is already in Frame\.io/.test(env.logger.text()), { what: 'sidecar recognised' });
    expect(live(env).filter((f) => f.name === 'keep.mov')).toHaveLength(1);
  });

  it('an original removed after its upload but before confirmation: confirmed, nothing to tag, no error', async () => {
    const env = await agentEnv({ statusLagMs: 1000 });
    const agent = await env.start({ watchYaml: 'after_upload: { action: tag }' });
    const p = await env.write('brief.mov', pattern(3000, 4));
    await waitFor(() => live(env).some((f) => f.name === 'brief.mov' && f.partsReceived === f.partCount), { what: 'parts received' });
    await fs.rm(p);
    await waitFor(() => agent.runner.summary.done === 1, { what: 'confirmed', timeoutMs: 15_000 });
    expect(env.logger.text()).toMatch(/brief\.mov .*the original was removed meanwhile, so there is nothing to tag/);
    expect(env.logger.records.filter((r) => r.level === 'error')).toEqual([]);
    expect(completeNamed(env, 'brief.mov')).toHaveLength(1);
  });

  it('a verification deadline never throws away an upload Frame.io then completes: no second upload', async () => {
    const env = await agentEnv({ statusLagMs: 2500 });
    const agent = await env.start({ uploadYaml: 'verify_timeout_seconds: 1' });
    await env.write('slowverify.mov', pattern(2000, 6));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'confirmed', timeoutMs: 20_000 });
    const all = env.emu.files().filter((f) => f.name === 'slowverify.mov');
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ deleted: false, uploadComplete: true });
    expect(env.logger.text()).toMatch(/slowverify\.mov: Frame\.io has this upload complete/);
  });

  it('a failed file put back into the hot folder is tried again, as its reason file says', async () => {
    const env = await agentEnv();
    const failed = path.join(env.root, 'failed');
    const agent = await env.start({ uploadYaml: 'max_upload_attempts: 1', watchYaml: `on_failure: { action: move, to: ${JSON.stringify(failed)} }` });
    env.emu.inject({ target: 'part', kind: 'expired', count: 1 });
    await env.write('back.mov', pattern(700, 8));
    await waitFor(() => agent.runner.summary.failed === 1, { what: 'failure' });
    expect(await fs.readFile(path.join(failed, 'back.mov.error.txt'), 'utf8')).toMatch(/move the file back into the hot folder/);
    await fs.rename(path.join(failed, 'back.mov'), path.join(env.hot, 'back.mov'));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'retried upload', timeoutMs: 15_000 });
    expect(completeNamed(env, 'back.mov')).toHaveLength(1);
    expect(env.logger.text()).toMatch(/back\.mov is back in the hot folder after failing; trying it again/);
  });
});

describe('pipeline events', () => {
  it('publishes each step of an upload in order, with the job, its parts and the after-upload action', async () => {
    const env = await agentEnv({ partSizeTarget: 32 * 1024 });
    const agent = await env.start({ watchYaml: `after_upload: { action: move, to: ${JSON.stringify(path.join(env.root, 'done'))} }` });
    const rec = recordEvents(agent.events);
    const finalized = nextEvent(agent.events, 'finalized', (e) => e.relPath === 'sub/steps.mov');
    await env.write('sub/steps.mov', pattern(100 * 1024, 5));
    const fin = await finalized;
    await agent.events.drained();
    const steps = rec.types('sub/steps.mov').filter((t) => t !== 'progress');
    const parts = completeNamed(env, 'steps.mov')[0]!.partCount;
    expect(parts).toBeGreaterThan(1);
    expect(steps).toEqual(['seen', 'settled', 'routed', 'upload-started', ...Array(parts).fill('part-done'), 'uploaded', 'verified', 'finalized']);
    const events = rec.events.filter((e) => e.relPath === 'sub/steps.mov');
    expect(new Set(events.map((e) => e.jobId)).size).toBe(1);
    expect(events.map((e) => e.time)).toEqual([...events.map((e) => e.time)].sort((a, b) => a - b));
    expect(rec.of('routed')[0]).toMatchObject({ watch: 'hot', folderPath: 'sub' });
    expect(rec.of('routed')[0]!.folderId).toBe(completeNamed(env, 'steps.mov')[0]!.parentId);
    expect(rec.of('upload-started')[0]).toMatchObject({ size: 100 * 1024, parts, partsDone: 0 });
    expect(rec.of('part-done').map((e) => e.index).sort((a, b) => a - b)).toEqual(Array.from({ length: parts }, (_, i) => i));
    expect(rec.of('part-done').reduce((n, e) => n + e.bytes, 0)).toBe(100 * 1024);
    expect(rec.of('progress').at(-1)).toMatchObject({ bytes: 100 * 1024, size: 100 * 1024 });
    expect(fin).toMatchObject({ action: 'move', where: path.join(env.root, 'done', 'sub', 'steps.mov') });
  });

  it('an outage is announced, its retry time given, and its end published once the job gets through', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    const rec = recordEvents(agent.events);
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_local_upload', count: 6 });
    const finalized = nextEvent(agent.events, 'finalized');
    await env.write('down.mov', pattern(2000, 1));
    await finalized;
    await agent.events.drained();
    const types = rec.types('down.mov').filter((t) => t !== 'progress');
    const began = types.indexOf('outage-began');
    const ended = types.indexOf('outage-ended');
    expect(began).toBeGreaterThan(-1);
    expect(types.filter((t) => t === 'outage-began')).toHaveLength(1);
    expect(types[began + 1]).toBe('retry-scheduled');
    expect(ended).toBeGreaterThan(began);
    expect(types[ended + 1]).toBe('part-done');
    expect(types).not.toContain('failed');
    const retry = rec.of('retry-scheduled')[0]!;
    expect(retry).toMatchObject({ scope: 'job', attempt: 1 });
    expect(retry.code).toBe(rec.of('outage-began')[0]!.code);
    expect(retry.at).toBeGreaterThan(retry.time);
    // The job really waited until then: its next step (settled again) is not earlier.
    const next = rec.events.find((e) => e.relPath === 'down.mov' && e.time >= retry.time && e.type === 'settled');
    expect(next!.time).toBeGreaterThanOrEqual(retry.at - 2);
  });

  it('a failure publishes its retries and then failed with the error code', async () => {
    const env = await agentEnv();
    const agent = await env.start({ uploadYaml: 'max_upload_attempts: 2' });
    const rec = recordEvents(agent.events);
    env.emu.inject({ target: 'part', kind: 'expired', count: 2 });
    const failed = nextEvent(agent.events, 'failed');
    await env.write('nope.mov', pattern(100, 1));
    const f = await failed;
    expect(f).toMatchObject({ relPath: 'nope.mov', code: 'upload_url_expired' });
    expect(f.message).toMatch(/expired/);
    await agent.events.drained();
    expect(rec.of('retry-scheduled').filter((e) => e.scope === 'job')).toMatchObject([{ code: 'upload_url_expired', attempt: 2 }]);
    expect(rec.types('nope.mov').filter((t) => t === 'upload-started')).toHaveLength(2);
    expect(rec.types('nope.mov')).not.toContain('finalized');
  });

  it('a subscriber that throws or never returns changes nothing for the uploads', async () => {
    const env = await agentEnv({ partSizeTarget: 32 * 1024 });
    const agent = await env.start();
    let thrown = 0;
    agent.events.subscribe(() => {
      thrown++;
      throw new Error('observer bug');
    }, { name: 'broken observer' });
    agent.events.subscribe(() => new Promise<void>(() => undefined), { name: 'stuck observer', bufferSize: 4 });
    await env.write('a.mov', pattern(300 * 1024, 1));
    await env.write('b.mov', pattern(300 * 1024, 2));
    await waitFor(() => agent.runner.summary.done === 2, { what: 'both uploads', timeoutMs: 15_000 });
    expect(completeNamed(env, 'a.mov')).toHaveLength(1);
    expect(completeNamed(env, 'b.mov')).toHaveLength(1);
    expect(thrown).toBeGreaterThan(10);
    expect(env.logger.at('warn').filter((m) => m.includes('broken observer'))).toHaveLength(1);
    expect(env.logger.at('error')).toEqual([]);
  });
});
