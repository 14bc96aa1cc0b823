// The status page in a real browser (Debian's chromium) on an agent whose journal is a real
// PostgreSQL database shared with another real agent: the Agents table lists both (and one that
// stopped beating as "gone?"), and an upload claimed by the other agent names it as its holder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startHttpSurface, type HttpSurface } from '../../src/http/index.js';
import { PgJobStore } from '../../src/journal/index.js';
import type { RunningAgent } from '../../src/agent.js';
import { PARTS, facts } from '../journal/helpers.js';


let server: TestPostgres;
let envA: AgentEnv;
let envB: AgentEnv;
let agentA: RunningAgent;
let agentB: RunningAgent;
let writer: PgJobStore;
let surface: HttpSurface;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  server = await sharedPostgres();
  const url = await server.createDatabase('page_agents');
  const topYaml = `journal:\n  url: ${JSON.stringify(url)}`;
  envA = await agentEnv();
  envB = await agentEnv();
  agentA = await envA.start({ topYaml, heartbeatMs: 300 });
  agentB = await envB.start({ topYaml, heartbeatMs: 300 });
  writer = await PgJobStore.open(url);
  surface = await startHttpSurface({ agent: agentA, watches: [{ name: 'hot', path: envA.hot, folderId: envA.emu.rootFolderId }], listen: '127.0.0.1:0', logger: envA.logger });
  browser = await launchBrowser();
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await surface?.close();
  await writer?.close();
  await envA?.close();
  await envB?.close();
  await server?.stop();
});

describe('status page with agents on one PostgreSQL journal', () => {
  it('lists every agent, marks a silent one gone?, and names the holder of an upload', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // An upload claimed by B, as the pipeline claims jobs; and an agent that stopped beating (killed).
    const { job } = await writer.observe('farm', 'shot010.exr', '/mnt/farm/shot010.exr', facts());
    await writer.transition(job.id, 'settled');
    await writer.transition(job.id, 'uploading', { parts: PARTS, fileId: 'file-farm' });
    await writer.claim(job.id, agentB.identity.id, 120_000);
    await writer.agents.beat({ id: 'render09#deadbeef', host: 'render09', pid: 777, version: '0.0.1', startedAt: Date.now() - 60_000, filesInFlight: 2 });

    await page.goto(surface.url);
    const row = (id: string) => page.locator(`#agents tr[data-agent="${id}"]`);
    await row(agentA.identity.id).waitFor();
    expect(await row(agentA.identity.id).locator('td').first().textContent()).toBe(`${agentA.identity.id} (this agent)`);
    expect(await row(agentB.identity.id).locator('td').nth(2).textContent()).toBe(String(process.pid));
    // render09 beats no more: after 3 periods the page (refreshing by itself) shows it as gone?.
    await expect.poll(() => row('render09#deadbeef').locator('.agent-state').textContent(), { timeout: 15_000 }).toBe('gone?');
    // Its last beat said 2 files in flight: a gone agent uploads nothing, so none are counted.
    expect(await row('render09#deadbeef').locator('td').allTextContents()).toEqual(['render09#deadbeef', 'render09', '777', '0.0.1', expect.stringMatching(/ s ago$/), '—', 'gone?']);
    expect(await row(agentB.identity.id).locator('.agent-state').textContent()).toBe('running');

    const holder = page.locator('#uploads [data-path="farm/shot010.exr"] .holder');
    await expect.poll(() => holder.textContent()).toBe(`held by ${agentB.identity.host} (pid ${process.pid})`);
    expect(await holder.getAttribute('data-holder')).toBe(agentB.identity.id);
    expect(errors).toEqual([]);
  }, 60_000);
});
