// Image sequences on a whole agent: real files written by a simulated renderer (each frame grows
// while it is written), the emulator over real sockets, the real journal. Proves completion by
// quiet time and by a marker file, the gap ranges, the summary line, the status listing and the
// {seq} routing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent, recordEvents } from '../helpers/events.js';
import { memoryIO } from '../helpers/memory-io.js';
import { pause, waitFor } from '../helpers/wait.js';
import { statusCommand } from '../../src/cli/status.js';
import { EventBus } from '../../src/events/index.js';
import { SqliteJobStore } from '../../src/journal/index.js';

const MISSING = new Set([1100, 1101, 1177]);
// Frame.io allows 5 upload creations a second, so 300 frames take a minute at the real limits
// (the agent paces itself by the advertised x-ratelimit figures). These tests are about
// sequences: the emulator enforces and advertises higher per-file limits.
const PER_SECOND = (limit: number) => ({ limit, windowMs: 1000 });
const FAST = { limits: { create_local_upload: PER_SECOND(200), show_file: PER_SECOND(400), upload_status: PER_SECOND(400) } };

/** 1,240 frames (1001–2240) written over about 20 s: 12 at a time, each batch growing for 190 ms. */
const RENDER_20S = { batch: 12, paceMs: 190 };

/**
 * Writes frames first..last (but the missing ones) under dir, `batch` at a time: each frame is
 * opened, half written, left growing for a moment, then finished, as a render node writes it.
 */
async function render(hot: string, dir: string, name: string, first: number, last: number, opts: { batch?: number; bytes?: number; missing?: Set<number>; paceMs?: number } = {}): Promise<number> {
  const abs = path.join(hot, dir);
  await fs.mkdir(abs, { recursive: true });
  const frames = [];
  for (let f = first; f <= last; f++) if (!opts.missing?.has(f)) frames.push(f);
  const size = opts.bytes ?? 3000;
  const batch = opts.batch ?? 12;
  for (let i = 0; i < frames.length; i += batch) {
    const handles = await Promise.all(frames.slice(i, i + batch).map((f) => fs.open(path.join(abs, `${name}.${String(f).padStart(4, '0')}.exr`), 'w')));
    await Promise.all(handles.map((h) => h.write(Buffer.alloc(size / 2, 1))));
    await pause(opts.paceMs ?? 40); // the renderer's pace: the frame is visibly growing
    await Promise.all(handles.map((h) => h.write(Buffer.alloc(size / 2, 2))));
    await Promise.all(handles.map((h) => h.close()));
  }
  return frames.length * size;
}

