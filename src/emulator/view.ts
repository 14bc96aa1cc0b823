// The page behind view_url: enough for a human following a link from the demo.
import type { ServerResponse } from 'node:http';
import { sendError } from './http.js';
import type { Store } from './state.js';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function viewPage(res: ServerResponse, store: Store, id: string): void {
  const file = store.file(id);
  const folder = store.folder(id);
  let title: string;
  let detail: string;
  if (file && !file.deleted) {
    const st = store.uploadState(file);
    title = file.name;
    detail = `${file.fileSize} bytes, ${file.mediaType}, status ${st.status}${st.failed ? ' (upload failed)' : ''} in ${store.folderPath(file.parentId)}`;
  } else if (folder) {
    title = folder.name;
    detail = `folder ${store.folderPath(folder.id)}`;
  } else if (id === store.projectId) {
    title = 'Emulated Project';
    detail = 'project';
  } else {
    return sendError(res, 404, `Nothing to view at ${id}`);
  }
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1><p>${escape(detail)}</p><p>Served by the frameio-agent emulator.</p></body></html>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}
