// The issue-10 sections of BENCHMARKS.md: each states its emulator settings, goal, verdict, the
// machine and load it was measured under, and a measured "why" for every figure that misses.
const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const yes = (ok) => (ok === undefined ? '—' : ok ? '✅ yes' : '❌ no');
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const MiB = 1024 * 1024;

/** "Measured …" line: when, on what, under which load (the machine is shared by other work). */
export function measuredLine(meta) {
  if (!meta) return '';
  return `_Measured ${meta.date} on ${meta.cpu} (${meta.cores} cores), ${meta.quick ? 'quick size, ' : ''}${f(meta.seconds, 0)} s; load average at start ${meta.load.map((x) => f(x, 1)).join(' / ')} (1/5/15 min)${meta.load[0] > meta.cores ? ': **the machine was busy with other work, so rates are lower than on an idle machine**' : ''}._`;
}

export function renderConfirm(r) {
  const out = ['## 7. Confirmations at Frame.io\'s real limits (`--only confirm-lag`)', '', measuredLine(r.meta), ''];
  out.push(`${r.rows[0]?.n} frames of 1 MiB (\`shot.NNNN.exr\`) dropped before \`run --once\`; settle 0.5 s, \`max_files ${r.rows[0]?.maxFiles}\`, default \`max_workers\` (adaptive), after_upload leave. Emulator (bench/emulator-host.mjs, own process): \`{ store: 'discard', rateLimits: true, statusLagMs: <lag> }\`, i.e. the real limits of src/emulator/rateLimiter.ts (5/s create, upload_status, show_file; 100/min lists) enforced and advertised, no round-trip delay, no shaping. "Confirmation calls" = upload_status + show_file + list_files requests counted by the emulator, ÷ files created. files/s = steady state (files − 1) ÷ (last create − first create).`, '');
  const rows = r.rows.map((x) => {
    const ok = x.filesPerS >= 4.75 && x.confirmPerFile <= 1.2 && x.http429 === 0 && x.complete === x.n;
    return [`${x.lagMs / 1000} s`, `${x.complete}/${x.n}${x.timedOut ? ` (stopped at ${x.deadlineS} s)` : ''}`, f(x.filesPerS, 2), f(x.wallFilesPerS, 2), f(x.confirmPerFile, 2), `${x.calls.upload_status} / ${x.calls.show_file} / ${x.calls.list_files}`, String(x.http429), '≥ 4.75 files/s, ≤ 1.2 calls/file, 0 × 429', yes(ok)];
  });
  out.push(table(['assembly lag', 'complete', 'files/s', 'files/s incl. start', 'confirm calls/file', 'upload_status / show_file / list_files', '429s', 'goal', 'met?'], rows), '');
  for (const x of r.rows) {
    const why = [];
    const extra = x.calls.upload_status + x.calls.show_file + x.calls.list_files - x.created;
    if (x.confirmPerFile > 1.2) why.push(`${extra} calls beyond one per file: with a ${x.lagMs / 1000} s lag the first upload_status after the last part answers "not complete" and the agent polls again (upload_status ${x.calls.upload_status}, show_file ${x.calls.show_file}, list_files ${x.calls.list_files} for ${x.created} files)`);
    if (x.http429 > 0) why.push(`${x.http429} × 429 by endpoint ${JSON.stringify(x.rateLimited)}: create and upload_status share nothing but each has 5/s; the extra polls push upload_status over its bucket`);
    // Little's law: slots ÷ rate = how long each file held its slot.
    if (x.filesPerS < 4.75) why.push(`${x.maxFiles} file slots ÷ ${f(x.filesPerS, 2)} files/s = ${f(x.maxFiles / x.filesPerS, 1)} s per file in a slot, about the ${x.lagMs / 1000} s lag plus the upload and the polls: a file holds its max_files slot until it is confirmed, so the lag, not the 5/s create limit, sets the pace (${x.http429} × 429)`);
    if (why.length) out.push(`**${x.lagMs / 1000} s lag, why it misses:** ${why.join('; ')}.`, '');
  }
  return out.join('\n');
}

