// The status page in a real browser (Debian's chromium, driven by playwright-core) against a real
// agent and the emulator: live updates without reloads, search → history, Retry on a failed file.
// Writes docs/status-page.png (linked from the README).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent } from '../helpers/events.js';
import { startHttpSurface, type HttpSurface } from '../../src/http/index.js';
import type { RunningAgent } from '../../src/agent.js';

const SCREENSHOT = fileURLToPath(new URL('../../docs/status-page.png', import.meta.url));

let env: AgentEnv;
let agent: RunningAgent;
let surface: HttpSurface;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  // Slow enough that an upload is visible in flight, fast enough for a test.
  env = await agentEnv({ linkBytesPerSecond: 2 * 1024 * 1024 });
  // Sequences on, with a quiet time longer than the test: the one rendered below stays open.
  agent = await env.start({ uploadYaml: 'max_upload_attempts: 1', watchYaml: 'sequences:\n  enabled: true\n  quiet_seconds: 600' });
  surface = await startHttpSurface({ agent, watches: [{ name: 'hot', path: env.hot, folderId: env.emu.rootFolderId }], listen: '127.0.0.1:0', logger: env.logger });
  browser = await launchBrowser();
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await surface?.close();
  await env?.close();
});

describe('status page', () => {
  it('shows a file go from queued to uploaded live, its history on search, and uploads a failed file after Retry', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(surface.url);
    await expect.poll(() => page.locator('#agent-state').getAttribute('data-state')).toBe('running');
    // A mark on the window: still there at the end means no reload happened.
    await page.evaluate(() => ((globalThis as unknown as { mark: number }).mark = 42));
    // The agents on the journal: on a local journal, this agent alone, with its id, host and pid.
    const self = page.locator(`#agents tr[data-agent="${agent.identity.id}"]`);
    await self.waitFor();
    expect(await self.locator('td').allTextContents()).toEqual([
      `${agent.identity.id} (this agent)`, agent.identity.host, String(process.pid), expect.any(String), expect.stringMatching(/ s ago$/), '0', 'running',
    ]);

    // Paused from the page: the file settles and is journaled, but its upload does not start.
    await page.click('#pause');
    await expect.poll(() => page.locator('#agent-state').getAttribute('data-state')).toBe('paused');
    expect(agent.transfers.pause.paused).toBe(true);
    const seen = nextEvent(agent.events, 'seen', (e) => e.relPath === 'Shots/live.mov');
    await env.write('Shots/live.mov', Buffer.alloc(6 * 1024 * 1024, 3));
    await seen;
    await page.locator('#watches tr[data-watch="hot"]').waitFor();
    expect(env.emu.files().filter((f) => f.name === 'live.mov')).toHaveLength(0);
    const done = nextEvent(agent.events, 'finalized', (e) => e.relPath === 'Shots/live.mov', { timeoutMs: 30_000 });
    await page.click('#resume');
    // Live progress: the bar's text moves past zero bytes while the file is still uploading.
    await expect.poll(() => page.locator('#uploads [data-path="hot/Shots/live.mov"] .progress').textContent(), { timeout: 20_000 })
      .toMatch(/^[1-9][\d.]* (KB|MB) of 6\.3 MB/);
    await done;
    await page.locator('#files tr[data-path="hot/Shots/live.mov"][data-state="done"]').waitFor();
    await page.locator('#uploads .empty').waitFor();

    // An image sequence being rendered, with a gap: listed with its progress, live, and in the JSON API.
    const frames = [1001, 1002, 1003, 1004, 1005, 1008, 1009, 1010];
    for (const f of frames) await env.write(`shots/sh010_comp.${f}.exr`, Buffer.alloc(2000, f % 251));
    const seq = page.locator('#sequences tr[data-sequence="hot/shots/sh010_comp.####.exr"]');
    await expect.poll(() => seq.locator('.progress').textContent(), { timeout: 20_000 }).toBe('8/8 frames');
    expect(await seq.getAttribute('data-state')).not.toBe('complete');
    expect(await seq.locator('.range').textContent()).toBe('1001–1010');
    expect(await seq.locator('.gaps').textContent()).toBe('missing 1006–1007');
    const api = await page.evaluate(async () => (await (await fetch('/api/status')).json()) as { sequences?: Array<Record<string, unknown>> });
    expect(api.sequences?.find((q) => q.sequence === 'shots/sh010_comp.####.exr')).toMatchObject({ watch: 'hot', frames: 8, uploaded: 8, gaps: '1006–1007', missing: 2, first: 1001, last: 1010 });

    // Search by name, open the file's history.
    await page.fill('#search', 'live.mov');
    await page.click('#search-form button');
    await expect.poll(() => page.locator('#files tbody tr').count()).toBe(1);
    await page.click('#files a.file');
    await page.locator('#history-events li[data-type="finalized"]').waitFor();
    const history = await page.locator('#history-events').textContent();
    expect(history).toMatch(/seen/);
    expect(history).toMatch(/routed to Frame\.io folder/);
    expect(history).toMatch(/verified by Frame\.io/);
    await expect.poll(() => page.locator('#history-events li[data-type="verified"] a').getAttribute('href')).toMatch(/^https?:\/\//);

    // A failure (Frame.io reports the upload failed), then Retry from the page.
    env.emu.inject({ target: 'upload', kind: 'failed' });
    const failed = nextEvent(agent.events, 'failed', (e) => e.relPath === 'broken.mov', { timeoutMs: 30_000 });
    await env.write('broken.mov', Buffer.alloc(300_000, 9));
    await failed;
    const row = page.locator('#failures tr[data-path="hot/broken.mov"]');
    await row.waitFor();
    expect(await row.textContent()).toMatch(/upload/i);
    await page.fill('#search', '');
    await page.click('#search-form button');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const uploaded = nextEvent(agent.events, 'finalized', (e) => e.relPath === 'broken.mov', { timeoutMs: 30_000 });
    await row.locator('button.retry').click();
    await uploaded;
    await page.locator('#files tr[data-path="hot/broken.mov"][data-state="done"]').waitFor();
    await expect.poll(() => page.locator('#failures tr[data-path="hot/broken.mov"]').count()).toBe(0);

    expect(await page.evaluate(() => (globalThis as unknown as { mark?: number }).mark)).toBe(42);
    expect(errors).toEqual([]);
  }, 120_000);
});
