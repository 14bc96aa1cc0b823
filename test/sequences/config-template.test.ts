import { describe, expect, it } from 'vitest';
import { folderTemplateProblem, renderFolderTemplate } from '../../src/rules/template.js';
import { lines, parse, problems } from '../config/helpers.js';

const now = new Date(2024, 2, 7, 12, 0);

describe('{seq} in folder templates', () => {
  it('is the sequence name of a frame, from the frame alone', () => {
    expect(renderFolderTemplate('Renders/{date}/{seq}', { relPath: 'out/sh010_comp.1001.exr' }, now)).toEqual(['Renders', '2024-03-07', 'sh010_comp']);
    expect(renderFolderTemplate('{seq}', { relPath: 'sh020_plate_0042.dpx' }, now)).toEqual(['sh020_plate']);
    expect(renderFolderTemplate('{seq}', { relPath: 'plate1001.tif' }, now)).toEqual(['plate']);
  });

  it('is the stem for a file that is not a frame', () => {
    expect(renderFolderTemplate('{seq}', { relPath: 'notes.v2.txt' }, now)).toEqual(['notes.v2']);
  });

  it('{frames} is refused in folders, saying why', () => {
    expect(folderTemplateProblem('Renders/{seq}/{frames}')).toMatch(/known only once the sequence is complete/);
  });
});

describe('sequences config', () => {
  const watch = (...extra: string[]): string => lines('watches:', '  - path: /hot', '    folder_id: f1', ...extra.map((l) => `    ${l}`));

  it('is off by default, with the documented defaults when enabled', () => {
    expect(parse(watch()).watches[0]!.sequences).toBeUndefined();
    expect(parse(watch('sequences:', '  enabled: true')).watches[0]!.sequences).toEqual({
      completeWhen: 'quiet',
      quietSeconds: 30,
      marker: '{name}.done',
      onGaps: 'upload',
      holdLimitSeconds: 600,
      upload: 'frames',
    });
    expect(parse(watch('sequences:', '  enabled: true', '  complete_when: marker', '  marker: "{name}.finished"', '  on_gaps: hold', '  hold_limit_seconds: 120')).watches[0]!.sequences).toMatchObject({
      completeWhen: 'marker',
      marker: '{name}.finished',
      onGaps: 'hold',
      holdLimitSeconds: 120,
    });
  });

  it('proxy: off unless written; codec, fps and width with their defaults; upload frames | proxy | both', () => {
    expect(parse(watch('sequences:', '  enabled: true')).watches[0]!.sequences!.proxy).toBeUndefined();
    expect(parse(watch('sequences:', '  enabled: true', '  proxy: {}')).watches[0]!.sequences).toMatchObject({ proxy: { codec: 'h264', fps: 24 }, upload: 'both' });
    expect(parse(watch('sequences:', '  enabled: true', '  upload: proxy', '  proxy: { codec: prores, fps: 25, width: 960 }')).watches[0]!.sequences).toMatchObject({
      proxy: { codec: 'prores', fps: 25, width: 960 },
      upload: 'proxy',
    });
  });

  it('proxy: refuses what cannot work, naming the line', () => {
    expect(problems(watch('sequences:', '  enabled: true', '  upload: proxy')).join('\n')).toMatch(/agent\.yaml:6.*watches\[0\]\.sequences\.upload.*upload 'proxy' needs a proxy/);
    // Frames deleted after their own upload are gone when the sequence completes and the proxy is rendered.
    expect(problems(watch('after_upload: { action: delete }', 'sequences:', '  enabled: true', '  upload: both', '  proxy: {}')).join('\n')).toMatch(/sequences\.proxy.*after_upload 'delete' removes each frame/);
    expect(parse(watch('after_upload: { action: delete }', 'sequences:', '  enabled: true', '  upload: proxy', '  proxy: {}')).watches[0]!.sequences!.upload).toBe('proxy');
    expect(problems(lines('watches:', '  - { name: r, path: /hot, folder_id: f1, sequences: { enabled: true, proxy: {} } }', '  - { name: "r:proxy", path: /other, folder_id: f1 }')).join('\n')).toMatch(
      /watches\[1\]\.name.*'r:proxy' is taken by the review proxies of watches\[0\]/,
    );
    expect(problems(watch('sequences:', '  enabled: true', '  upload: frames', '  proxy: {}')).join('\n')).toMatch(/sequences\.upload.*upload 'frames' uploads no proxy/);
    expect(problems(watch('sequences:', '  enabled: true', '  proxy: { codec: vp9 }')).join('\n')).toMatch(/unknown codec 'vp9' \(expected one of h264, prores\)/);
  });

  it('names the config line of a bad value', () => {
    expect(problems(watch('sequences:', '  enabled: true', '  complete_when: soon')).join('\n')).toMatch(/agent\.yaml:6:22 .*unknown complete_when 'soon' \(expected one of quiet, marker\)/);
    expect(problems(watch('sequences:', '  enabled: true', '  marker: finished')).join('\n')).toMatch(/agent\.yaml:6.*watches\[0\]\.sequences\.marker.*must contain \{name\}/);
  });
});
