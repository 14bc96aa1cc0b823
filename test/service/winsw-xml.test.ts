// The Windows definition: the WinSW XML `service install --platform win32` writes, parsed with a
// real XML parser and checked against the schema in winsw-schema.ts; its <arguments> read back
// the way Windows splits a command line.
import fs from 'node:fs/promises';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { windowsArg } from '../../src/service/index.js';
import { serviceCli, serviceFixture } from './fixture.js';
import { validateWinsw } from './winsw-schema.js';

/** CommandLineToArgvW's rules for backslashes and quotes. */
function splitWindows(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      let n = 0;
      while (line[i] === '\\') (n++, i++);
      if (line[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else (quoted = !quoted);
      } else {
        cur += '\\'.repeat(n);
        i--;
      }
      any = true;
    } else if (c === '"') (quoted = !quoted, (any = true));
    else if (/\s/.test(c) && !quoted) {
      if (any) args.push(cur);
      cur = '';
      any = false;
    } else (cur += c, (any = true));
  }
  if (any) args.push(cur);
  return args;
}

function text(xml: string, tag: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return doc.getElementsByTagName(tag)[0]!.textContent ?? '';
}

describe('service install (WinSW)', () => {
  it('writes <name>.xml that parses and matches the WinSW schema, restarting on failure, with no secret', async () => {
    const { dir, config, token } = await serviceFixture('Post "Edit" & co');
    const r = await serviceCli(['install', '--platform', 'win32', '--config', config, '--unit-dir', path.join(dir, 'svc')], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const xml = await fs.readFile(path.join(dir, 'svc', 'frameio-agent.xml'), 'utf8');
    expect(validateWinsw(xml)).toEqual([]);
    expect(xml).not.toContain('tok-launch-secret-77');
    expect(xml).toContain('Post &quot;Edit&quot; &amp; co');
    expect(text(xml, 'id')).toBe('frameio-agent');
    expect(text(xml, 'executable')).toBe(process.execPath);
    expect(splitWindows(text(xml, 'arguments')).slice(1)).toEqual(['run', '--config', config, '--token-file', token]);
    expect(text(xml, 'workingdirectory')).toBe(path.join(dir, 'state'));
    expect(xml).toContain('<onfailure action="restart" delay="10 sec"/>');
    // Windows repeats the last action: later failures wait 5 minutes each.
    expect([...xml.matchAll(/<onfailure action="restart" delay="([^"]+)"\/>/g)].map((m) => m[1])).toEqual(['10 sec', '60 sec', '5 min']);
    expect(r.stdout).toContain(`put WinSW (https://github.com/winsw/winsw/releases) at ${path.join(dir, 'svc', 'frameio-agent.exe')}`);
    expect(r.stdout).toContain(`  "${path.join(dir, 'svc', 'frameio-agent.exe')}" install\n`);
  });

  it('quotes arguments so Windows reads them back unchanged', () => {
    for (const a of ['plain', 'with space', 'C:\\dir with space\\', 'say "hi"', 'a\\\\"b', '']) {
      expect(splitWindows(`x ${windowsArg(a)}`)).toEqual(['x', a]);
    }
  });

  it('the schema catches what WinSW would not accept (so the check above means something)', () => {
    const good = '<service><id>a</id><executable>node</executable><onfailure action="restart" delay="10 sec"/></service>';
    expect(validateWinsw(good)).toEqual([]);
    expect(validateWinsw('<service><id>a</id></service>')).toEqual(['/service/executable: required element missing']);
    expect(validateWinsw(good.replace('restart', 'retry'))).toEqual(['/service/onfailure: attribute action="retry" is not allowed']);
    expect(validateWinsw(good.replace('10 sec', 'soon'))).toEqual(['/service/onfailure: attribute delay="soon" is not allowed']);
    expect(validateWinsw(good.replace('<id>a</id>', '<id>a</id><idd>b</idd>'))).toEqual(['/service/idd: unknown element']);
    expect(validateWinsw('<service><id>a</idx></service>')).toEqual(['xml: Opening and ending tag mismatch: "id" != "idx"']);
  });

  it('refuses a path WinSW would expand as %VARIABLE%', async () => {
    const { dir, config } = await serviceFixture('%USERPROFILE%');
    const r = await serviceCli(['install', '--platform', 'win32', '--config', config, '--print'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('which WinSW would replace with an environment variable');
  });
});
