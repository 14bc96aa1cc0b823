// Config files that would exhaust the machine are refused with a message naming the file,
// before any expensive work: a YAML alias bomb, and a file far too big to be a config.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/issues.js';
import { expandedSize, loadConfig, MAX_CONFIG_BYTES, MAX_EXPANDED_NODES } from '../../src/config/load.js';
import { lines, parse, problems } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';

/** A small file whose rules list expands to 10^levels rules through nested aliases. */
function aliasBomb(levels: number): string {
  const out = ['x-rules:', '  r0: &r0 {match: "*.mov", folder: "a/b/c"}'];
  for (let i = 1; i <= levels; i++) out.push(`  r${i}: &r${i} [${Array(10).fill(`*r${i - 1}`).join(', ')}]`);
  return lines(...out, 'watches:', '  - path: /hot', '    folder_id: f1', `    rules: *r${levels}`);
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('YAML alias expansion', () => {
  it('counts expanded nodes without expanding them', () => {
    expect(expandedSize(parseDocument('a: &a [1, 2]\nb: [*a, *a]\n'), 1000)).toBe(13); // map, a, [1, 2] (3), b, [*a, *a] (1 + 3 + 3)
    // 10^12 nodes once expanded: counting must stop at the limit, not try.
    expect(expandedSize(parseDocument(aliasBomb(12)), MAX_EXPANDED_NODES)).toBe(MAX_EXPANDED_NODES + 1);
  });

  it('refuses a file whose aliases expand to a million rules, naming the file', () => {
    const text = aliasBomb(6);
    expect(text.length).toBeLessThan(8 * 1024);
    expect(problems(text)).toEqual([
      `agent.yaml YAML aliases (*name) expand the file to more than ${MAX_EXPANDED_NODES} values: refusing it (write the repeated parts out, or reuse them less)`,
    ]);
  });

  it('still accepts a rule list shared by several watches', () => {
    const cfg = parse(
      lines(
        'watches:',
        '  - path: /a',
        '    folder_id: f1',
        '    rules: &common',
        '      - {match: "**/*.mov", folder: "video"}',
        '      - {match: "**/*.wav", folder: "audio"}',
        ...['b', 'c'].flatMap((n) => [`  - path: /${n}`, '    folder_id: f1', '    rules: *common']),
      ),
    );
    expect(cfg.watches.map((w) => w.rules.length)).toEqual([2, 2, 2]);
  });
});

describe('config file size', () => {
  it('refuses a file over 1 MiB before reading it, naming the file', async () => {
    const t = await tempDir('fia-limits-');
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'huge.yaml');
    await fs.writeFile(file, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    const err = await loadConfig(file, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(`${file}: 1 problem in the configuration\n${file} the file is 1.0 MiB; a configuration may be at most 1 MiB`);
  });
});
