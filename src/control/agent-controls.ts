// What a running agent can be told to do while it runs (pause, resume), for the CLI's journal
// path and an HTTP API alike. The journal holds the truth: a change is written there first,
// then applied to the transfer gate; sync() applies changes other processes (the CLI) wrote,
// and runs every ~2 s in the agent.
import type { Logger } from '../util/logger.js';
import { PAUSE_ALL, type PauseGate } from '../upload/index.js';
import { readPauseState, writePause, writeResume, type PauseRecord, type PauseState, type PauseStore } from './pause-state.js';
import type { AgentControls } from '../http/controls.js';

/** A pause or resume named a watch the config does not have (the API answers 400). */
export class UnknownWatchError extends Error {}

export interface PauseOptions {
  /** One watch (by name); default everything. */
  watch?: string;
  /** Abandon parts in flight (they are sent again after the resume) instead of letting them finish. */
  now?: boolean;
}

/** The HTTP surface's AgentControls, journaled: the pause survives a restart and can cover one watch. */
export interface JournaledControls extends AgentControls {
  /** Journals the pause, then holds new parts at once. Rejects for an unknown watch or an unwritable journal. */
  pause(opts?: PauseOptions): Promise<void>;
  /** Journals the resume and lets parts go (nothing happens when that scope was not paused). */
  resume(opts?: { watch?: string }): Promise<void>;
  /** Whether parts of `watch` (or, without one, everything) are held now. */
  isPaused(opts?: { watch?: string }): boolean;
  /** What is paused now, as applied to the transfers. */
  paused(): PauseState;
  /** When the pause of everything began (ms epoch), for "paused since". */
  since(): number | undefined;
  /** The upload bandwidth limit in force now, bytes per second (Infinity: none). */
  bandwidth(): number;
}

export class PauseControl implements JournaledControls {
  /** Scopes applied to the gate, with whether `now` was applied. */
  private readonly applied = new Map<string, PauseRecord>();

  constructor(
    private readonly deps: {
      store: PauseStore;
      gate: PauseGate;
      watches: readonly string[];
      clock: { now(): number };
      logger: Logger;
      bandwidth: () => number;
    },
  ) {}

  async pause(opts: PauseOptions = {}): Promise<void> {
    this.checkWatch(opts.watch);
    const rec = await writePause(this.deps.store, { ...opts, at: this.deps.clock.now() });
    this.apply(opts.watch ?? PAUSE_ALL, rec);
  }

  async resume(opts: { watch?: string } = {}): Promise<void> {
    this.checkWatch(opts.watch);
    await writeResume(this.deps.store, opts);
    this.lift(opts.watch ?? PAUSE_ALL);
  }

  isPaused(opts: { watch?: string } = {}): boolean {
    return opts.watch === undefined ? this.deps.gate.paused : this.deps.gate.isPaused(opts.watch);
  }

  paused(): PauseState {
    const state: PauseState = { watches: new Map() };
    for (const [scope, rec] of this.applied) {
      if (scope === PAUSE_ALL) state.all = rec;
      else state.watches.set(scope, rec);
    }
    return state;
  }

  bandwidth(): number {
    return this.deps.bandwidth();
  }

  since(): number | undefined {
    return this.applied.get(PAUSE_ALL)?.since;
  }

  /** Applies what the journal says (changes made by the CLI or another handle). */
  async sync(): Promise<void> {
    const state = await readPauseState(this.deps.store);
    const want = new Map(state.watches);
    if (state.all) want.set(PAUSE_ALL, state.all);
    for (const scope of [...this.applied.keys()]) if (!want.has(scope)) this.lift(scope);
    for (const [scope, rec] of want) this.apply(scope, rec);
  }

  private apply(scope: string, rec: PauseRecord): void {
    const before = this.applied.get(scope);
    if (before && (before.now || !rec.now)) return;
    this.applied.set(scope, rec);
    this.deps.gate.pause({ ...(scope === PAUSE_ALL ? {} : { scope }), now: rec.now, since: rec.since });
    const what = scope === PAUSE_ALL ? 'uploads' : `watch '${scope}'`;
    this.deps.logger.info(
      before
        ? `${what}: parts in flight abandoned (pause --now); they are sent again after the resume`
        : `${what} paused since ${new Date(rec.since).toISOString()}: no new part starts; ${rec.now ? 'parts in flight abandoned, sent again after the resume' : 'parts in flight finish'}`,
    );
  }

  private lift(scope: string): void {
    if (!this.applied.delete(scope)) return;
    this.deps.gate.resume(scope === PAUSE_ALL ? {} : { scope });
    this.deps.logger.info(`${scope === PAUSE_ALL ? 'uploads' : `watch '${scope}'`} resumed`);
  }

  private checkWatch(watch: string | undefined): void {
    if (watch !== undefined && !this.deps.watches.includes(watch)) {
      throw new UnknownWatchError(`no watch named '${watch}' (watches: ${this.deps.watches.join(', ')})`);
    }
  }
}

/** The watch a file belongs to: the configured folder that contains it (the deepest, if nested). */
export function watchOfPath(watches: ReadonlyArray<{ name: string; path: string }>, sep: string): (file: string) => string | undefined {
  const sorted = [...watches].sort((a, b) => b.path.length - a.path.length);
  return (file) => sorted.find((w) => file === w.path || file.startsWith(w.path.endsWith(sep) ? w.path : w.path + sep))?.name;
}
