// `frameio-agent pause [--watch NAME] [--now]` / `resume [--watch NAME]`: journal the pause state,
// which a running agent applies within ~2 s and a restarted agent applies before its first part.
import path from 'node:path';
import { openJournal, lenientEnv } from './state.js';
import { loadConfigFor } from './config-file.js';
import { readPauseState, writePause, writeResume } from '../control/pause-state.js';
import { EXIT, UsageError } from './exit.js';
import { out, type CliIO } from './io.js';

interface PauseArgs {
  watch?: string;
  now?: boolean;
  config?: string;
  stateDir?: string;
}

/** A watch name is checked against the config when there is one (with only --state-dir, it cannot be). */
async function checkWatch(args: PauseArgs, io: CliIO, command: string): Promise<void> {
  if (args.watch === undefined || args.stateDir) return;
  const config = await loadConfigFor(args.config, io, { checkPaths: false, env: lenientEnv(io.env) });
  const names = config?.watches.map((w) => w.name) ?? [];
  if (config && !names.includes(args.watch)) {
    throw new UsageError(`${command}: no watch named '${args.watch}' in ${config.configPath ?? 'the config'} (watches: ${names.join(', ')})`);
  }
}

const what = (watch: string | undefined): string => (watch === undefined ? 'all uploads' : `watch '${watch}'`);

export async function pauseCommand(args: PauseArgs, io: CliIO): Promise<number> {
  await checkWatch(args, io, 'pause');
  // Before the agent's first run too (a service installed paused): the journal is made for it.
  const journal = await openJournal(args, io, false, { create: true });
  try {
    const before = await readPauseState(journal);
    const was = args.watch === undefined ? before.all : before.watches.get(args.watch);
    const rec = await writePause(journal, { ...(args.watch !== undefined ? { watch: args.watch } : {}), now: Boolean(args.now), at: Date.now() });
    const since = new Date(rec.since).toISOString();
    if (was && (was.now || !args.now)) out(io, `${what(args.watch)} already paused since ${since}`);
    else {
      out(io, `paused ${what(args.watch)} (since ${since}): no new part starts; ${args.now ? 'parts in flight are abandoned and sent again after `resume`' : 'parts in flight finish'}`);
      out(io, `a running agent applies this within ~2 s; it lasts across restarts until \`frameio-agent resume${args.watch !== undefined ? ` --watch ${args.watch}` : ''}\` (state_dir ${path.dirname(journal.location)})`);
    }
    return EXIT.ok;
  } finally {
    await journal.close();
  }
}

export async function resumeCommand(args: PauseArgs, io: CliIO): Promise<number> {
  await checkWatch(args, io, 'resume');
  const journal = await openJournal(args, io, false);
  try {
    const was = await writeResume(journal, args.watch !== undefined ? { watch: args.watch } : {});
    // A pause of everything and a watch's pause are separate: say which one still holds uploads,
    // or "resumed" reads as if everything goes again.
    const left = await readPauseState(journal);
    const still =
      args.watch === undefined
        ? [...left.watches.keys()].map((w) => `watch '${w}' stays paused (\`frameio-agent resume --watch ${w}\`)`)
        : left.all
          ? ['all uploads stay paused (`frameio-agent resume`)']
          : [];
    if (was) out(io, `resumed ${what(args.watch)}: a running agent starts parts again within ~2 s`);
    else out(io, `${what(args.watch)} not paused`);
    for (const line of still) out(io, line);
    return EXIT.ok;
  } finally {
    await journal.close();
  }
}

