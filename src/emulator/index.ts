// Frame.io V4 + S3 emulator: a local server strict enough to catch what the real services refuse.
import type { Emulator } from './types.js';

export { startEmulator } from './server.js';
export { planParts, partOffsets, DEFAULT_PART_SIZE_TARGET, MAX_PARTS } from './partPlan.js';
export { mediaTypeFor } from './mediaType.js';
export { LIMITS } from './rateLimiter.js';
export type {
  ApiFaultKind,
  EmulatedComment,
  EmulatedFile,
  EmulatedFolder,
  Emulator,
  EmulatorOptions,
  EmulatorStats,
  EndpointKey,
  FaultOptions,
  OneShotFault,
  PartFaultKind,
  RequestKey,
} from './types.js';

/** What a client needs to talk to the emulator: printed by `frameio-agent emulator --json`. */
export type EmulatorSummary = Pick<Emulator, 'url' | 'apiUrl' | 'imsUrl' | 'token' | 'accountId' | 'workspaceId' | 'projectId' | 'rootFolderId'>;

/** What `frameio-agent emulator` prints: everything a client needs to point at the emulator. */
export function emulatorSummary(emu: Emulator): EmulatorSummary {
  const { url, apiUrl, imsUrl, token, accountId, workspaceId, projectId, rootFolderId } = emu;
  return { url, apiUrl, imsUrl, token, accountId, workspaceId, projectId, rootFolderId };
}
