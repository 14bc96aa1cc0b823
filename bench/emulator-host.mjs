// The emulator in its own process with options the CLI has no flags for (limit overrides).
// Usage: node emulator-host.mjs '<EmulatorOptions json>'; prints the summary line, stops on SIGTERM.
import { emulatorSummary, startEmulator } from '../dist/emulator/index.js';

const emu = await startEmulator(JSON.parse(process.argv[2] ?? '{}'));
console.log(JSON.stringify(emulatorSummary(emu)));
process.once('SIGTERM', () => void emu.close().then(() => process.exit(0)));