describe('image sequences on a running agent', () => {
  let env: AgentEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('completes a 1,240-frame render with 3 missing frames, written over 20 s, by quiet time: summary, gaps, status, {seq} folders', async () => {
    env = await agentEnv(FAST);
    const bus = new EventBus();
    const rec = recordEvents(bus);
    const agent = await env.start({
      events: bus,
      watchYaml: [
        'rules:',
        '  - match: "**/*.exr"',
        '    folder: "Renders/{seq}"',
        'sequences:',
        '  enabled: true',
        '  quiet_seconds: 1.5',
      ].join('\n'),
    });
    const done = nextEvent(bus, 'sequence-complete', (e) => e.name === 'sh010_comp', { timeoutMs: 60_000 });
    const doneOther = nextEvent(bus, 'sequence-complete', (e) => e.name === 'sh020_plate', { timeoutMs: 60_000 });
    const rendering = render(env.hot, 'renders', 'sh010_comp', 1001, 2240, { missing: MISSING, ...RENDER_20S });
    // While frames arrive, status lists the sequence with its progress.
    const mid = await waitFor(async () => (await agent.status()).sequences?.find((s) => s.name === 'sh010_comp' && s.uploaded > 0 && s.state !== 'complete'), { timeoutMs: 20_000, what: 'an open sequence in status' });
    expect(mid.frames).toBeGreaterThanOrEqual(mid.uploaded);
    const bytes = await rendering;
    const renderedAt = Date.now();
    await render(env.hot, 'renders', 'sh020_plate', 1, 5, { batch: 5 });

    const e = await done;
    expect(e).toMatchObject({
      watch: 'hot',
      relPath: 'renders/sh010_comp.####.exr',
      jobId: 0,
      first: 1001,
      last: 2240,
      frames: 1237,
      uploaded: 1237,
      failed: 0,
      missing: 3,
      gaps: '1100–1101, 1177',
      bytes,
      state: 'complete',
      completedBy: 'quiet',
      folderPath: 'Renders/sh010_comp',
    });
    expect(e.viewUrl).toMatch(/^https?:/);
    // Not before the render had been quiet for quiet_seconds after its last write.
    expect(e.completedAt! - renderedAt).toBeGreaterThanOrEqual(1400);
    expect((await doneOther).folderPath).toBe('Renders/sh020_plate');

    // Each frame went up one by one, into its shot's own folder, while the render was going on.
    const routed = rec.of('routed').filter((r) => r.relPath.startsWith('renders/sh010_comp.'));
    expect(routed).toHaveLength(1237);
    expect(new Set(routed.map((r) => r.folderPath))).toEqual(new Set(['Renders/sh010_comp']));
    const firstVerified = Math.min(...rec.of('verified').map((v) => v.time));
    expect(firstVerified).toBeLessThan(renderedAt);
    expect(rec.of('sequence-progress').some((p) => p.name === 'sh010_comp' && p.state === 'rendering' && p.uploaded < 1237)).toBe(true);

    // One summary line for the shot, with range, count, gaps, bytes, time and folder.
    const summary = env.logger.records.filter((r) => r.message.startsWith('sequence hot/renders/sh010_comp.####.exr complete'));
    expect(summary).toHaveLength(1);
    expect(summary[0]!.level).toBe('warn'); // gaps are worth a look
    expect(summary[0]!.message).toMatch(
      /^sequence hot\/renders\/sh010_comp\.####\.exr complete \(quiet\): frames 1001–2240, 1237\/1237 uploaded, missing 1100–1101, 1177 \(3 frames\), 3\.71 MB in [\d.]+ s → Frame\.io folder Renders\/sh010_comp \(view https?:\/\/\S+\)$/,
    );

    // The frames' own lines are debug: the log has one info/warn line per shot, not 1,237.
    expect(env.logger.at('info').filter((m) => m.startsWith('uploaded renders/sh010_comp.'))).toHaveLength(0);
    expect(env.logger.at('debug').filter((m) => m.startsWith('uploaded renders/sh010_comp.'))).toHaveLength(1237);

    // `status` (another process's view: the journal) lists both sequences.
    await waitFor(async () => {
      const io = memoryIO({}, env!.stateDir);
      await statusCommand({ stateDir: env!.stateDir }, io);
      return /sh020_plate.*complete/.test(io.stdoutText()) && /sh010_comp.*complete/.test(io.stdoutText()) ? io.stdoutText() : undefined;
    }, { what: 'both sequences in `status`' }).then((text) => {
      expect(text).toContain('image sequences:');
      expect(text.indexOf('image sequences:')).toBeLessThan(text.indexOf('recently uploaded:'));
      expect(text).toMatch(/hot\/renders\/sh010_comp\.####\.exr {2}complete {2}1237\/1237 frames {2}1001–2240 {2}missing 1100–1101, 1177 {2}3\.71 MB {2}→ Renders\/sh010_comp/);
    });
    const json = memoryIO({}, env.stateDir);
    await statusCommand({ stateDir: env.stateDir, json: true }, json);
    const listed = (JSON.parse(json.stdoutText()) as { sequences: Array<Record<string, unknown>> }).sequences;
    expect(listed.find((q) => q.name === 'sh010_comp')).toMatchObject({ watch: 'hot', sequence: 'renders/sh010_comp.####.exr', frames: 1237, uploaded: 1237, gaps: '1100–1101, 1177', state: 'complete' });
    rec.stop();
  }, 90_000);

  it('completes a 1,240-frame render written over 20 s by the marker file, never by quiet time, and never uploads the marker', async () => {
    env = await agentEnv(FAST);
    const bus = new EventBus();
    const rec = recordEvents(bus);
    const agent = await env.start({
      events: bus,
      watchYaml: ['sequences:', '  enabled: true', '  complete_when: marker', '  quiet_seconds: 0.2'].join('\n'),
    });
    await render(env.hot, 'out', 'sh030', 1001, 2240, { missing: MISSING, bytes: 1000, ...RENDER_20S });
    // Every frame is up and the render has long been quiet: still not complete without the marker.
    await waitFor(async () => (await agent.status()).sequences?.find((s) => s.name === 'sh030' && s.uploaded === 1237), { timeoutMs: 60_000, what: 'all frames uploaded' });
    await agent.rescan();
    await agent.whenIdle();
    await agent.sequences.tick();
    expect(rec.of('sequence-complete')).toHaveLength(0);
    expect((await agent.status()).sequences?.[0]).toMatchObject({ name: 'sh030', state: 'rendering', uploaded: 1237, frames: 1237 });

    const done = nextEvent(bus, 'sequence-complete', () => true, { timeoutMs: 10_000 });
    await fs.writeFile(path.join(env.hot, 'out', 'sh030.done'), '');
    const e = await done;
    expect(e).toMatchObject({ relPath: 'out/sh030.####.exr', completedBy: 'marker', frames: 1237, uploaded: 1237, gaps: '1100–1101, 1177', folderPath: 'out' });
    expect(env.logger.text()).toMatch(/sequence hot\/out\/sh030\.####\.exr complete \(marker file\): frames 1001–2240, 1237\/1237 uploaded, missing 1100–1101, 1177/);
    await agent.rescan();
    await agent.whenIdle();
    expect(rec.events.filter((x) => x.relPath.endsWith('.done'))).toHaveLength(0);
    rec.stop();
  }, 90_000);

  it('on_gaps hold waits for a missing frame written late, then completes without gaps', async () => {
    env = await agentEnv(FAST);
    const bus = new EventBus();
    await env.start({ events: bus, watchYaml: ['sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  on_gaps: hold', '  hold_limit_seconds: 30'].join('\n') });
    const rec = recordEvents(bus);
    await render(env.hot, '', 'sh040', 1, 10, { missing: new Set([5]), batch: 10 });
    await nextEvent(bus, 'sequence-progress', (e) => e.state === 'holding', { timeoutMs: 20_000 });
    expect(env.logger.text()).toMatch(/sequence hot\/sh040\.####\.exr: waiting up to \d+ s for missing frames 5/);
    const done = nextEvent(bus, 'sequence-complete', () => true, { timeoutMs: 20_000 });
    await render(env.hot, '', 'sh040', 5, 5);
    expect(await done).toMatchObject({ frames: 10, uploaded: 10, missing: 0, gaps: '' });
    expect(rec.of('sequence-complete')).toHaveLength(1);
    rec.stop();
  }, 60_000);

  it('a sequence open across a restart completes with every frame, its gaps and its bytes', async () => {
    env = await agentEnv(FAST);
    const watchYaml = ['sequences:', '  enabled: true', '  quiet_seconds: 2'].join('\n');
    const before = await env.start({ watchYaml });
    const firstBytes = await render(env.hot, 'renders', 'sh050', 1001, 1100, { missing: new Set([1050]) });
    await waitFor(async () => (await before.status()).sequences?.find((s) => s.name === 'sh050' && s.uploaded === 99), { timeoutMs: 30_000, what: '99 frames uploaded' });
    await before.stop();
    // The second half is rendered while the agent is down; the first half stays where it was (action leave).
    const secondBytes = await render(env.hot, 'renders', 'sh050', 1101, 1200, { missing: new Set([1150, 1151]) });

    const bus = new EventBus();
    const done = nextEvent(bus, 'sequence-complete', (e) => e.name === 'sh050', { timeoutMs: 60_000 });
    const after = await env.start({ events: bus, watchYaml });
    const e = await done;
    expect(e).toMatchObject({
      relPath: 'renders/sh050.####.exr',
      first: 1001,
      last: 1200,
      frames: 197,
      uploaded: 197,
      failed: 0,
      missing: 3,
      gaps: '1050, 1150–1151',
      bytes: firstBytes + secondBytes,
      folderPath: 'renders',
    });
    // No frame went up twice, and the summary covers the whole shot in one line.
    expect(env.emu.files().filter((f) => f.name.startsWith('sh050.'))).toHaveLength(197);
    const summary = env.logger.records.filter((r) => r.message.startsWith('sequence hot/renders/sh050.####.exr complete'));
    expect(summary).toHaveLength(1);
    expect(summary[0]!.message).toMatch(/frames 1001–1200, 197\/197 uploaded, missing 1050, 1150–1151 \(3 frames\)/);
    // Complete: its resume key is deleted (the status record stays for `status`).
    await after.stop();
    const journal = SqliteJobStore.inStateDir(env.stateDir);
    expect([...(await journal.listSettings('sequence-track/')).keys()]).toEqual([]);
    expect([...(await journal.listSettings('sequence/')).keys()]).toHaveLength(1);
    await journal.close();
  }, 90_000);
});
