// Two small proxies for the partition test. NetworkPartition sits between one agent and
// PostgreSQL: cut() stops every byte both ways and holds new connections unanswered — what a
// dead switch does (no RST: the agent's own timeouts and lease clock must notice), heal() lets
// it all flow again. ApiRecorder sits between one agent and the Frame.io API and notes every call,
// so the test can say which agent started which upload.
import http from 'node:http';
import net from 'node:net';

export interface NetworkPartition {
  port: number;
  cut(): void;
  heal(): void;
  /** Bytes carried from the agent to the database since the last heal() (0 while cut). */
  bytesSinceHeal(): number;
  close(): Promise<void>;
}

export async function partitionProxy(targetPort: number): Promise<NetworkPartition> {
  let isCut = false;
  let sinceHeal = 0;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket | null }>();
  const held: Array<() => void> = [];
  const connect = (pair: { client: net.Socket; upstream: net.Socket | null }): void => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    pair.upstream = upstream;
    pair.client.on('data', (d: Buffer) => {
      sinceHeal += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => pair.client.write(d));
    const end = (): void => {
      pair.client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    upstream.on('error', end).on('close', end);
    pair.client.on('error', end).on('close', end);
    pair.client.resume();
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    const pair = { client, upstream: null as net.Socket | null };
    pairs.add(pair);
    if (isCut) held.push(() => connect(pair));
    else connect(pair);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      isCut = true;
      // Paused sockets stop reading: TCP backpressure holds the bytes as a lost route would.
      for (const p of pairs) {
        p.client.pause();
        p.upstream?.pause();
      }
    },
    heal() {
      isCut = false;
      sinceHeal = 0;
      for (const p of pairs) {
        p.client.resume();
        p.upstream?.resume();
      }
      for (const go of held.splice(0)) go();
    },
    bytesSinceHeal: () => sinceHeal,
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream?.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface ApiCall {
  at: number;
  method: string;
  path: string;
  status: number;
}

export interface ApiRecorder {
  /** The API base to give the agent instead of the emulator's (same path, another port). */
  apiUrl: string;
  calls: ApiCall[];
  close(): Promise<void>;
}

export async function apiRecorder(emulatorApiUrl: string): Promise<ApiRecorder> {
  const target = new URL(emulatorApiUrl);
  const calls: ApiCall[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent },
      (upRes) => {
        calls.push({ at, method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, status: upRes.statusCode ?? 0 });
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    apiUrl: `http://127.0.0.1:${port}${target.pathname}`,
    calls,
    async close() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
