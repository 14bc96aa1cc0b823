// Validated snake_case values → the camelCase AgentConfig, plus the checks that span several
// watches (unique names, distinct folders) and the few values that come from the environment.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { registerSecret } from '../util/redact.js';
import { checkPgUrl, registerPgSecret } from '../journal/pg-url.js';
import { matchProblem } from '../versions/naming.js';
import type { AfterUpload, AgentConfig, LogLevel, NotifyEvent, NotifyTarget, OnFailure, Rule, WatchConfig } from './types.js';
import { parseBandwidth, type Timetable } from '../upload/bandwidth.js';
import { addIssue, INVALID, type ValidateContext } from './validate.js';
import { listenProblem } from '../http/auth.js';
import { markerProblem, type ProxyConfig, type SequencesConfig } from '../sequences/config.js';

type Raw = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const bool = (v: unknown): boolean => v === true;
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** Validated already (format 'bandwidth'); "off" is no limit, so no key. */
function bandwidth(text: string | undefined): { bandwidth?: Timetable } {
  if (!text) return {};
  const r = parseBandwidth(text);
  if ('problem' in r || (r.table.points.length === 1 && r.table.points[0]!.rate === Infinity)) return {};
  return { bandwidth: r.table };
}

function afterUpload(raw: Raw): AfterUpload {
  const action = str(raw.action) ?? 'leave';
  if (action === 'move') return { action, to: str(raw.to) ?? '' };
  if (action === 'tag') {
    const metadata = list(raw.metadata).flatMap((m) => {
      const o = obj(m);
      const field = str(o.field);
      const value = str(o.value);
      return field !== undefined && value !== undefined ? [{ field, value }] : [];
    });
    const comment = str(raw.comment);
    return {
      action,
      ...(raw.sidecar === false ? { sidecar: false } : {}),
      ...(comment !== undefined ? { comment } : {}),
      ...(metadata.length > 0 ? { metadata } : {}),
    };
  }
  return { action: action as 'delete' | 'leave' };
}

function versionsConfig(raw: Raw, at: string, ctx: ValidateContext): { match: string; mode: 'pattern' | 'same_name' } {
  const match = str(raw.match) ?? '{base}_v{version}{ext}';
  const problem = matchProblem(match);
  if (problem) addIssue(ctx, `${at}.match`, ctx.positions.get(`${at}.match`), problem);
  return { match, mode: raw.mode === 'same_name' ? 'same_name' : 'pattern' };
}

function onFailure(raw: Raw): OnFailure {
  return raw.action === 'move' ? { action: 'move', to: str(raw.to) ?? '' } : { action: 'leave' };
}

function rule(raw: Raw, line: number | undefined): Rule {
  return {
    match: str(raw.match) ?? '',
    skip: bool(raw.skip),
    ...optional('folder', str(raw.folder)),
    ...optional('folderId', str(raw.folder_id)),
    ...(line !== undefined ? { line } : {}),
  };
}

function sequences(raw: Raw, at: string, ctx: ValidateContext): { sequences?: SequencesConfig } {
  if (!bool(raw.enabled)) return {};
  const marker = str(raw.marker) ?? '{name}.done';
  const problem = markerProblem(marker);
  if (problem) addIssue(ctx, `${at}.marker`, ctx.positions.get(`${at}.marker`) ?? ctx.positions.get(at), problem);
  return {
    sequences: {
      completeWhen: raw.complete_when === 'marker' ? 'marker' : 'quiet',
      quietSeconds: num(raw.quiet_seconds),
      marker,
      onGaps: raw.on_gaps === 'hold' ? 'hold' : 'upload',
      holdLimitSeconds: num(raw.hold_limit_seconds),
      // Default: a proxy that is configured is uploaded (beside the frames).
      upload: raw.upload === 'proxy' || raw.upload === 'both' || raw.upload === 'frames' ? raw.upload : raw.proxy !== undefined && raw.proxy !== null && raw.proxy !== false ? 'both' : 'frames',
      ...proxyConfig(raw.proxy),
    },
  };
}

function proxyConfig(raw: unknown): { proxy?: ProxyConfig } {
  if (raw === undefined || raw === null || raw === false || raw === INVALID) return {};
  const p = obj(raw);
  const width = typeof p.width === 'number' ? p.width : undefined;
  return { proxy: { codec: p.codec === 'prores' ? 'prores' : 'h264', fps: typeof p.fps === 'number' ? p.fps : 24, ...(width !== undefined ? { width } : {}) } };
}

function watch(raw: Raw, at: string, ctx: ValidateContext): WatchConfig {
  const w = watchOf(raw, at, ctx);
  checkProxy(w, `${at}.sequences`, ctx);
  return w;
}

