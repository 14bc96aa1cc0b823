// A scrape as Prometheus does it: GET /metrics over a socket from a tiny server that mounts
// render(), then the text parsed by an independent Prometheus text parser.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { AgentMetrics } from '../../src/metrics/index.js';

export interface Scraped {
  body: string;
  contentType: string;
  /** The value of one series (labels must match exactly those given, in any order); undefined if absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum over every series of a family whose labels include the given ones. */
  sum(name: string, labels?: Record<string, string>): number;
  histogramCount(name: string): number | undefined;
  labelValues(): string[];
}

export async function metricsServer(m: AgentMetrics): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void m.render().then(
      (r) => res.writeHead(200, { 'content-type': r.contentType }).end(r.body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function scrape(url: string): Promise<Scraped> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  const body = await res.text();
  const families = parsePrometheusTextFormat(body);
  const family = (name: string) => families.find((f) => f.name === name);
  const matches = (have: Record<string, string> | undefined, want: Record<string, string>, exact: boolean): boolean => {
    const h = have ?? {};
    if (exact && Object.keys(h).length !== Object.keys(want).length) return false;
    return Object.entries(want).every(([k, v]) => h[k] === v);
  };
  return {
    body,
    contentType: res.headers.get('content-type') ?? '',
    value(name, labels = {}) {
      const s = family(name)?.metrics.find((m) => matches(m.labels, labels, true));
      return s?.value === undefined ? undefined : Number(s.value);
    },
    sum(name, labels = {}) {
      return (family(name)?.metrics ?? []).filter((m) => matches(m.labels, labels, false)).reduce((a, m) => a + Number(m.value ?? 0), 0);
    },
    histogramCount(name) {
      const s = family(name)?.metrics[0];
      return s?.count === undefined ? undefined : Number(s.count);
    },
    labelValues() {
      return families.flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {})));
    },
  };
}
