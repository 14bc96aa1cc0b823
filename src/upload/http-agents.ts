// Keep-alive connection pools for part PUTs, shared by every upload in the process, so many
// small files reuse a few connections instead of opening one (or a TLS handshake) per file.
// Idle sockets are closed after 15 s, before S3 drops them (~20 s), so a reused socket is
// rarely a dead one; free sockets are unref'd by node, so the pools never keep a process alive.
import http from 'node:http';
import https from 'node:https';

const IDLE_MS = 15_000;
let pools: { http: http.Agent; https: https.Agent } | undefined;

export function partAgentFor(url: URL): http.Agent {
  pools ??= {
    http: new http.Agent({ keepAlive: true, timeout: IDLE_MS, scheduling: 'lifo' }),
    https: new https.Agent({ keepAlive: true, timeout: IDLE_MS, scheduling: 'lifo' }),
  };
  return url.protocol === 'https:' ? pools.https : pools.http;
}
