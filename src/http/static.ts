// The status page's files: plain HTML/CSS/JS under web/status in the package (no build step,
// nothing from a CDN). Resolved from this module, so it works from src/ (tests) and dist/.
import fs from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../web/status/', import.meta.url));
const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

export async function serveStatic(pathname: string, res: ServerResponse, headers: Record<string, string>): Promise<void> {
  const entry = FILES[pathname];
  if (!entry) {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
    return;
  }
  const body = await fs.readFile(ROOT + entry[0]);
  res.writeHead(200, {
    ...headers,
    'content-type': entry[1],
    'cache-control': 'no-cache',
    // Only this origin's own script and style; no inline script, nothing fetched elsewhere.
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  });
  res.end(body);
}
