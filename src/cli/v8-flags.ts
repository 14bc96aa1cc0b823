// V8 settings for the CLI process, applied before anything else loads (bin.ts imports this first).
//
// --liftoff-only: undici parses HTTP with llhttp compiled to WebAssembly, and V8 recompiles that
// module with its optimising compiler in the background soon after the first API call. That
// compile took ~30 MB of native memory for a moment: the agent's peak RSS (BENCHMARKS.md,
// growth) was set by it, not by its files. Liftoff's baseline code parses the few KB of an API
// answer just as well; part uploads go through node:http, whose llhttp is native.
import v8 from 'node:v8';

v8.setFlagsFromString('--liftoff-only');
