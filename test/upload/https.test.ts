// Frame.io and S3 are HTTPS. The API client and the part uploader, as built (dist), run in a
// child process that trusts a test certificate, against HTTPS servers on 127.0.0.1.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pattern, tempDir } from '../helpers/tmp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tls = path.join(here, '../fixtures/tls');
const dist = path.resolve(here, '../../dist');
let server: https.Server;
let port: number;
const received = new Map<string, { headers: Record<string, string | string[] | undefined>; body: Buffer }>();
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-https-'));
  server = https.createServer({ key: await fs.readFile(path.join(tls, 'key.pem')), cert: await fs.readFile(path.join(tls, 'cert.pem')) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.startsWith('/v4/accounts')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: [{ id: 'acc-1', display_name: 'TLS account' }], links: { next: null } }));
        return;
      }
      if (req.method === 'PUT') {
        received.set(req.url!, { headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { etag: '"x"' });
        res.end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.close();
  await cleanup();
});

function runChild(script: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: path.join(tls, 'cert.pem') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('over HTTPS', () => {
  it('the API client and the uploader speak TLS with a trusted certificate', async () => {
    const data = pattern(300_000, 4);
    const file = path.join(dir, 'tls.mov');
    await fs.writeFile(file, data);
    const base = `https://127.0.0.1:${port}`;
    const script = `
      import { createFrameioClient, staticTokenAuth } from ${JSON.stringify(path.join(dist, 'frameio/index.js'))};
      import { FrameioUploader } from ${JSON.stringify(path.join(dist, 'upload/index.js'))};
      const client = createFrameioClient({ apiUrl: '${base}/v4', auth: staticTokenAuth('tls-test-token-123456'), rateLimit: false });
      const accounts = await client.listAccounts();
      await client.close();
      const r = await new FrameioUploader(
        { name: 'tls.mov', media_type: 'video/quicktime', file_size: ${data.length},
          upload_urls: [{ size: 100000, url: '${base}/s3/p0?X-Amz-Signature=s' }, { size: 200000, url: '${base}/s3/p1?X-Amz-Signature=s' }] },
        ${JSON.stringify(file)}, { maxWorkers: 2 }).upload();
      console.log(JSON.stringify({ account: accounts[0].display_name, parts: r.partsSent }));
    `;
    const { code, out } = await runChild(script);
    expect(code, out).toBe(0);
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ account: 'TLS account', parts: 2 });
    const p0 = received.get('/s3/p0?X-Amz-Signature=s')!;
    const p1 = received.get('/s3/p1?X-Amz-Signature=s')!;
    expect(Buffer.concat([p0.body, p1.body]).equals(data)).toBe(true);
    expect(p1.headers['content-length']).toBe('200000');
    expect(p1.headers['x-amz-acl']).toBe('private');
  });

  it('refuses a certificate it does not trust, with a clear error', async () => {
    const script = `
      import { createFrameioClient, staticTokenAuth } from ${JSON.stringify(path.join(dist, 'frameio/index.js'))};
      const client = createFrameioClient({ apiUrl: 'https://127.0.0.1:${port}/v4', auth: staticTokenAuth('tls-test-token-123456'), rateLimit: false, maxRetries: 0 });
      try { await client.listAccounts(); console.log('NO ERROR'); } catch (e) { console.log('ERR ' + e.code + ' ' + e.message); }
      await client.close();
    `;
    const { out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      child.stdout.on('data', (d: Buffer) => (o += d.toString()));
      child.on('exit', (code) => resolve({ code, out: o }));
    });
    expect(out).toMatch(/^ERR tls_untrusted list accounts failed: the server's TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/m);
  });
});