export function renderLongFat(r) {
  const s = r.shaping;
  const out = ['## 8. A long fat link (`--only long-fat`)', '', measuredLine(r.meta), ''];
  out.push(`Emulator (own process): \`{ store: 'discard', connectionBytesPerSecond: ${s.connectionBytesPerSecond}, linkBytesPerSecond: ${s.linkBytesPerSecond}, roundTripMs: ${s.roundTripMs} }\` = 16 MB/s per TCP connection, 200 MB/s for all (the uplink), 80 ms on every answer. Rate limits off (advertised 100,000/s): at the real 5 creates/s, 20 MB files could never pass 100 MB/s, so the figure would measure the rate limit, not the link. Files are sparse (the page cache serves them, no disk time). The agent runs with its DEFAULT upload settings (no \`upload:\` block) unless the row says otherwise; settle 0.5 s. MB = 10⁶ bytes. "MB/s" = bytes ÷ the window in which the emulator received them (sampled every 200 ms); "incl. start" = bytes ÷ the agent's wall time. "streams" = the emulator's most concurrent part PUTs.`, '');
  const curl = r.rows.find((x) => x.label.startsWith('curl'));
  const rows = r.rows.map((x) => {
    const isAgent = !x.label.startsWith('curl');
    const goalRss = x.label.includes('max_workers 32');
    const goal = !isAgent ? 'the machine\'s ceiling' : goalRss ? '< 150 MB RSS at 32 streams' : '≥ 90 % of the link (180 MB/s)';
    const ok = !isAgent ? undefined : goalRss ? x.peakRssMb < 150 : x.linkPct >= 90;
    return [x.label, f(x.mbps, 0), f(x.linkPct, 0) + ' %', curl ? f((x.mbps / curl.mbps) * 100, 0) + ' %' : '—', isAgent ? f(x.wallMbps, 0) : '—', String(x.maxStreams), f(x.peakRssMb, 0), isAgent && x.timedOut ? `stopped at ${x.deadlineS} s, ${f((x.bytes / x.total) * 100, 0)} % sent` : 'all sent', goal, yes(ok)];
  });
  out.push(table(['run', 'MB/s', '% of 200 MB/s', '% of the curl ceiling', 'MB/s incl. start', 'streams', 'peak RSS MB', 'done', 'goal', 'met?'], rows), '');
  if (curl) {
    const parts = Math.ceil(curl.size / (20 * MiB));
    const tail = parts % curl.parallel;
    const best = Math.max(...r.rows.map((y) => y.mbps).filter(Number.isFinite));
    const ceilingNote = best > curl.mbps * 1.02 ? `; the agent itself reached ${f(best, 0)} MB/s (${f(best / 2, 0)} %) with 32 streams, so this set-up (emulator pacing, 2 cores) carries at least that, and curl's figure is lower because of its tail` : curl.linkPct < 90 ? ': even this misses 90 %, so part of any shortfall below is the set-up, not the agent' : '';
    out.push(`**Ceiling on this machine:** curl with ${curl.parallel} parallel PUTs on the same shaping reaches ${f(curl.mbps, 0)} MB/s (${f(curl.linkPct, 0)} % of the link), with the emulator's pacing and the senders sharing 2 cores${ceilingNote}. Part of curl's gap is the file's tail: its ${parts} parts of 20 MiB go ${curl.parallel} at a time, so the last ${tail || curl.parallel} run alone at ≤ ${(tail || curl.parallel) * 16} MB/s; each part also pays a process start and the 80 ms round trip.`, '');
  }
  for (const x of r.rows.filter((y) => !y.label.startsWith('curl') && !y.label.includes('max_workers 32') && y.linkPct < 90)) {
    if (x.maxStreams * 16 >= 200) {
      // Enough streams to carry the link: what is left is the machine (compare with curl's ceiling).
      const vsCurl = curl ? ` it reached ${f((x.mbps / curl.mbps) * 100, 0)} % of what ${curl.parallel} parallel curl PUTs reach on the same shaping (${f(curl.mbps, 0)} MB/s), and` : '';
      out.push(`**${x.label}, why it misses:** not the parallelism: up to ${x.maxStreams} part PUTs were in flight (emulator counter), which could carry ${x.maxStreams * 16} MB/s;${vsCurl} the emulator's pacing, the agent and the senders share 2 cores, so this machine is the ceiling here, not the link.`, '');
    } else {
      out.push(`**${x.label}, why it misses:** at most ${x.maxStreams} part PUTs were in flight (emulator counter), and one connection carries ≤ 16 MB/s, so the agent could not pass ${x.maxStreams * 16} MB/s whatever the link: it did not grow the number of streams far enough (upload.adaptive grows them while throughput rises, up to max_workers). Filling 200 MB/s at 16 MB/s per connection needs ≥ 13 streams.`, '');
    }
  }
  const x32 = r.rows.find((y) => y.label.includes('max_workers 32'));
  const def = r.rows.find((y) => y.label.startsWith('1 file') && y.upload === 'defaults');
  if (x32 && def && x32.peakRssMb >= 150) {
    const per = (x32.peakRssMb - def.peakRssMb) / Math.max(1, x32.maxStreams - def.maxStreams);
    out.push(`**RSS at 32 streams, why it misses:** ${f(x32.peakRssMb, 0)} MB with ${x32.maxStreams} streams against ${f(def.peakRssMb, 0)} MB with ${def.maxStreams}: ${f(per, 2)} MB per extra stream, which is the two pooled 1 MiB read buffers each worker holds (src/upload/buffer-pool.ts) plus its socket's buffers. Meeting < 150 MB at 32 streams needs less than ~${f((150 - def.peakRssMb) / Math.max(1, 32 - def.maxStreams), 2)} MB per stream (e.g. smaller reads at high parallelism) or a lower base.`, '');
  }
  if (x32 && x32.maxStreams < 32) out.push(`With max_workers 32 the emulator saw at most ${x32.maxStreams} concurrent PUTs (a 1024 MiB file's parts, 20 MiB each, and two files' worth of slots), so its RSS is for ${x32.maxStreams} streams, not 32.`, '');
  return out.join('\n');
}

