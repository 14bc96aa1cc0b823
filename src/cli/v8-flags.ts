// V8 settings for the CLI process, applied before anything else loads (bin.ts imports this first).
//
// --liftoff-only: undici parses HTTP with llhttp compiled to WebAssembly, and V8 recompiles that
// module with its optimising compiler in the background soon after the first API call. That
// compile took ~30 MB of native memory for a moment: the agent's peak RSS (BENCHMARKS.md,
// growth) was set by it, not by its files. Liftoff's baseline code parses the few KB of an API
// answer just as well; part uploads go through node:http, whose llhttp is native.
//
// --semi-space-growth-factor=1: the first scan of a folder with 100,000 uploaded files keeps many
// small objects alive for a while, and V8 answers that by doubling its young generation up to
// 16 MB per semi-space (~32 MB committed), which it never hands back: that alone put the agent at
// 134 MB peak RSS against the 120 MB goal (BENCHMARKS §10). A semi-space's maximum can only be set
// on the command line, before the heap exists, and the agent is started by users, service units
// and npm shims that pass no node flags; the growth factor, though, is read each time V8 would
// grow the space, so 1 keeps it at its initial 1 MB. (Capping at 2 MB instead, by watching GC
// entries, overshot whenever several scavenges ran between two turns of the event loop.)
// FRAMEIO_AGENT_SEMI_SPACE_GROWTH=2 restores V8's default: the benchmark's same-process baseline.
//
// --heap-growing-percent=60: after each full collection V8 lets the old generation grow to up to
// 4× what survived before it collects again. A drop of 10,000 files leaves little alive (~35 MB)
// but much garbage on the way (every file's flow, its requests and answers), so the heap sat at
// 100+ MB of mostly garbage: 154 MB peak RSS for 10,000 files, 204 MB for 50,000, against the
// 150 MB goal (BENCHMARKS §16). Growing by 1.6× instead collects sooner: 10,000 files peak at
// ~102 MB, for no CPU cost measurable in the drop (24 s of agent CPU either way, ±2 s between
// runs). Read each time V8 sets its next limit, so it works when set at run time.
// FRAMEIO_AGENT_HEAP_GROWING_PERCENT=0 restores V8's own factor (the benchmark's baseline).
import v8 from 'node:v8';

v8.setFlagsFromString('--liftoff-only');

const growth = Number(process.env.FRAMEIO_AGENT_SEMI_SPACE_GROWTH ?? 1);
v8.setFlagsFromString(`--semi-space-growth-factor=${Number.isInteger(growth) && growth >= 1 ? growth : 1}`);

const heapGrowing = Number(process.env.FRAMEIO_AGENT_HEAP_GROWING_PERCENT ?? 60);
if (Number.isInteger(heapGrowing) && heapGrowing > 0) v8.setFlagsFromString(`--heap-growing-percent=${heapGrowing}`);
