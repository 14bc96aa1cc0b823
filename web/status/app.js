// The status page: a client of the agent's JSON API and its event stream, nothing more.
// Every value from the server is put in with textContent (never as HTML).
'use strict';

const $ = (sel) => document.querySelector(sel);
const state = { status: null, live: new Map(), query: '', cursor: null, openId: null };

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
function duration(s) {
  if (!Number.isFinite(s) || s < 0) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '–');

async function api(path, opts = {}) {
  const res = await fetch(path, { ...opts, headers: { 'content-type': 'application/json', ...(opts.headers || {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `${res.status}`);
  return body;
}
const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body || {}) });

function fill(tbody, rows, emptyText, cols) {
  tbody.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: String(cols), class: 'empty', text: emptyText }))]));
}

function renderAgent(s) {
  const a = s.agent;
  const badge = $('#agent-state');
  badge.textContent = a.state;
  badge.dataset.state = a.state;
  $('#agent-meta').textContent = `${a.state} since ${time(a.since)} · ${a.host} · v${a.version} · up ${duration(a.uptime_seconds)}`;
  $('#pause').hidden = a.state === 'paused';
  $('#resume').hidden = a.state !== 'paused';
}

function renderWatches(s) {
  fill($('#watches tbody'), s.watches.map((w) => {
    const q = w.queue;
    return el('tr', { 'data-watch': w.name, 'data-paused': String(Boolean(w.paused)) }, el('td', { text: w.paused ? `${w.name} (paused)` : w.name, title: w.path }), el('td', { text: w.folder_id, class: 'small' }),
      ...[q.settling, q.queued, q.uploading, q.verifying, q.waiting_to_retry].map((n) => el('td', { text: String(n) })));
  }), 'no watches', 7);
}

// Every agent on the journal (one row on a local journal: this agent), newest heartbeat first.
function renderAgents(s) {
  const agents = s.agents || [];
  fill($('#agents tbody'), agents.map((a) => el('tr', { 'data-agent': a.id, 'data-gone': String(a.gone), class: a.id === s.agent.id ? 'self' : null },
    el('td', { text: a.id + (a.id === s.agent.id ? ' (this agent)' : '') }), el('td', { text: a.host }), el('td', { text: String(a.pid) }),
    el('td', { text: a.version }), el('td', { class: 'age', text: `${duration(a.heartbeat_age_seconds)} ago` }),
    el('td', { class: 'in-flight', text: a.gone ? '—' : String(a.files_in_flight) }), el('td', { class: 'agent-state', text: a.gone ? 'gone?' : 'running' }))),
  'no agent has reported', 7);
}

function holder(s, u) {
  if (!u.held_by) return null;
  const a = (s.agents || []).find((x) => x.id === u.held_by);
  const who = a ? `${a.host} (pid ${a.pid})` : u.held_by;
  const lapsed = !u.lease_expires_at || Date.parse(u.lease_expires_at) <= Date.now();
  return el('div', { class: 'small holder', 'data-holder': u.held_by, text: lapsed ? `claim lapsed (was ${who})` : `held by ${who}` });
}

function renderUploads(s) {
  const box = $('#uploads');
  if (!s.in_flight.length) return box.replaceChildren(el('p', { class: 'empty', text: 'nothing uploading' }));
  box.replaceChildren(...s.in_flight.map((u) => {
    const key = `${u.watch}/${u.path}`;
    const live = state.live.get(key);
    const sent = Math.max(u.bytes_sent ?? u.bytes_done, live ? live.bytes : 0);
    const speed = u.speed_bps ?? 0;
    const inner = el('div');
    inner.style.width = `${Math.min(100, (100 * sent) / Math.max(1, u.size)).toFixed(1)}%`;
    return el('div', { class: 'upload', 'data-path': key },
      el('div', {}, el('strong', { text: key }), u.stands_for ? el('span', { class: 'small unit', text: ` ${u.stands_for}` }) : null),
      el('div', { class: 'bar' }, inner),
      el('div', { class: 'small progress', text: `${bytes(sent)} of ${bytes(u.size)} · ${speed ? `${bytes(speed)}/s · ETA ${duration((u.size - sent) / speed)}` : u.bytes_sent !== undefined && u.speed_bps === undefined ? 'sent by another agent' : 'starting'} · parts ${u.parts_done}/${u.parts}` }),
      holder(s, u));
  }));
}

