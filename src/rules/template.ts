// Folder templates of routing rules: "Renders/{dir}/{date}" → folder segments. Parsed once so the
// config loader can reject unknown placeholders and literal '..' before anything runs, and the
// router can refuse at run time what only a concrete file reveals (an empty {ext}).
import { posix } from 'node:path';
import type { FileInfo } from './types.js';
import { parseFrame } from '../sequences/detect.js';

// {seq}: the image-sequence name from the frame's own name (sh010_comp.1001.exr → sh010_comp), so
// each frame is routed at once with no waiting for the rest. {frames} (the whole range) is not a
// folder placeholder: it is unknown until the render is complete, long after the first frames went up.
export const FOLDER_PLACEHOLDERS = ['dir', 'name', 'stem', 'ext', 'date', 'seq'] as const;
export type Placeholder = (typeof FOLDER_PLACEHOLDERS)[number];

type Part = { literal: string } | { placeholder: Placeholder };
type Segment = Part[];

export class FolderTemplateError extends Error {
  override name = 'FolderTemplateError';
}

const EXPECTED = FOLDER_PLACEHOLDERS.map((p) => `{${p}}`).join(', ');

function isPlaceholder(name: string): name is Placeholder {
  return (FOLDER_PLACEHOLDERS as readonly string[]).includes(name);
}

/** Parse a template into '/'-separated segments; throws FolderTemplateError on a malformed one. */
export function parseFolderTemplate(tpl: string): Segment[] {
  if (tpl.trim() === '') throw new FolderTemplateError('folder template is empty');
  if (tpl.startsWith('/')) throw new FolderTemplateError(`folder template '${tpl}' starts with '/': it is a path under the target folder`);
  const segments: Segment[] = [[]];
  let literal = '';
  const flush = (): void => {
    if (literal) segments[segments.length - 1]!.push({ literal });
    literal = '';
  };
  for (let i = 0; i < tpl.length; i++) {
    const ch = tpl[i]!;
    if (ch === '{') {
      const end = tpl.indexOf('}', i);
      if (end < 0) throw new FolderTemplateError(`unclosed '{' in folder template '${tpl}'`);
      const name = tpl.slice(i + 1, end);
      if (name === 'frames') {
        throw new FolderTemplateError("'{frames}' cannot be used in a folder: the frame range is known only once the sequence is complete, after its first frames were uploaded (use {seq})");
      }
      if (!isPlaceholder(name)) {
        throw new FolderTemplateError(`unknown placeholder '{${name}}' in folder template (expected one of ${EXPECTED})`);
      }
      flush();
      segments[segments.length - 1]!.push({ placeholder: name });
      i = end;
    } else if (ch === '}') {
      throw new FolderTemplateError(`unexpected '}' in folder template '${tpl}'`);
    } else if (ch === '/') {
      flush();
      segments.push([]);
    } else {
      literal += ch;
    }
  }
  flush();
  for (const seg of segments) {
    if (seg.every((p) => 'literal' in p)) {
      const text = seg.map((p) => ('literal' in p ? p.literal : '')).join('');
      if (text === '' || text === '.' || text === '..') {
        throw new FolderTemplateError(`folder template '${tpl}' has an empty, '.' or '..' folder name`);
      }
    }
  }
  return segments;
}

/** The load-time check: a message for a template that can never work, else undefined. */
export function folderTemplateProblem(tpl: string): string | undefined {
  try {
    parseFolderTemplate(tpl);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function localDate(now: Date): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function values(file: FileInfo, now: Date): Record<Placeholder, string> {
  const name = posix.basename(file.relPath);
  const dir = posix.dirname(file.relPath);
  const ext = posix.extname(name);
  return {
    dir: dir === '.' ? '' : dir,
    name,
    stem: ext ? name.slice(0, -ext.length) : name,
    ext: ext.slice(1),
    date: localDate(now),
    // Not a frame: the stem, so a rule matching a sequence's folder still routes a stray file.
    seq: parseFrame(file.relPath)?.name ?? (ext ? name.slice(0, -ext.length) : name),
  };
}

/**
 * Folder segments for a file. {dir} may expand to several segments and to none at the root;
 * any other placeholder that leaves an empty, '.' or '..' folder name throws FolderTemplateError.
 */
export function renderFolderTemplate(tpl: string, file: FileInfo, now: Date): string[] {
  const vals = values(file, now);
  const out: string[] = [];
  for (const seg of parseFolderTemplate(tpl)) {
    const text = seg.map((p) => ('literal' in p ? p.literal : vals[p.placeholder])).join('');
    const hasDir = seg.some((p) => 'placeholder' in p && p.placeholder === 'dir');
    const pieces = hasDir ? text.split('/').filter((s) => s !== '') : [text];
    for (const piece of pieces) {
      if (piece === '' || piece === '.' || piece === '..') {
        throw new FolderTemplateError(`folder template '${tpl}' gives the folder name '${piece}' for '${file.relPath}'`);
      }
      out.push(piece);
    }
  }
  return out;
}
