// kill -9 in the middle of thousands of commits: after reopening, the database must be intact and
// hold every commit the child reported (the child prints a line only after a commit returns).
// The child is plain .mjs (no TypeScript loader on Node 20), so it receives the schema's SQL and
// pragmas from src/journal/schema.ts through its environment.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobStore, type JobState } from '../../src/journal/index.js';
import { SQL, WRITER_PRAGMAS } from '../../src/journal/schema.js';
import { seededRandom } from '../../src/emulator/rng.js';

const PARTS_PER_JOB = 40;

const CHILD = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const Database = require(process.env.BSQLITE);
const SQL = JSON.parse(process.env.SQL_JSON);
const parts = Number(process.env.PARTS);
const db = new Database(process.env.DB_PATH);
for (const p of JSON.parse(process.env.PRAGMAS)) db.pragma(p);
const insertJob = db.prepare(SQL.insertJob);
const insertPart = db.prepare(SQL.insertPart);
const markPartDone = db.prepare(SQL.markPartDone);
const setState = db.prepare('UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?');
const setParts = db.prepare('UPDATE jobs SET parts_count = ?, file_id = ?, urls_created_at = ? WHERE id = ?');
const startUpload = db.transaction((id) => {
  setState.run('uploading', Date.now(), id);
  setParts.run(parts, 'file-' + id, Date.now(), id);
  for (let i = 0; i < parts; i++) insertPart.run(id, i, 1024, 'https://s3.example/' + id + '/' + i + '?X-Amz-Signature=s');
});
// Pipes are written synchronously on Linux: a printed line left the process before the next commit.
const out = (line) => process.stdout.write(line + '\\n');
const stopAt = Date.now() + 20000; // never outlive a broken test
out('ready');
for (let n = 0; Date.now() < stopAt; n++) {
  const now = Date.now();
  const id = Number(insertJob.run('crash', 'crash', 'f' + n + '.mov', '/in/f' + n + '.mov', parts * 1024, now, 1, n, now, now).lastInsertRowid);
  out('job ' + id);
  setState.run('settled', Date.now(), id);
  out('state ' + id + ' settled');
  startUpload(id);
  out('state ' + id + ' uploading');
  for (let i = 0; i < parts; i++) {
    markPartDone.run(Date.now(), id, i);
    out('part ' + id + ' ' + i);
  }
  setState.run('uploaded', Date.now(), id);
  out('state ' + id + ' uploaded');
  setState.run('done', Date.now(), id);
  out('state ' + id + ' done');
}
`;

const RANK: Record<JobState, number> = { seen: 0, settled: 1, uploading: 2, uploaded: 3, done: 4, failed: -1 };


interface Reported {
  rank: number;
  parts: Set<number>;
}

/** Run the child, SIGKILL it `delayMs` after it is ready, and return what it reported as committed. */
function runAndKill(dir: string, dbPath: string, delayMs: number): Promise<{ reported: Map<number, Reported>; lines: number; signal: string | null }> {
  const script = join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script], {
    env: {
      PATH: process.env.PATH ?? '',
      BSQLITE: createRequire(import.meta.url).resolve('better-sqlite3'),
      SQL_JSON: JSON.stringify(SQL),
      PRAGMAS: JSON.stringify(WRITER_PRAGMAS),
      PARTS: String(PARTS_PER_JOB),
      DB_PATH: dbPath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    const first = stdout === '';
    stdout += d.toString();
    if (first && stdout.startsWith('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`child ended with code ${code} signal ${signal} before the kill: ${stderr}`));
        return;
      }
      // Only whole lines count: a line cut by the kill was never fully reported.
      const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
      const reported = new Map<number, Reported>();
      for (const line of complete.slice(1)) {
        const [kind, idText, arg] = line.split(' ');
        const id = Number(idText);
        if (kind === 'job') reported.set(id, { rank: 0, parts: new Set() });
        const r = reported.get(id);
        if (!r) throw new Error(`child reported ${line} before its job`);
        if (kind === 'state') r.rank = RANK[arg as JobState];
        if (kind === 'part') r.parts.add(Number(arg));
      }
      resolve({ reported, lines: complete.length, signal });
    });
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-crash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('kill -9 during writes', () => {
  for (const seed of [11, 22, 33]) {
    it(`loses no reported commit and stays intact (seed ${seed})`, async () => {
      const dbPath = join(dir, 'state', 'journal.sqlite');
      await SqliteJobStore.open(dbPath).close(); // the real module creates the schema the child writes into
      const delayMs = 600 + Math.floor(seededRandom(seed)() * 1400); // ~1-3k commits at fsync pace
      const { reported, lines } = await runAndKill(dir, dbPath, delayMs);
      expect(lines).toBeGreaterThan(100); // the kill landed mid-stream, not before the work

      const journal = SqliteJobStore.open(dbPath);
      try {
        const check = new Database(dbPath, { readonly: true });
        try {
          expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(check.pragma('foreign_key_check')).toEqual([]);
        } finally {
          check.close();
        }

        // Everything reported is there; beyond it, at most the one commit the kill cut off before its print.
        let unreported = 0;
        const all = await journal.listByState();
        for (const job of all) {
          const r = reported.get(job.id);
          expect(job.partsDone).toEqual(job.partsDone.map((_, i) => i)); // parts were confirmed in order
          if (!r) {
            unreported += 1 + RANK[job.state] + job.partsDone.length;
            continue;
          }
          expect(RANK[job.state]).toBeGreaterThanOrEqual(r.rank);
          for (const p of r.parts) expect(job.partsDone).toContain(p);
          unreported += RANK[job.state] - r.rank + job.partsDone.length - r.parts.size;
          if (RANK[job.state] >= RANK.uploading) expect(job.parts).toHaveLength(PARTS_PER_JOB);
        }
        for (const id of reported.keys()) expect(await journal.getById(id)).toBeDefined();
        expect(unreported).toBeLessThanOrEqual(1);

        // The reopened journal carries on: the interrupted job resumes where the child left it.
        const resume = (await journal.inFlight())[0];
        if (resume) {
          const next = resume.parts!.findIndex((_, i) => !resume.partsDone.includes(i));
          if (next >= 0) await journal.markPartDone(resume.id, next);
          expect((await journal.transition(resume.id, 'uploaded')).state).toBe('uploaded');
        }
        expect(Object.values(await journal.counts()).reduce((a, b) => a + b, 0)).toBe(all.length);
      } finally {
        await journal.close();
      }
    });
  }
});