export function renderStartup(r) {
  const out = ['## 9. Start-up and small drops (`--only startup`)', '', measuredLine(r.meta), ''];
  out.push('Drops: as section 3 (1 MiB frames, `run --once`, settle 0.5 s, max_files 32, emulator with limits off and 100,000/s advertised); here the rate counts from process start to exit. First upload: one 1 MiB file already in the folder (mtime an hour old), empty state_dir, `run` (not `--once`), settle 0.5 s; time from spawning the process to the emulator\'s create-upload time, and to the first poll that sees the upload complete.', '');
  const rows = r.drops.map((x) => [`${x.n} files`, `${x.complete}/${x.n}`, f(x.wallFilesPerS, 1), f(x.filesPerS, 1), f(x.wallS, 2), f((x.cpuS / x.wallS) * 100, 0) + ' %', x.n >= 1000 ? '≥ 200 files/s incl. start' : '—', x.n >= 1000 ? yes(x.wallFilesPerS >= 200) : '—']);
  out.push(table(['drop', 'complete', 'files/s incl. start', 'files/s steady', 'wall s', 'agent CPU (of one core)', 'goal', 'met?'], rows), '');
  const big = r.drops.find((x) => x.n >= 1000);
  if (big && big.wallFilesPerS < 200) {
    const cpuMs = (big.cpuS / big.n) * 1000;
    out.push(`**Why ${big.n} files miss 200 files/s:** per file the agent made ${f(big.creates / big.n, 2)} create + ${f(big.statusCalls / big.n, 2)} upload_status + ${f(big.partPuts / big.n, 2)} part PUT (emulator counters) and used ${f(cpuMs, 1)} ms of CPU (${f(big.cpuS, 1)} s over ${f(big.wallS, 1)} s, i.e. ${f((big.cpuS / big.wallS) * 100, 0)} % of one core). At 200 files/s that CPU alone would be ${f(cpuMs * 20, 0)} % of a core, and the emulator (a second Node process) serves the same calls on the same 2 cores${r.meta?.load[0] > 2 ? `; with a load average of ${f(r.meta.load[0], 0)} from other work the agent could not get a whole core, so part of this miss is the machine` : ''}. Process start and the first scan are in the window too (the steady rate, ${f(big.filesPerS, 0)} files/s, leaves them out).`, '');
  }
  const y = r.young;
  if (y) {
    out.push(table(['1,000-file drop', 'files/s incl. start', 'agent CPU s', 'peak RSS MB'], [
      ["the agent's V8 memory settings (the default)", f(y.capped.wallFilesPerS, 0), f(y.capped.cpuS, 2), f(y.capped.peakRssMb, 0)],
      ["V8's own (`FRAMEIO_AGENT_SEMI_SPACE_GROWTH=2 FRAMEIO_AGENT_HEAP_GROWING_PERCENT=0`)", f(y.v8.wallFilesPerS, 0), f(y.v8.cpuS, 2), f(y.v8.peakRssMb, 0)],
    ]), '');
    out.push(`The agent's V8 memory settings (src/cli/v8-flags.ts: the young generation kept at its initial size, for section 10's peak RSS; the heap growing by 1.6× between full collections, for section 16's) in the same drop, alternating with V8's own, median of ${y.reps}: CPU ×${f(y.capped.cpuS / y.v8.cpuS, 2)}, peak RSS ${f(y.capped.peakRssMb - y.v8.peakRssMb, 0)} MB.`, '');
  }
  const x = r.first;
  out.push(table(['settle', 'run → create-upload s', 'run → upload complete s', 'CLI load alone (`--version`) ms', 'goal', 'met?'], [[`${x.settleSeconds} s`, f(x.createdS, 2), f(x.completeS, 2), f(x.cliLoadMs, 0), '≤ 1 s to the first upload', yes(x.createdS <= 1)]]), '');
  const other = x.createdS - x.settleSeconds - x.cliLoadMs / 1000;
  out.push(`Of the ${f(x.createdS, 2)} s to the first create-upload (median of ${x.runs?.length ?? 1}), ${x.settleSeconds} s is the settle window the file must stay unchanged for and ${f(x.cliLoadMs / 1000, 2)} s is Node loading the CLI (\`--version\`, measured in the same run); the other ${f(other, 2)} s are opening the journal, the start-up checks, the first scan and the create call.${x.createdS > 1 ? ' Meeting ≤ 1 s needs a faster CLI load (fewer modules loaded before `run` starts) and the settle of a file found at start-up to end sooner when it is already old.' : ''}`, '');
  return out.join('\n');
}