// Open sequences first, then recently completed (the server's order). Progress is frames uploaded
// of frames seen: the full range is known only once the render is complete.
function renderSequences(s) {
  const list = s.sequences || [];
  fill($('#sequences tbody'), list.map((q) => {
    const key = `${q.watch}/${q.sequence}`;
    const inner = el('div');
    inner.style.width = `${Math.min(100, (100 * q.uploaded) / Math.max(1, q.frames)).toFixed(1)}%`;
    const range = q.first === null ? '–' : q.first === q.last ? String(q.first) : `${q.first}–${q.last}`;
    return el('tr', { 'data-sequence': key, 'data-state': q.state },
      el('td', { text: key, title: q.folderId !== null ? `Frame.io folder ${q.folderPath || '(the watch folder)'}` : undefined }),
      el('td', { class: 'sequence-state', text: q.state }),
      el('td', {}, el('div', { class: 'bar' }, inner),
        el('div', { class: 'small progress', text: `${q.uploaded}/${q.frames} frames${q.failed ? ` · ${q.failed} failed` : ''}` })),
      el('td', { class: 'range', text: range }),
      el('td', { class: q.missing ? 'gaps error' : 'gaps', text: q.missing ? `missing ${q.gaps}` : 'none' }),
      el('td', { text: bytes(q.bytes) }));
  }), 'no image sequences', 6);
}

function renderWaiting(s) {
  fill($('#waiting tbody'), s.waiting.map((w) => el('tr', { 'data-path': `${w.watch}/${w.path}` },
    el('td', { text: `${w.watch}/${w.path}${w.stands_for ? ` (${w.stands_for})` : ''}` }), el('td', { class: 'error', text: `${w.code ?? ''} ${w.error ?? ''}`.trim() }),
    el('td', { text: w.next_attempt_at ? time(w.next_attempt_at) : 'soon' }))), 'none', 3);
}

