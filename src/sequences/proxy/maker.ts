// ProxyMaker: a review movie of each completed sequence (watches with `sequences.proxy`), rendered
// by ffmpeg into state_dir/proxies and handed to the pipeline as a file of the watch's derived
// `<watch>:proxy` watch, so it is journaled, resumed and verified like any upload, and lands in
// the frames' Frame.io folder. One render at a time (ffmpeg takes every core it gets).
//
// Each proxy has a record in the journal's settings (`proxy/<watch>/<sequence>`): what it is made
// of (the frames, a signature of their sizes and times), where it goes, and how far it got
// (rendering → rendered → uploaded | failed). A restart carries on from the record: a render cut
// off is done again (ffmpeg writes a temporary file, renamed only on success), a rendered movie is
// offered to the runner again (its journal says whether it is uploaded, under way or new: never
// twice). The same frames completing again (a restart re-reading a folder whose frames stay in
// place with `upload: proxy`) give the same signature: no second proxy.
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { WatchConfig } from '../../config/types.js';
import type { EventBus } from '../../events/bus.js';
import type { PipelineEvent } from '../../events/types.js';
import type { Job, JobStore, JobUnit } from '../../journal/index.js';
import type { RunnerFolders, RunnerWatch } from '../../pipeline/types.js';
import { route as routeFile } from '../../rules/index.js';
import type { Clock } from '../../util/clock.js';
import { formatBytes, formatDuration } from '../../util/format.js';
import type { Logger } from '../../util/logger.js';
import type { FileFacts } from '../../watch/index.js';
import type { ProxyConfig } from '../config.js';
import { framePath } from '../detect.js';
import { encodeRanges } from '../resume.js';
import { frameRange } from '../summary.js';
import type { CompletedSequence } from '../tracker.js';
import { DerivedWatch, derivedWatchConfig, derivedWatchName, setProxyRoute } from './derived-watch.js';
import { image2Pattern, proxyExtension, renderProxy, type ProxyFrame } from './ffmpeg.js';

import { PROXY_PREFIX } from '../persist.js';

export { PROXY_PREFIX };

/** The record of one sequence's proxy: its group (sequence, range) and its progress. */
export interface ProxyRecord {
  watch: string;
  sequence: string;
  name: string;
  first: number;
  last: number;
  frames: number;
  gaps: string;
  signature: string;
  /** The proxy job's path under the derived watch (also its name in Frame.io) and on disk. */
  relPath: string;
  absPath: string;
  folderId: string;
  state: 'rendering' | 'rendered' | 'uploaded' | 'failed';
  input: { frames: ProxyFrame[]; pattern?: string; ext: string };
  size?: number;
  mtimeMs?: number;
  error?: string;
  at: number;
}

/** What the maker needs of the runner: registering the derived watch and admitting a file. */
export interface ProxyPipeline {
  addWatch(config: WatchConfig, hot: RunnerWatch): void;
  handleSettled(watchName: string, facts: FileFacts): Promise<void>;
}

export interface ProxyMakerOptions {
  watches: readonly WatchConfig[];
  stateDir: string;
  ffmpeg: string;
  pipeline: ProxyPipeline;
  folders: RunnerFolders;
  store: Pick<JobStore, 'get' | 'getById' | 'update' | 'listSettings' | 'setSetting'>;
  events: EventBus;
  logger: Logger;
  clock: Clock;
}

interface Derived {
  watch: WatchConfig;
  proxy: ProxyConfig;
  hot: DerivedWatch;
}

const settingKey = (watch: string, sequence: string): string => `${PROXY_PREFIX}${watch}/${sequence}`;
const safeDir = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** "proxy of sh010_comp 1001–1240": the group a proxy job stands for, as logs and status say it. */
export function describeProxy(r: Pick<ProxyRecord, 'name' | 'first' | 'last'>): string {
  return `proxy of ${r.name} ${frameRange({ first: r.first, last: r.last })}`;
}

/** The shot a proxy job stands for, as its journal unit: the sequence and the frames in the movie. */
export function proxyUnit(r: Pick<ProxyRecord, 'sequence' | 'input'>): JobUnit {
  const frames = r.input.frames.map((f) => f.frame).sort((a, b) => a - b);
  return { kind: 'group', of: 'sequence', name: r.sequence, members: encodeRanges(frames), count: frames.length };
}