// A proxy is rendered from the frames once the sequence is complete: frames deleted after their
// own upload are gone by then, and `upload: proxy` without a proxy would upload nothing.
function checkProxy(w: WatchConfig, at: string, ctx: ValidateContext): void {
  const s = w.sequences;
  if (!s) return;
  const pos = (key: string) => ctx.positions.get(`${at}.${key}`) ?? ctx.positions.get(at);
  if ((s.upload ?? 'frames') !== 'frames' && !s.proxy) addIssue(ctx, `${at}.upload`, pos('upload'), `upload '${s.upload ?? ''}' needs a proxy: add e.g. \`proxy: { codec: h264, fps: 24 }\``);
  if (s.proxy && s.upload === 'frames') addIssue(ctx, `${at}.upload`, pos('upload'), `upload 'frames' uploads no proxy: use 'both' (frames and movie) or 'proxy' (the movie only), or remove the proxy`);
  if (s.proxy && s.upload !== 'proxy' && w.afterUpload.action === 'delete') {
    addIssue(ctx, `${at}.proxy`, pos('proxy'), `a proxy is rendered from the frames once the sequence is complete, but after_upload 'delete' removes each frame after its upload: use upload 'proxy' (frames stay in place), or another after_upload action`);
  }
}

function watchOf(raw: Raw, at: string, ctx: ValidateContext): WatchConfig {
  const watchPath = str(raw.path) ?? '';
  return {
    name: str(raw.name) ?? path.basename(watchPath),
    path: watchPath,
    folderId: str(raw.folder_id) ?? '',
    recursive: bool(raw.recursive),
    mirrorSubfolders: bool(raw.mirror_subfolders),
    include: list(raw.include).filter((g): g is string => typeof g === 'string'),
    exclude: list(raw.exclude).filter((g): g is string => typeof g === 'string'),
    settleSeconds: num(raw.settle_seconds),
    poll: bool(raw.poll),
    rescanSeconds: num(raw.rescan_seconds),
    followSymlinks: bool(raw.follow_symlinks),
    allowOutsideLinks: bool(raw.allow_outside_links),
    ...(typeof raw.priority === 'number' && raw.priority !== 0 ? { priority: raw.priority } : {}),
    ...(typeof raw.share_id === 'string' ? { shareId: raw.share_id } : {}),
    rules: list(raw.rules).flatMap((r, i) => (r === INVALID ? [] : [rule(obj(r), ctx.positions.get(`${at}.rules[${i}]`)?.line)])),
    afterUpload: afterUpload(obj(raw.after_upload)),
    onFailure: onFailure(obj(raw.on_failure)),
    ...sequences(obj(raw.sequences), `${at}.sequences`, ctx),
    ...(raw.versions !== undefined && raw.versions !== INVALID ? { versions: versionsConfig(obj(raw.versions), `${at}.versions`, ctx) } : {}),
  };
}

function notifyTarget(raw: Raw, at: string, ctx: ValidateContext): NotifyTarget {
  const type = str(raw.type) === 'slack' ? 'slack' : 'webhook';
  const url = str(raw.url) ?? '';
  const secret = str(raw.secret);
  registerSecret(url);
  registerSecret(secret);
  if (type === 'slack' && secret !== undefined) {
    addIssue(ctx, `${at}.secret`, ctx.positions.get(`${at}.secret`), "'secret' is only used with type 'webhook' (Slack does not check signatures)");
  }
  return {
    type,
    // A hash, not the URL: the name reaches logs and the journal, the URL is a credential.
    name: str(raw.name) ?? `${type}-${createHash('sha256').update(url).digest('hex').slice(0, 10)}`,
    url,
    ...optional('secret', secret),
    on: list(raw.on).filter((e): e is NotifyEvent => typeof e === 'string'),
    batchSeconds: num(raw.batch_seconds),
    stalledMinutes: num(raw.stalled_minutes),
    giveUpMinutes: num(raw.give_up_minutes),
  };
}

function notifyTargets(raw: unknown, ctx: ValidateContext): NotifyTarget[] {
  const out: NotifyTarget[] = [];
  const names = new Map<string, number>();
  list(raw).forEach((t, i) => {
    if (t === INVALID) return;
    const at = `notify[${i}]`;
    const target = notifyTarget(obj(t), at, ctx);
    const first = names.get(target.name);
    if (first !== undefined) {
      addIssue(ctx, `${at}.name`, ctx.positions.get(`${at}.name`) ?? ctx.positions.get(at), `duplicate notify target '${target.name}' (also notify[${first}]); give each a distinct name`);
    } else names.set(target.name, i);
    out.push(target);
  });
  return out;
}