function renderThroughput(s) {
  const buckets = s.throughput.buckets;
  const max = Math.max(1, ...buckets.map((b) => b.bytes));
  const W = 480, H = 90, bw = W / buckets.length;
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 14}`);
  svg.setAttribute('width', '100%');
  svg.setAttribute('role', 'img');
  const total = buckets.reduce((a, b) => a + b.bytes, 0);
  svg.setAttribute('aria-label', `${bytes(total)} uploaded in the last hour`);
  buckets.forEach((b, i) => {
    if (!b.bytes) return;
    const h = Math.max(1, (H * b.bytes) / max);
    const r = document.createElementNS(NS, 'rect');
    r.setAttribute('class', 'b');
    r.setAttribute('x', String(i * bw + 0.5));
    r.setAttribute('y', String(H - h));
    r.setAttribute('width', String(Math.max(1, bw - 1)));
    r.setAttribute('height', String(h));
    const t = document.createElementNS(NS, 'title');
    t.textContent = `${time(b.at)}: ${bytes(b.bytes)}`;
    r.append(t);
    svg.append(r);
  });
  const axis = document.createElementNS(NS, 'line');
  axis.setAttribute('class', 'axis');
  axis.setAttribute('x1', '0'); axis.setAttribute('x2', String(W)); axis.setAttribute('y1', String(H)); axis.setAttribute('y2', String(H));
  svg.append(axis);
  const label = (x, anchor, text) => {
    const t = document.createElementNS(NS, 'text');
    t.setAttribute('x', String(x)); t.setAttribute('y', String(H + 12)); t.setAttribute('text-anchor', anchor);
    t.textContent = text;
    svg.append(t);
  };
  label(0, 'start', '60 min ago');
  label(W, 'end', `now · peak ${bytes(max / 60)}/s · ${bytes(total)} this hour`);
  $('#throughput').replaceChildren(svg);
}

async function renderFailures() {
  const page = await api('/api/files?state=failed&limit=50');
  fill($('#failures tbody'), page.files.map((f) => el('tr', { 'data-path': `${f.watch}/${f.path}`, 'data-id': String(f.id) },
    el('td', {}, fileLink(f)), el('td', { class: 'error', text: `${f.code ?? ''} ${f.error ?? ''}`.trim() }), el('td', { text: time(f.updated_at) }),
    el('td', {}, el('button', { type: 'button', class: 'retry', text: 'Retry', on: { click: (ev) => retry(f.id, ev.target) } })))), 'no failed files', 4);
}

async function retry(id, button) {
  button.disabled = true;
  try {
    await post('/api/retry', { ids: [id] });
  } catch (e) {
    button.disabled = false;
    button.title = e.message;
  }
  refreshSoon();
}

function fileLink(f) {
  return el('a', { class: 'file', 'data-id': String(f.id), text: `${f.watch}/${f.path}${f.stands_for ? ` (${f.stands_for})` : ''}`, on: { click: () => openHistory(f.id) } });
}

async function renderFiles(append = false) {
  const params = new URLSearchParams({ limit: '25' });
  if (state.query) params.set('query', state.query);
  if (append && state.cursor) params.set('cursor', state.cursor);
  const page = await api(`/api/files?${params}`);
  state.cursor = page.next_cursor;
  $('#more').hidden = !page.next_cursor;
  const rows = page.files.map((f) => el('tr', { 'data-path': `${f.watch}/${f.path}`, 'data-state': f.state },
    el('td', {}, fileLink(f)), el('td', { class: 'file-state', text: f.state }), el('td', { text: time(f.updated_at) })));
  const tbody = $('#files tbody');
  if (append) tbody.append(...rows);
  else fill(tbody, rows, state.query ? 'no file matches' : 'no files yet', 3);
}

function describe(e) {
  switch (e.type) {
    case 'seen': return `seen (${bytes(e.size)})`;
    case 'settled': return 'settled: unchanged, upload starts';
    case 'routed': return `routed to Frame.io folder ${e.folderPath ? `/${e.folderPath}` : '(the watch\'s folder)'}`;
    case 'taken-over': return `taken over by ${e.by}${e.from ? ` from ${e.from}` : ''} (${e.state})`;
    case 'upload-started': return e.partsDone ? `upload resumed (${e.partsDone} of ${e.parts} parts already stored)` : `upload started (${e.parts} parts)`;
    case 'retry-scheduled': return `will try again at ${time(new Date(e.at).toISOString())} (${e.code})`;
    case 'outage-began': return `waiting for Frame.io: ${e.message}`;
    case 'outage-ended': return 'Frame.io answers again';
    case 'upload-stopped': return `upload stopped: ${e.message} (${e.code})`;
    case 'uploaded': return 'uploaded: every part stored';
    case 'verified': return 'verified by Frame.io';
    case 'finalized': return e.where ? `done: ${e.action}, moved to ${e.where}` : `done (${e.action})${e.error ? `; ${e.error}` : ''}`;
    case 'failed': return `failed: ${e.message} (${e.code})`;
    case 'requeued': return `retry requested (${e.by})`;
    default: return e.type;
  }
}

async function openHistory(id) {
  state.openId = id;
  const h = await api(`/api/files/${id}/events`);
  $('#history').hidden = false;
  $('#history-title').textContent = `${h.file.watch}/${h.file.path} · ${h.file.state}`;
  $('#history-events').replaceChildren(...h.events.map((e) => {
    const li = el('li', { 'data-type': e.type }, el('span', { class: 'small', text: `${time(e.time)} ` }), describe(e));
    if (e.type === 'verified' && typeof e.viewUrl === 'string' && /^https?:\/\//.test(e.viewUrl)) {
      li.append(' ', el('a', { href: e.viewUrl, target: '_blank', rel: 'noopener noreferrer', text: 'view' }));
    }
    return li;
  }));
}

async function refresh() {
  try {
    const s = await api('/api/status');
    state.status = s;
    renderAgent(s); renderAgents(s); renderWatches(s); renderSequences(s); renderUploads(s); renderWaiting(s); renderThroughput(s);
    await Promise.all([renderFailures(), renderFiles(false), state.openId ? openHistory(state.openId) : null]);
  } catch (e) {
    $('#agent-state').textContent = `unreachable (${e.message})`;
    $('#agent-state').dataset.state = 'offline';
  }
}

let timer = null;
function refreshSoon() {
  if (timer) return;
  timer = setTimeout(() => { timer = null; void refresh(); }, 300);
}

function listen() {
  const es = new EventSource('/api/events');
  es.addEventListener('pipeline', (m) => {
    const e = JSON.parse(m.data);
    const key = `${e.watch}/${e.relPath}`;
    if (e.type === 'progress') {
      state.live.set(key, { bytes: e.bytes });
      if (state.status) renderUploads(state.status);
      return;
    }
    if (e.type === 'finalized' || e.type === 'failed') state.live.delete(key);
    refreshSoon();
  });
  for (const name of ['resync', 'paused', 'resumed', 'retried']) es.addEventListener(name, refreshSoon);
}

$('#pause').addEventListener('click', () => post('/api/pause').then(refresh));
$('#resume').addEventListener('click', () => post('/api/resume').then(refresh));
$('#search-form').addEventListener('submit', (ev) => { ev.preventDefault(); state.query = $('#search').value.trim(); state.cursor = null; void renderFiles(false); });
$('#more').addEventListener('click', () => void renderFiles(true));
void refresh();
listen();
// Speed and ETA come from the server; while something uploads, ask for them every 2 s.
setInterval(() => { if (state.status && state.status.in_flight.length) void refresh(); }, 2000);
// Other agents' heartbeats come with no event here: with peers on the journal, look again every 5 s.
setInterval(() => { if (state.status && (state.status.agents || []).length > 1 && !state.status.in_flight.length) void refresh(); }, 5000);
