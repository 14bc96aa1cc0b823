// `frameio-agent emulator`: the built-in Frame.io + S3 emulator as its own process, for trying
// the CLI without an account, for the benchmark, and for the crash tests.
import { startEmulator, emulatorSummary, type EmulatorOptions } from '../emulator/index.js';
import { EXIT } from './exit.js';
import { out, type CliIO } from './io.js';

export async function emulatorCommand(args: { options: EmulatorOptions; json?: boolean; stopSignal?: Promise<void> }, io: CliIO): Promise<number> {
  const emu = await startEmulator(args.options);
  const summary = emulatorSummary(emu);
  if (args.json) {
    out(io, JSON.stringify(summary));
  } else {
    out(io, `Frame.io emulator listening on ${emu.url}${args.options.rateLimits === false ? ' (rate limits off)' : ''}`);
    out(io, 'Use it from another terminal:');
    out(io, `  export FRAMEIO_API_URL=${emu.apiUrl}`);
    out(io, `  export FRAMEIO_TOKEN=${emu.token}`);
    out(io, `  export FRAMEIO_ACCOUNT_ID=${emu.accountId}`);
    out(io, `  npx frameio-agent upload <file> --folder ${emu.rootFolderId}`);
    out(io, 'Press Ctrl-C to stop.');
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void args.stopSignal?.then(stop);
  });
  await emu.close();
  return EXIT.ok;
}
