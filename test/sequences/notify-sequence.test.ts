// sequence.complete is sent: one webhook message per completed sequence, with range, gaps and folder.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentEnv } from '../helpers/agent-env.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { waitFor } from '../helpers/wait.js';
import { startReceiver } from '../notify/receiver.js';
import { slackText } from '../../src/notify/messages.js';

describe('sequence.complete notifications', () => {
  it('sends one message per completed sequence, and none for frames or for watches of other events', async () => {
    const rx = closeAfterTest(await startReceiver());
    const env = closeAfterTest(await agentEnv());
    const agent = await env.start({
      watchYaml: ['rules:', '  - match: "**/*.dpx"', '    folder: "Plates/{seq}"', 'sequences:', '  enabled: true', '  quiet_seconds: 0.5'].join('\n'),
      topYaml: ['notify:', '  - type: webhook', `    url: ${JSON.stringify(rx.url)}`, '    on: [sequence.complete]'].join('\n'),
      notify: { retryBaseMs: 50, retryMaxMs: 200 },
    });
    await fs.mkdir(path.join(env.hot, 'in'));
    for (let f = 1; f <= 12; f++) if (f !== 7) await fs.writeFile(path.join(env.hot, 'in', `pl_${String(f).padStart(3, '0')}.dpx`), Buffer.alloc(500, f));
    const msg = await waitFor(() => rx.received.find((r) => r.json.event === 'sequence.complete'), { timeoutMs: 20_000, what: 'a sequence.complete message' });
    expect(msg.json).toMatchObject({
      event: 'sequence.complete',
      watch: 'hot',
      sequence: 'in/pl_###.dpx',
      name: 'pl',
      frames: '1–12',
      count: 11,
      uploaded: 11,
      missing: 1,
      gaps: '7',
      bytes: 5500,
      completed_by: 'quiet',
      folder: 'Plates/pl',
    });
    await agent.stop();
    expect(rx.received.map((r) => r.json.event)).toEqual(['sequence.complete']);
  }, 40_000);

  it('Slack text names the sequence, range, gaps and folder, escaped', () => {
    const text = slackText(
      {
        event: 'sequence.complete',
        watch: 'hot',
        sequence: 'r/<sh>.####.exr',
        info: { name: '<sh>', first: 1001, last: 1240, frames: 1237, uploaded: 1237, failed: 0, bytes: 2048, gaps: '1100–1101, 1177', missing: 3, state: 'complete', startedAt: 0, completedAt: 1000, completedBy: 'quiet', folderPath: 'Renders/sh', folderId: 'f', viewUrl: null },
      },
      'host',
    );
    expect(text).toBe('*host*: sequence r/&lt;sh&gt;.####.exr complete: frames 1001–1240, 1237/1237 uploaded, missing 1100–1101, 1177 (2.0 KiB) → hot/Renders/sh');
  });
});