function checkWatches(watches: Array<WatchConfig | null>, ctx: ValidateContext): void {
  const names = new Map<string, number>();
  const paths = new Map<string, number>();
  const shares = new Map<string, number>();
  // A watch's proxies are journaled under the watch "<name>:proxy" (src/sequences/proxy).
  const derived = new Map<string, number>(watches.flatMap((w, i) => (w?.sequences?.proxy ? [[`${w.name}:proxy`, i] as const] : [])));
  watches.forEach((w, i) => {
    const owner = w ? derived.get(w.name) : undefined;
    if (owner === undefined) return;
    addIssue(ctx, `watches[${i}].name`, ctx.positions.get(`watches[${i}].name`) ?? ctx.positions.get(`watches[${i}]`), `watch name '${w!.name}' is taken by the review proxies of watches[${owner}]; rename this watch`);
  });
  watches.forEach((w, i) => {
    if (!w) return;
    const at = `watches[${i}]`;
    const firstName = names.get(w.name);
    if (firstName !== undefined) {
      addIssue(ctx, `${at}.name`, ctx.positions.get(`${at}.name`) ?? ctx.positions.get(at),
        `duplicate watch name '${w.name}' (also watches[${firstName}]); give each watch a distinct name`);
    } else names.set(w.name, i);
    // The journal keys files by (share, path inside the watch): two watches on one key would
    // take each other's files for their own.
    const share = w.shareId ?? w.name;
    const firstShare = shares.get(share);
    if (firstShare !== undefined && (w.shareId !== undefined || firstName === undefined)) {
      addIssue(ctx, `${at}.share_id`, ctx.positions.get(`${at}.share_id`) ?? ctx.positions.get(at),
        `share_id '${share}' is also watches[${firstShare}]'s; each watch needs its own (the journal keys files by share_id and path)`);
    } else shares.set(share, i);
    if (!w.path) return;
    const firstPath = paths.get(w.path);
    if (firstPath !== undefined) {
      addIssue(ctx, `${at}.path`, ctx.positions.get(`${at}.path`), `same folder as watches[${firstPath}] ('${w.path}'): watch each folder once`);
    } else paths.set(w.path, i);
  });
}

const DATABASE_URL_ENV = 'FRAMEIO_AGENT_DATABASE_URL';

/** journal.url, else the environment's database URL: checked for shape, its password kept secret. */
function journalUrl(fromFile: string | undefined, ctx: ValidateContext): { url?: string } {
  // hasOwn, not a read: the CLI's lenient env answers every unset name with a stand-in.
  const fromEnv = Object.hasOwn(ctx.env, DATABASE_URL_ENV) ? ctx.env[DATABASE_URL_ENV] || undefined : undefined;
  const url = fromFile ?? fromEnv;
  if (url === undefined) return {};
  registerPgSecret(url);
  const check = checkPgUrl(url);
  if (!check.ok) {
    const where = fromFile !== undefined ? `${check.display}` : `${check.display} (from ${DATABASE_URL_ENV})`;
    addIssue(ctx, 'journal.url', ctx.positions.get('journal.url'), `database URL ${where} ${check.problem}`);
  }
  return { url };
}

export function normalize(raw: Raw, ctx: ValidateContext, configPath: string | null): AgentConfig {
  const fio = obj(raw.frameio);
  const log = obj(raw.log);
  const up = obj(raw.upload);
  const jr = obj(raw.journal);
  const token = str(fio.token);
  const clientSecret = str(fio.client_secret);
  registerSecret(token);
  registerSecret(clientSecret);
  const httpRaw = obj(raw.http);
  const httpListen = str(httpRaw.listen);
  const httpToken = str(httpRaw.token) || undefined;
  registerSecret(httpToken);
  if (httpListen !== undefined) {
    const problem = listenProblem(httpListen, httpToken !== undefined, 'http.listen', 'http.token');
    if (problem) addIssue(ctx, 'http.listen', ctx.positions.get('http.listen'), problem.replace(/^http\.listen: /, ''));
  }
  const envAccount = ctx.env.FRAMEIO_ACCOUNT_ID || undefined;

  const watchList = list(raw.watches).map((w, i) => (w === INVALID ? null : watch(obj(w), `watches[${i}]`, ctx)));
  checkWatches(watchList, ctx);

  return {
    configPath,
    frameio: {
      apiUrl: str(fio.api_url) ?? '',
      imsUrl: str(fio.ims_url) ?? '',
      ...optional('accountId', str(fio.account_id) ?? envAccount),
      ...optional('token', token),
      ...optional('tokenFile', str(fio.token_file)),
      ...optional('clientId', str(fio.client_id)),
      ...optional('clientSecret', clientSecret),
      scope: str(fio.scope) ?? '',
      legacyToken: bool(fio.legacy_token),
      timeoutSeconds: num(fio.timeout_seconds),
    },
    stateDir: str(raw.state_dir) ?? '',
    journal: { compactAfterDays: num(jr.compact_after_days), leaseSeconds: num(jr.lease_seconds), ...journalUrl(str(jr.url), ctx) },
    log: { level: (str(log.level) ?? 'info') as LogLevel, maxSizeMb: num(log.max_size_mb), maxFiles: num(log.max_files) },
    ...(httpListen !== undefined ? { http: { listen: httpListen, ...optional('token', httpToken) } } : {}),
    upload: {
      maxWorkers: num(up.max_workers),
      maxFiles: num(up.max_files),
      adaptive: bool(up.adaptive),
      maxRetries: num(up.max_retries),
      partTimeoutSeconds: num(up.part_timeout_seconds),
      verifyTimeoutSeconds: num(up.verify_timeout_seconds),
      maxUploadAttempts: num(up.max_upload_attempts),
      ...bandwidth(str(up.bandwidth)),
      ...(typeof up.outage_limit_seconds === 'number' ? { outageLimitSeconds: up.outage_limit_seconds } : {}),
    },
    watches: watchList.filter((w): w is WatchConfig => w !== null),
    notify: notifyTargets(raw.notify, ctx),
  };
}
