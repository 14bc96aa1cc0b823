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
import v8 from 'node:v8';

v8.setFlagsFromString('--liftoff-only');

const growth = Number(process.env.FRAMEIO_AGENT_SEMI_SPACE_GROWTH ?? 1);
v8.setFlagsFromString(`--semi-space-growth-factor=${Number.isInteger(growth) && growth >= 1 ? growth : 1}`);