export class ProxyMaker {
  private readonly derived = new Map<string, Derived>();
  /** By derived watch name. */
  private readonly byDerived = new Map<string, Derived>();
  private readonly records = new Map<string, ProxyRecord>();
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private off: (() => void) | undefined;

  constructor(private readonly opts: ProxyMakerOptions) {
    for (const w of opts.watches) {
      if (!w.sequences?.proxy) continue;
      const config = derivedWatchConfig(w, path.join(opts.stateDir, 'proxies', safeDir(w.name)));
      const d: Derived = { watch: w, proxy: w.sequences.proxy, hot: new DerivedWatch(config, (facts) => this.offer(config.name, facts)) };
      this.derived.set(w.name, d);
      this.byDerived.set(config.name, d);
    }
  }

  /** The watch proxies of `watch` are journaled under. */
  static derivedName = derivedWatchName;

  /**
   * Registers the derived watches and their routes with the runner: before runner.recover(), so
   * a proxy upload under way at the last stop resumes like any other.
   */
  async start(): Promise<void> {
    for (const d of this.derived.values()) this.opts.pipeline.addWatch(d.hot.config, d.hot);
    this.off = this.opts.events.subscribe(
      (e) => this.byDerived.has(e.watch) && (e.type === 'finalized' || e.type === 'failed'),
      (e) => void this.onJobEnded(e).catch((err: unknown) => this.opts.logger.warn(`proxy: ${(err as Error).message}`)),
      { name: 'proxies' },
    );
    for (const [key, value] of await this.opts.store.listSettings(PROXY_PREFIX)) {
      try {
        const r = JSON.parse(value) as ProxyRecord;
        const d = this.derived.get(r.watch);
        if (!d) continue;
        this.records.set(key, r);
        setProxyRoute(d.hot.config, r.relPath, r.folderId);
        d.hot.know(r.absPath, r.relPath);
      } catch {
        /* a damaged record: its sequence renders again if it completes again */
      }
    }
  }

  /** After runner.recover(): carries on with the proxies the last run left rendering or rendered. */
  resume(): void {
    for (const r of this.records.values()) {
      if (r.state === 'rendering' || r.state === 'rendered') this.enqueue(this.derived.get(r.watch)!, () => this.advance(r));
    }
  }

  /** Stops a render under way (it is done again on the next start) and waits for the queue. */
  async stop(): Promise<void> {
    this.off?.();
    this.abort.abort();
    await Promise.all([...this.preparing]);
    await this.queue;
  }

  /**
   * The tracker's news: a sequence is complete. Its record is saved at once, outside the render
   * queue: a stop while other proxies render leaves it journaled as 'rendering', rendered at the
   * next start (frames already uploaded are never offered again, so the news would not come twice).
   */
  sequenceComplete(c: CompletedSequence): void {
    const d = this.derived.get(c.watch);
    if (!d) return;
    d.hot.rendering++;
    const p = this.begin(d, c)
      .then((r) => {
        if (r) this.enqueue(d, () => this.advance(r));
      })
      .catch((err: unknown) => this.opts.logger.warn(`proxy (watch '${d.watch.name}'): ${(err as Error).message}`))
      .finally(() => {
        d.hot.rendering--;
        this.preparing.delete(p);
      });
    this.preparing.add(p);
  }

  private readonly preparing = new Set<Promise<void>>();
  /** Proxy names chosen (`watch\0relPath`), by the sequence that chose them (see proxyPath). */
  private readonly chosen = new Map<string, { watch: string; sequence: string }>();

