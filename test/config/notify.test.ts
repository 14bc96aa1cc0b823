// The notify: section: defaults, the example's block, and clear errors that never show a URL.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lines, parse, problems } from './helpers.js';

const BASE = lines('frameio: { token: tok-1234567890 }', 'watches:', '  - { path: /in, folder_id: abc }');
const HOOK = 'https://hooks.slack.com/services/T0001/B0002/XyZsecretPart123';

describe('notify config', () => {
  it('fills defaults and names a target by a hash of its URL, not the URL', () => {
    const cfg = parse(BASE + lines('notify:', '  - type: slack', '    url: "${SLACK_URL}"', '    on: [file.uploaded, sequence.complete]'), { SLACK_URL: HOOK });
    expect(cfg.notify).toEqual([
      { type: 'slack', name: expect.stringMatching(/^slack-[0-9a-f]{10}$/) as string, url: HOOK, on: ['file.uploaded', 'sequence.complete'], batchSeconds: 30, stalledMinutes: 15, giveUpMinutes: 1440 },
    ]);
    expect(parse(BASE).notify).toEqual([]);
  });

  it("parses agent.example.yaml's commented notify block once uncommented", () => {
    const text = readFileSync(fileURLToPath(new URL('../../agent.example.yaml', import.meta.url)), 'utf8');
    const block = text.slice(text.indexOf('#notify:')).split('\n').filter((l) => l.startsWith('#')).map((l) => l.slice(1)).join('\n');
    const cfg = parse(BASE + block, { SLACK_WEBHOOK_URL: HOOK, NOTIFY_WEBHOOK_URL: 'https://example.com/hook', NOTIFY_WEBHOOK_SECRET: 'shh-0123456789' });
    expect(cfg.notify?.map((t) => [t.type, t.name, t.on.length])).toEqual([['slack', 'editors', 5], ['webhook', expect.stringMatching(/^webhook-/), 5]]);
    expect(cfg.notify?.[1]?.secret).toBe('shh-0123456789');
  });

  it('names the line of an unknown event, a missing url, a Slack secret and a duplicate name', () => {
    const out = problems(
      BASE +
        lines(
          'notify:',
          '  - type: webhook',
          `    url: ${HOOK}`,
          '    on: [file.uploaded, file.deleted]',
          '  - type: slack',
          '    on: [agent.started]',
          '  - type: slack',
          `    url: ${HOOK}`,
          '    secret: abcdefgh12345',
          '    name: a',
          '    on: [agent.started]',
          '  - type: webhook',
          `    url: ${HOOK}`,
          '    name: a',
          '    on: [agent.started]',
        ),
    );
    expect(out.join('\n')).toMatch(/agent\.yaml:7:\d+.*unknown .*'file\.deleted' \(expected one of file\.uploaded/);
    expect(out.join('\n')).toMatch(/notify\[1\].*url/);
    expect(out.join('\n')).toMatch(/agent\.yaml:12:\d+.*'secret' is only used with type 'webhook'/);
    expect(out.join('\n')).toMatch(/duplicate notify target 'a' \(also notify\[2\]\)/);
  });

  it('never shows the URL in an error about it', () => {
    const out = problems(BASE + lines('notify:', '  - type: slack', '    url: "ftp://hooks.example/T1/B2/supersecretvalue"', '    on: [agent.started]'));
    expect(out.join('\n')).toMatch(/notify\[0\]\.url/);
    expect(out.join('\n')).not.toContain('supersecretvalue');
  });
});
