// Every name the file system allows is either uploaded or reported: newlines, tabs, leading
// dashes, unicode, backslashes and glob characters in real file and directory names.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern, waitFor } from '../helpers/tmp.js';
import { createFileFilter } from '../../src/rules/filter.js';
import { compileGlob } from '../../src/rules/glob.js';
import { route } from '../../src/rules/route.js';
import { watchConfig } from './watch-fixture.js';

// Names a POSIX file system accepts (Windows forbids some; these tests run on POSIX).
const ODD_DIRS = ['a\nb', 'tab\there', '-rf', '--help', 'é-café', 'back\\slash', '[x]', 'st*r', 'q?', '{a,b}', ' lead space'];
const posix = process.platform !== 'win32';

describe('glob matching of odd names', () => {
  it('** and * match names containing newlines', () => {
    expect(compileGlob('**/*')('a\nb/clip.mov')).toBe(true);
    expect(compileGlob('**/*.mov')('a\nb/c\nd/x\ny.mov')).toBe(true);
    expect(compileGlob('*/*.mov')('a\nb/clip.mov')).toBe(true);
    expect(compileGlob('*.mov')('a\nb/clip.mov')).toBe(false); // still one segment only
  });

  it('composed and decomposed unicode spellings match each other', () => {
    const nfd = 'e\u0301t\u00e9'.normalize('NFD');
    expect(compileGlob('\u00e9t\u00e9/**')(`${nfd}/clip.mov`)).toBe(true);
  });

  it.runIf(posix)('a backslash is part of a name on POSIX, not a separator', () => {
    const filter = createFileFilter(watchConfig({ recursive: false }), []);
    expect(filter('back\\slash.mov', false).accept).toBe(true);
    expect(compileGlob('*.mov')('back\\slash.mov')).toBe(true);
  });

  it('routes every odd directory name through the default rules', () => {
    const w = watchConfig();
    const filter = createFileFilter(w, []);
    for (const dir of ODD_DIRS) {
      const rel = `${dir}/clip.mov`;
      expect(filter(dir, true).accept, JSON.stringify(dir)).toBe(true);
      expect(filter(rel, false).accept, JSON.stringify(rel)).toBe(true);
      const r = route({ relPath: rel, size: 1, mtimeMs: 0 }, w, new Date(0));
      expect(r, JSON.stringify(rel)).toMatchObject({ skip: false, segments: [dir] });
    }
  });
});

describe.runIf(posix)('odd names end to end through the agent', () => {
  let env: AgentEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('uploads files under directories named with a newline, a tab, a dash, unicode, a backslash and glob characters', async () => {
    env = await agentEnv();
    const agent = await env.start({ watchYaml: 'include: ["**/*.mov"]' });
    const names = ODD_DIRS.map((dir, i) => ({ dir, file: `clip-${i}.mov` }));
    for (const [i, n] of names.entries()) {
      await fs.mkdir(path.join(env.hot, n.dir), { recursive: true });
      await fs.writeFile(path.join(env.hot, n.dir, n.file), pattern(1000 + i, i));
    }
    await waitFor(() => agent.runner.summary.done === names.length, { what: `${names.length} uploads`, timeoutMs: 30_000 });
    const files = env.emu.files().filter((f) => !f.deleted && f.uploadComplete);
    for (const n of names) {
      const f = files.find((x) => x.name === n.file);
      expect(f, JSON.stringify(n.dir)).toBeDefined();
      expect(env.emu.folderPath(f!.parentId).endsWith(`/${n.dir}`), JSON.stringify(n.dir)).toBe(true);
    }
    expect(agent.runner.summary.failed).toBe(0);
  });
});

describe.runIf(process.platform === 'linux')('names that are not valid UTF-8', () => {
  let env: AgentEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('are reported once by name instead of silently never uploaded', async () => {
    env = await agentEnv();
    // poll: files are found only by full rescans, so a second upload proves a second pass.
    const agent = await env.start({ watchYaml: 'poll: true' });
    // Linux allows any bytes but '/' and NUL in a name; Node decodes 0xff as U+FFFD and cannot open it by that string.
    const hotBytes = Buffer.from(env.hot);
    await fs.writeFile(Buffer.concat([hotBytes, Buffer.from('/bad-'), Buffer.from([0xff]), Buffer.from('.mov')]), pattern(500, 1));
    await fs.mkdir(Buffer.concat([hotBytes, Buffer.from('/dir-'), Buffer.from([0xfe])]));
    await env.write('good.mov', pattern(700, 2));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'good upload', timeoutMs: 15_000 });
    await waitFor(() => env!.logger.records.filter((r) => r.level === 'warn' && r.message.includes('not valid UTF-8')).length >= 2, { what: 'warnings' });
    const warnings = env.logger.records.filter((r) => r.level === 'warn' && r.message.includes('not valid UTF-8')).map((r) => r.message);
    expect(warnings).toContain(`cannot upload "bad-\uFFFD.mov" in ${env.hot}: the name is not valid UTF-8, so it cannot be opened; rename it`);
    expect(warnings).toContain(`cannot upload "dir-\uFFFD" in ${env.hot}: the name is not valid UTF-8, so it cannot be opened; rename it`);
    // A later pass walks the same names again and stays quiet about them.
    await env.write('good2.mov', pattern(900, 3));
    await waitFor(() => agent.runner.summary.done === 2, { what: 'second upload (a later rescan)', timeoutMs: 15_000 });
    expect(env.logger.records.filter((r) => r.level === 'warn' && r.message.includes('not valid UTF-8'))).toHaveLength(2);
  });
});
