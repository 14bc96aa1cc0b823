// Remote upload: Frame.io fetches the source itself. The emulator only fetches from this
// machine (127.0.0.1 / localhost), so tests never reach the internet; anything else fails.
import { open } from 'node:fs/promises';
import type { FileRecord, Store } from './state.js';
import { MAX_REMOTE_SIZE } from './validate.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function fetchRemoteSource(store: Store, file: FileRecord, sourceUrl: string, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  const fail = (why: string): void => {
    log(`remote upload ${file.id} failed: ${why}`);
    store.finishUpload(file, true);
  };
  let url: URL;
  try {
    url = new URL(sourceUrl);
  } catch {
    return fail('invalid source_url');
  }
  if (!LOCAL_HOSTS.has(url.hostname)) return fail(`the emulator only fetches from 127.0.0.1/localhost, not ${url.hostname}`);
  try {
    const resp = await fetch(url, { signal, redirect: 'manual' });
    if (!resp.ok || !resp.body) {
      await resp.body?.cancel();
      return fail(`source answered HTTP ${resp.status}`);
    }
    const announced = Number(resp.headers.get('content-length') ?? NaN);
    if (announced > MAX_REMOTE_SIZE) {
      await resp.body.cancel();
      return fail('source is larger than 50 GB');
    }
    let size = 0;
    const fh = file.diskPath ? await open(file.diskPath, 'r+') : null;
    try {
      for await (const chunk of resp.body as AsyncIterable<Uint8Array>) {
        if (fh) await fh.write(chunk, 0, chunk.length, size);
        size += chunk.length;
        if (size > MAX_REMOTE_SIZE) return fail('source is larger than 50 GB');
      }
    } finally {
      await fh?.close();
    }
    if (file.deleted) return;
    file.fileSize = size;
    file.partSizes = [size];
    file.partOffsets = [0];
    file.received = [true];
    file.receivedCount = 1;
    file.updatedAt = Date.now();
    store.finishUpload(file);
  } catch (err) {
    if (signal.aborted) return;
    fail(err instanceof Error ? err.message : String(err));
  }
}