export function renderGrowth(r) {
  const out = ['## 10. Cost growth with files already uploaded (`--only growth`)', '', measuredLine(r.meta), ''];
  out.push('Old files: N sparse 1 MiB files in folders of 1,000, mtime an hour old, left in place (after_upload leave). Their journal rows are generated: each a clone of the `done` row the agent wrote for a real seed upload, with that file\'s path, size, mtime, dev and inode, so the agent treats them as uploaded (checked: "uploads" counts every create-upload, and must be 2 = the seed + the new file). Emulator limits off. `run --once` with nothing new; then `run` with one new file: time from spawn until the emulator reports it complete; then, once the agent\'s CPU stops climbing, CPU over the window (default rescan 60 s, native events) and RSS.', '');
  const v = (ok, text) => `${text} ${ok ? '✅' : '❌'}`;
  // The issue's goals hold at 100k files; past that, each figure may grow at most linearly with
  // the files: judged against the 100k case of the same run (its value × n / 100k), and idle CPU
  // against its absolute goal, as a rate per second that should not grow at all.
  const base = r.cases.filter((x) => !x.skipped && x.n <= 100_000).at(-1);
  const judge = (x) => {
    const scale = base && x.n > 100_000 ? x.n / base.n : undefined;
    const within = (value, goal, baseValue) => (scale === undefined ? value <= goal : value <= Math.max(goal, baseValue * scale));
    const once = within(x.onceS, 3, base?.onceS ?? 0);
    const fresh = within(x.newUploadS, 2, base?.newUploadS ?? 0);
    const idle = x.idleCpuPct <= 1;
    const rss = within(x.peakRssMb, 120, base?.peakRssMb ?? 0);
    return { once, fresh, idle, rss, all: once && fresh && idle && rss, linear: scale !== undefined };
  };
  const rows = r.cases.map((x) => {
    if (x.skipped) return [String(x.n), '—', '—', '—', '—', '—', '—', '—', '—', x.skipped];
    const j = judge(x);
    return [String(x.n), f(x.setupS, 0), Number.isFinite(x.walkS) ? f(x.walkS, 2) : '—', v(j.once, f(x.onceS, 2)), v(j.fresh, f(x.newUploadS, 2)), v(j.idle, `${f(x.idleCpuPct, 2)} % (${f(x.idleWindowS, 0)} s)`), f(x.rssMb, 0), v(j.rss, f(x.peakRssMb, 0)), String(x.totalUploads), `${j.all ? '✅ all' : '❌ not all'}${j.linear ? ` (at most linear from ${base.n})` : ''}`];
  });
  out.push(table(['old files', 'setup s', 'bare walk s', '`run --once` s (≤ 3)', 'run → new file uploaded s (≤ 2)', 'idle CPU (≤ 1 %)', 'RSS MB after', 'peak RSS MB (≤ 120)', 'uploads', 'goals met?'], rows), '');
  const withBase = r.cases.filter((x) => x.v8PeakRssMb);
  if (withBase.length) out.push(`Peak RSS with V8's own memory settings (\`FRAMEIO_AGENT_SEMI_SPACE_GROWTH=2 FRAMEIO_AGENT_HEAP_GROWING_PERCENT=0\`, the same tree, started again right after): ${withBase.map((x) => `${x.n} files ${f(x.v8PeakRssMb, 0)} MB against ${f(x.peakRssMb, 0)} with the agent's`).join('; ')}. src/cli/v8-flags.ts keeps V8's young generation at its initial 1 MB semi-spaces (the first scan grew it to 32 MB) and lets the heap grow 1.6× between full collections; section 9 shows what they cost in a 1,000-file drop.`, '');
  out.push(`Goals: at up to 100,000 old files the figures in the headers; past that, as the issue asks, "at most linear": each figure at most its value at ${base ? base.n : '100,000'} files × the ratio of file counts (idle CPU stays ≤ 1 %).`, '');
  out.push('"bare walk" = readdir + lstat of every entry of the tree from the benchmark process (the file system\'s floor for any scan); "setup" = creating the files and their rows (not the agent).', '');
  const s = r.status;
  if (s) out.push(table(['journal rows', '`status` s (median of 3)', 'goal', 'met?'], [[String(s.rows), f(s.statusS, 2), '< 1 s', yes(s.statusS < 1)]]), '');
  const done = r.cases.filter((x) => !x.skipped && Number.isFinite(x.onceS));
  const missed = done.filter((x) => !judge(x).all);
  if (done.length >= 2 && missed.length > 0) {
    const [a, b] = [done[0], done.at(-1)];
    const perFileOnce = ((b.onceS - a.onceS) / (b.n - a.n)) * 1e6;
    const perFileNew = ((b.newUploadS - a.newUploadS) / (b.n - a.n)) * 1e6;
    const perFileRss = ((b.peakRssMb - a.peakRssMb) / (b.n - a.n)) * 1024 * 1024;
    const walk = Number.isFinite(b.walkS) ? ` A bare walk of the same ${b.n}-file tree takes ${f(b.walkS, 1)} s, so ${f(b.onceS - b.walkS, 1)} s of \`run --once\` (${f(((b.onceS - b.walkS) / b.n) * 1e6, 0)} µs per old file) is the agent's own work per file beyond the file system (journal look-up, rule matching, watcher state; which of these was not profiled).` : '';
    out.push(`**Why ${missed.map((x) => x.n).join(' and ')} miss${missed.length === 1 ? 'es' : ''}:** the costs grow with the old files: from ${a.n} to ${b.n}, \`run --once\` grows by ${f(perFileOnce, 0)} µs, the time to the new upload by ${f(perFileNew, 0)} µs and peak RSS by ${f(perFileRss, 0)} bytes per old file.${walk} RSS grows by about ${f(perFileRss / 1024, 1)} KiB per known path (the watcher's per-path state and SQLite's page cache). The new file waits behind the old ones at start-up; meeting the goals at 100k+ needs a start-up whose cost does not grow with the old files (e.g. new files uploaded while the first scan still runs) and a smaller per-path footprint. Idle CPU and \`status\` meet their goals at every size.`, '');
  }
  return out.join('\n');
}

