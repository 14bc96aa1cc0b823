import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, journalPath } from '../../src/journal/index.js';
import type { FileFacts } from '../../src/journal/index.js';
import { ManualClock } from '../helpers/clock.js';

export interface TempJournal {
  dir: string;
  path: string;
  journal: Journal;
  clock: ManualClock;
  cleanup(): void;
}

/** A journal in a fresh temp dir (nested, so open() must create directories) with a manual clock. */
export function tempJournal(): TempJournal {
  const dir = mkdtempSync(join(tmpdir(), 'journal-test-'));
  const path = journalPath(join(dir, 'state', 'nested'));
  const clock = new ManualClock({ start: 1_700_000_000_000 });
  const journal = Journal.open(path, { clock });
  return {
    dir,
    path,
    journal,
    clock,
    cleanup() {
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function facts(over: Partial<FileFacts> = {}): FileFacts {
  return { size: 1000, mtimeMs: 1_699_999_000_000.5, dev: 2049, ino: 12345, ...over };
}

export const PARTS = [
  { size: 400, url: 'https://s3.example/up/1?X-Amz-Signature=aaa' },
  { size: 400, url: 'https://s3.example/up/2?X-Amz-Signature=bbb' },
  { size: 200, url: 'https://s3.example/up/3?X-Amz-Signature=ccc' },
];
