// A webhook receiver on 127.0.0.1 for tests: records every POST, and can be told to be down
// (sockets destroyed without an answer, as a dead host behind a proxy looks) or to answer 503.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests refused while down. */
  refused: number;
  mode: 'up' | 'down' | '503' | 'hang';
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks/T000/B000/secretpathpart'): Promise<Receiver> {
  let waiters: Array<() => boolean> = [];
  const r: Receiver = {
    url: '',
    received: [],
    refused: 0,
    mode: 'up',
    waitFor(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (r.received.length < n) return false;
          clearTimeout(timer);
          resolve(r.received);
          return true;
        };
        const timer = setTimeout(() => reject(new Error(`receiver got ${r.received.length} of ${n} messages within ${timeoutMs} ms`)), timeoutMs);
        if (!check()) waiters.push(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (r.mode === 'down') {
        r.refused++;
        req.socket.destroy();
        return;
      }
      if (r.mode === 'hang') {
        r.refused++;
        return; // never answers; closeAllConnections() ends it
      }
      if (r.mode === '503') {
        r.refused++;
        res.writeHead(503).end('busy');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      r.received.push({ path: req.url ?? '', headers: req.headers, body, json });
      res.writeHead(200).end('ok');
      waiters = waiters.filter((w) => !w());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return r;
}