  /** Resolves when no render is queued or under way (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.preparing]);
    await this.queue;
  }

  list(): ProxyRecord[] {
    return [...this.records.values()];
  }

  private enqueue(d: Derived, work: () => Promise<void>): void {
    d.hot.rendering++;
    this.queue = this.queue
      .then(work)
      .catch((err: unknown) => this.opts.logger.warn(`proxy (watch '${d.watch.name}'): ${(err as Error).message}`))
      .finally(() => d.hot.rendering--);
  }

  /** The record of a completed sequence's proxy, saved; undefined when there is nothing (more) to do. */
  private async begin(d: Derived, c: CompletedSequence): Promise<ProxyRecord | undefined> {
    const { logger, store } = this.opts;
    const root = d.watch.path;
    const frames: ProxyFrame[] = [];
    const stamp: string[] = [];
    let inPlace = true;
    for (const f of [...c.frames].sort((a, b) => a.frame - b.frame)) {
      if (f.status === 'pending') continue;
      const home = path.join(root, ...framePath(c.id, f.frame).split('/'));
      let where = home;
      if (f.jobId !== undefined) {
        const job: Job | undefined = await store.getById(f.jobId);
        where = job?.finalPath ?? job?.absPath ?? home;
      }
      const st = await fsp.stat(where).catch(() => undefined);
      if (!st?.isFile()) continue; // failed and moved away, or removed: the proxy shows what is there
      if (where !== home) inPlace = false;
      frames.push({ frame: f.frame, path: where });
      stamp.push(`${f.frame}:${st.size}:${Math.round(st.mtimeMs)}`);
    }
    if (frames.length === 0) {
      logger.warn(`sequence ${c.watch}/${c.key}: no frame is on disk any more; no proxy`, { watch: c.watch, sequence: c.key });
      return undefined;
    }
    const signature = createHash('sha256').update(stamp.join(',')).digest('hex').slice(0, 32);
    const key = settingKey(c.watch, c.key);
    const before = this.records.get(key);
    if (before && before.signature === signature && before.state !== 'failed') {
      logger.debug(`sequence ${c.watch}/${c.key}: ${describeProxy(before)} is ${before.state} already`);
      return before.state === 'uploaded' ? undefined : before;
    }
    const ext = proxyExtension(d.proxy);
    const relPath = before?.relPath.endsWith(`_proxy.${ext}`) ? before.relPath : this.proxyPath(c, ext);
    const dirAbs = path.join(root, ...(c.id.dir ? c.id.dir.split('/') : []));
    const record: ProxyRecord = {
      watch: c.watch,
      sequence: c.key,
      name: c.id.name,
      first: frames[0]!.frame,
      last: frames[frames.length - 1]!.frame,
      frames: frames.length,
      gaps: c.info.gaps,
      signature,
      relPath,
      absPath: path.join(d.hot.config.path, ...relPath.split('/')),
      folderId: c.info.folderId ?? (await this.folderOf(d, framePath(c.id, frames[0]!.frame))),
      state: 'rendering',
      input: { frames, ext: c.id.ext, ...(inPlace ? { pattern: image2Pattern(dirAbs, c.id.name, c.id.sep, c.id.padding, c.id.ext) } : {}) },
      at: this.opts.clock.now(),
    };
    await this.save(key, record);
    return record;
  }

  /**
   * `<name>_proxy.mp4` beside the frames, unless another sequence of that name in the folder has it
   * already (`sh010.####.exr` and its `sh010.####.jpg` previews; other paddings or separators):
   * then `<name>_<ext>_proxy.mp4`, then a number. Two movies under one name would overwrite each
   * other in state_dir and stack as versions of one file in Frame.io.
   */
  private proxyPath(c: CompletedSequence, ext: string): string {
    const dir = c.id.dir ? `${c.id.dir}/` : '';
    const taken = new Set([...this.records.values()].filter((r) => r.watch === c.watch && r.sequence !== c.key).map((r) => r.relPath));
    for (const [p, owner] of this.chosen) if (owner.watch === c.watch && owner.sequence !== c.key) taken.add(p.slice(p.indexOf('\0') + 1));
    const stems = [c.id.name, `${c.id.name}_${c.id.ext}`];
    for (let i = 2; ; i++) {
      const p = `${dir}${stems.shift() ?? `${c.id.name}_${c.id.ext}_${i - 2}`}_proxy.${ext}`;
      if (taken.has(p)) continue;
      // Two sequences completing together choose before either record is saved: the name is theirs now.
      this.chosen.set(`${c.watch}\0${p}`, { watch: c.watch, sequence: c.key });
      return p;
    }
  }

  /** The frames' folder when none was uploaded (`upload: proxy`): routed like its first frame. */
  private async folderOf(d: Derived, frameRel: string): Promise<string> {
    const r = routeFile({ relPath: frameRel, size: 0, mtimeMs: this.opts.clock.now() }, d.watch, new Date(this.opts.clock.now()));
    if (r.skip) return this.opts.folders.resolve(d.watch.folderId, []);
    return this.opts.folders.resolve(r.folderId, r.segments);
  }

