// Remote upload: Frame.io fetches the source itself. The emulator only fetches from this
// machine (127.0.0.1 / localhost), so tests never reach the internet; anything else fails.
//
// Fetched with node:http and stream.pipeline, not fetch(): undici's HTTP/1 parser pauses when
// its consumer is slower than the socket (here: writes to the data dir), and a source that
// closes the connection (Connection: close, FIN) while the parser is paused hits
// `assert(!this.paused)` in Parser.finish from the socket's 'end' handler, an uncatchable
// AssertionError that killed the whole emulator (nodejs/undici#5360). Node streams apply
// backpressure by pausing the socket, which has no such state.
import { createWriteStream } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileRecord, Store } from './state.js';
import { MAX_REMOTE_SIZE } from './validate.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

class TooLarge extends Error {}

function request(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsGet : httpGet)(url, { signal }, resolve);
    req.on('error', reject);
  });
}

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
    const resp = await request(url, signal);
    const status = resp.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      resp.resume();
      return fail(`source answered HTTP ${status}`);
    }
    const announced = Number(resp.headers['content-length'] ?? NaN);
    if (announced > MAX_REMOTE_SIZE) {
      resp.destroy();
      return fail('source is larger than 50 GB');
    }
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        cb(size > MAX_REMOTE_SIZE ? new TooLarge('source is larger than 50 GB') : null, chunk);
      },
    });
    const sink = file.diskPath
      ? createWriteStream(file.diskPath, { flags: 'r+' })
      : new Writable({ write: (_c, _e, cb) => cb() });
    await pipeline(resp, count, sink, { signal });
    if (!resp.complete) return fail('the source closed the connection before the whole body arrived');
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