/** Section 16: issue 10's "Memory during big drops" and "Folder lookups" (bench/drops.mjs). */
export function renderDrops(r) {
  const out = ['## 16. Big drops: memory and folder lookups (`--only drops`)', '', measuredLine(r.meta), ''];
  const c0 = r.cases[0];
  out.push(`Every directory of a drop is new (nothing under the watch folder at Frame.io yet), all files (${c0 ? c0.fileSize / 1024 : 4} KiB dense, \`f.NNNNN.exr\`) written before \`run --once\` starts; \`mirror_subfolders: true\`, settle 0.5 s, \`max_files 32\`, after_upload leave. Emulator (bench/emulator-host.mjs, own process): \`{ store: 'discard', rateLimits: false }\` with 100,000/s advertised for the create, status, folder and listing calls, so the pace is the agent's own; the call counts do not depend on it. "listings" = list_folders + list_children requests counted by the emulator; "creates" = create_folder requests, which must equal the new directories; "duplicates" = folders in the emulator's tree sharing one name under one parent (must be 0); "uploads" = create_local_upload requests (must equal the files: each uploaded once). Peak RSS = the agent process's VmHWM; files/s = files ÷ the agent's wall time (start to exit).`, '');
  const ok = (x) => ({
    rss: x.peakRssMb <= 150,
    lists: x.listingsPerDir <= 1.1,
    creates: x.folderCreates === x.newDirs && x.foldersInTree === x.newDirs && x.duplicateFolders === 0,
    uploads: x.uploads === x.n && x.distinctFiles === x.n && x.complete === x.n,
  });
  const mark = (good, text) => `${text} ${good ? '✅' : '❌'}`;
  const rows = r.cases.map((x) => {
    const j = ok(x);
    return [x.label, `${x.complete}/${x.n}${x.timedOut ? ` (stopped at ${f(x.deadlineS, 0)} s)` : ''}`, f(x.wallS, 1), f(x.filesPerS, 0), mark(j.rss, f(x.peakRssMb, 0)), `${x.listings} (${x.listFolders} + ${x.listChildren})`, mark(j.lists, f(x.listingsPerDir, 3)), mark(j.creates, `${x.folderCreates} / ${x.newDirs}`), mark(x.duplicateFolders === 0, String(x.duplicateFolders)), mark(j.uploads, String(x.uploads)), yes(j.rss && j.lists && j.creates && j.uploads)];
  });
  out.push(table(['drop', 'complete', 'wall s', 'files/s', 'peak RSS MB (≤ 150)', 'listings (list_folders + list_children)', 'listings per new dir (≤ 1.1)', 'folder creates / new dirs', 'duplicates', 'uploads', 'all goals met?'], rows), '');
  const [a, , c] = [r.cases.find((x) => x.key === 'siblings'), undefined, r.cases.find((x) => x.key === 'one')];
  if (a && c && a.n !== c.n) {
    const slope = ((a.peakRssMb - c.peakRssMb) / (a.n - c.n)) * 1000;
    out.push(`**"Any drop size" trend:** peak RSS ${f(c.peakRssMb, 0)} MB at ${c.n.toLocaleString('en-US')} files in one folder, ${f(a.peakRssMb, 0)} MB at ${a.n.toLocaleString('en-US')} files in ${(a.newDirs - 1).toLocaleString('en-US')} folders: ${f(slope, 2)} MB more per 1,000 more files (${f((slope * 1024) / 1000, 1)} KiB per file, folders included)${slope > 0 && c.peakRssMb < 150 ? `; at that rate 150 MB is reached at about ${Math.round(c.n + ((150 - c.peakRssMb) / slope) * 1000).toLocaleString('en-US')} files` : ''}.${a.heapAtPeak && c.heapAtPeak ? ` V8's heap in use at each drop's highest-RSS sample: ${f(c.heapAtPeak.heapUsedMb, 0)} MB and ${f(a.heapAtPeak.heapUsedMb, 0)} MB, ${f(((a.heapAtPeak.heapUsedMb - c.heapAtPeak.heapUsedMb) / (a.n - c.n)) * 1000, 2)} MB per 1,000 files; committed heap ${f(c.heapAtPeak.heapTotalMb, 0)} → ${f(a.heapAtPeak.heapTotalMb, 0)} MB; heap in use at the last sample before exit (every file done) ${f(c.heapUsedEndMb, 0)} and ${f(a.heapUsedEndMb, 0)} MB.` : ''} Issue 10 measured ~560 MB for a 50,000-file drop and ~520 MB for a 5,000-directory tree before.`, '');
  }
  const base = r.v8Defaults;
  const same = base && r.cases.find((x) => x.key === base.key);
  if (same) out.push(`With V8's own memory settings (\`FRAMEIO_AGENT_SEMI_SPACE_GROWTH=2 FRAMEIO_AGENT_HEAP_GROWING_PERCENT=0\`), the ${same.n.toLocaleString('en-US')}-file drop in one folder, run right after in the same process: peak RSS ${f(base.peakRssMb, 0)} MB against ${f(same.peakRssMb, 0)}, agent CPU ${f(base.cpuS, 1)} s against ${f(same.cpuS, 1)} s (src/cli/v8-flags.ts: the heap grows 1.6× between full collections instead of up to 4×, so a drop's garbage is collected before it piles up).`, '');
  out.push(`Other calls per drop (emulator counters): ${r.cases.map((x) => `${x.key}: ${x.statusCalls} upload_status, ${x.listFiles} list_files, ${x.showFolder} show_folder, ${x.partPuts} part PUTs, ${x.http429} × 429`).join('; ')}.`, '');
  for (const x of r.cases) {
    const j = ok(x);
    const why = [];
    if (!j.rss) {
      const h = x.heapAtPeak;
      const split = h ? ` Inside the agent (process.memoryUsage(), bench/mem-probe.mjs) its highest-RSS sample, ${f(h.rssMb, 0)} MB at ${f(h.t, 0)} s, was V8's heap ${f(h.heapTotalMb, 0)} MB committed (${f(h.heapUsedMb, 0)} MB in use, garbage not yet collected included), external ${f(h.externalMb, 0)} MB (ArrayBuffers ${f(h.arrayBuffersMb, 0)} MB), and ${f(h.rssMb - h.heapTotalMb - h.externalMb, 0)} MB outside both (Node's and V8's code, malloc arenas, SQLite's page cache, sockets); heap in use at the last sample before exit ${f(x.heapUsedEndMb, 0)} MB` : '';
      why.push(`peak RSS ${f(x.peakRssMb, 0)} MB: the highest once-a-second RSS sample was ${f(x.peakSampleS, 0)} s into a ${f(x.wallS, 0)} s run, when the emulator had ${x.createdAtPeak.toLocaleString('en-US')} of ${x.n.toLocaleString('en-US')} uploads and ${x.foldersAtPeak.toLocaleString('en-US')} of ${x.newDirs.toLocaleString('en-US')} folders created; RSS at exit ${f(x.rssEndMb, 0)} MB.${split}${h && h.heapTotalMb - h.heapUsedMb > x.peakRssMb - 150 ? `. V8 had committed ${f(h.heapTotalMb - h.heapUsedMb, 0)} MB of heap beyond what was in use, more than the ${f(x.peakRssMb - 150, 0)} MB by which the peak passes 150 MB: the excess is V8's heap grown ahead of the live data, not state kept per file (the trend line above gives the heap in use per 1,000 files)` : ''}`);
    }
    if (!j.lists) why.push(`${x.listings} listing calls (${x.listFolders} list_folders, ${x.listChildren} list_children) for ${x.newDirs} new directories: ${f(x.listingsPerDir, 2)} per directory, so parents were listed again after the agent's own creates instead of the first listing being kept current`);
    if (!j.creates) why.push(`${x.folderCreates} create_folder calls and ${x.foldersInTree} folders in the emulator's tree for ${x.newDirs} new directories, ${x.duplicateFolders} of them duplicates (same name, same parent)`);
    if (!j.uploads) why.push(`${x.uploads} create-upload calls (${x.distinctFiles} distinct files, ${x.complete} complete) for ${x.n} files${x.timedOut ? `: the run was stopped at its ${f(x.deadlineS, 0)} s deadline` : ''}`);
    if (why.length) out.push(`**${x.label}, why it misses:** ${why.join('; ')}.`, '');
  }
  return out.join('\n');
}