  private async advance(r: ProxyRecord): Promise<void> {
    const d = this.derived.get(r.watch)!;
    const key = settingKey(r.watch, r.sequence);
    const { logger } = this.opts;
    const latest = this.records.get(key);
    if (latest && latest.signature !== r.signature) return; // the sequence completed again since: that render is queued
    if (latest) r = latest;
    setProxyRoute(d.hot.config, r.relPath, r.folderId);
    if (r.state === 'rendered') {
      const facts = await d.hot.facts(r.absPath, r.relPath);
      if (facts && facts.size === r.size && facts.mtimeMs === r.mtimeMs) {
        const job = await this.opts.store.get(d.hot.config.name, r.relPath);
        if (job?.state === 'done' && job.size === facts.size && job.mtimeMs === facts.mtimeMs) {
          await this.save(key, { ...r, state: 'uploaded' });
          return;
        }
        await this.offer(d.hot.config.name, facts);
        return;
      }
      r = { ...r, state: 'rendering' }; // gone or not the movie that was rendered: render again
    }
    if (r.state !== 'rendering' || this.abort.signal.aborted) return;
    const started = this.opts.clock.now();
    let demuxer: string;
    try {
      demuxer = await renderProxy(this.opts.ffmpeg, r.input, d.proxy, r.absPath, this.abort.signal);
    } catch (err) {
      if (this.abort.signal.aborted) return; // the record still says rendering: done again next start
      const message = (err as Error).message;
      logger.warn(`sequence ${r.watch}/${r.sequence}: ${describeProxy(r)} not rendered: ${message}`, { watch: r.watch, sequence: r.sequence });
      await this.save(key, { ...r, state: 'failed', error: message });
      return;
    }
    const facts = await d.hot.facts(r.absPath, r.relPath);
    if (!facts) throw new Error(`${r.absPath} vanished right after its render`);
    const rendered: ProxyRecord = { ...r, state: 'rendered', size: facts.size, mtimeMs: facts.mtimeMs, at: this.opts.clock.now() };
    await this.save(key, rendered);
    logger.info(
      `sequence ${r.watch}/${r.sequence}: ${describeProxy(r)} rendered (${r.frames} frames${r.gaps ? `, missing ${r.gaps} held` : ''}, ${d.proxy.codec} ${d.proxy.fps} fps, ${formatBytes(facts.size)} in ${formatDuration(this.opts.clock.now() - started)}, ${demuxer}); uploading ${r.relPath} beside the frames`,
      { watch: r.watch, sequence: r.sequence, proxy: r.relPath },
    );
    await this.offer(d.hot.config.name, facts);
  }

  /**
   * Hands a rendered movie to the runner, then marks its job as the shot it stands for. The runner
   * has observed the file when handleSettled returns (the upload goes on after), so the row exists;
   * a write that refers only to the unit column cannot undo the upload's own writes.
   */
  private async offer(derivedName: string, facts: FileFacts): Promise<void> {
    await this.opts.pipeline.handleSettled(derivedName, facts);
    const d = this.byDerived.get(derivedName);
    const r = d && [...this.records.values()].find((x) => x.watch === d.watch.name && x.relPath === facts.relPath);
    if (!r) return;
    const job = await this.opts.store.get(derivedName, facts.relPath);
    const unit = proxyUnit(r);
    if (job && JSON.stringify(job.unit) !== JSON.stringify(unit)) await this.opts.store.update(job.id, { unit });
  }

  private async onJobEnded(e: PipelineEvent): Promise<void> {
    const d = this.byDerived.get(e.watch)!;
    const r = [...this.records.values()].find((x) => x.watch === d.watch.name && x.relPath === e.relPath);
    if (!r) return;
    const job = await this.opts.store.getById(e.jobId);
    if (job?.state === 'done') await this.save(settingKey(r.watch, r.sequence), { ...r, state: 'uploaded' });
    else if (job?.state === 'failed') await this.save(settingKey(r.watch, r.sequence), { ...r, state: 'failed', error: job.lastError ?? 'upload failed' });
  }

  private async save(key: string, r: ProxyRecord): Promise<void> {
    this.records.set(key, r);
    await this.opts.store.setSetting(key, JSON.stringify(r));
  }
}
