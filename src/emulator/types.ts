// Public types of the Frame.io V4 + S3 emulator. Other modules and tests import these names.

/** Every rate-limited Frame.io V4 endpoint the emulator serves. */
export type EndpointKey =
  | 'list_accounts'
  | 'list_workspaces'
  | 'list_projects'
  | 'show_project'
  | 'show_folder'
  | 'list_folders'
  | 'list_children'
  | 'list_files'
  | 'create_folder'
  | 'create_local_upload'
  | 'create_remote_upload'
  | 'show_file'
  | 'upload_status'
  | 'delete_file'
  | 'create_comment'
  | 'list_comments'
  | 'create_version_stack'
  | 'move_file'
  | 'list_field_definitions'
  | 'create_field_definition'
  | 'update_metadata_values';

/** Request counters also cover the calls that are not Frame.io V4 endpoints. */
export type RequestKey = EndpointKey | 'ims_token' | 'part_put' | 'view' | 'unknown';

export interface FaultOptions {
  /** Probability a part PUT answers 500 or 503 SlowDown (XML body). */
  partErrorRate?: number;
  /** Probability the socket is destroyed mid-body. */
  partResetRate?: number;
  /** Probability an API call answers 429 (with x-ratelimit headers, Retry-After 1). */
  api429Rate?: number;
  /** Probability an API call answers 500 or 503. */
  api5xxRate?: number;
  /** Probability a completed upload's status reports upload_failed: true. */
  uploadFailRate?: number;
  /** Probability a create call (folder, local upload) is carried out and its answer lost (socket destroyed). */
  lostAnswerRate?: number;
}

/**
 * `reset-after` / `hang-after`: the request is carried out (folder created, upload created, part
 * stored), then the socket is destroyed or left without an answer until the client gives up:
 * the answer is lost after the server acted, as with a proxy timeout or a dropped connection.
 */
export type LostAnswerKind = 'reset-after' | 'hang-after';
export type PartFaultKind = '500' | '502' | '503' | '504' | '408' | 'request-timeout' | 'reset' | 'expired' | 'hang' | LostAnswerKind;
export type ApiFaultKind = '429' | '500' | '503' | 'reset' | 'hang' | LostAnswerKind;

export type OneShotFault =
  | { target: 'part'; kind: PartFaultKind; count?: number; partIndex?: number }
  | { target: 'api'; kind: ApiFaultKind; count?: number; endpoint?: EndpointKey; retryAfter?: string | null }
  /** The next upload(s) to complete report upload_failed: true instead of upload_complete. */
  | { target: 'upload'; kind: 'failed'; count?: number };

export interface EmulatorOptions {
  host?: string;
  port?: number;
  token?: string;
  clientId?: string;
  clientSecret?: string;
  /** expires_in of IMS tokens; fractions are allowed so tests can watch a token expire. */
  tokenLifetimeSeconds?: number;
  dataDir?: string;
  store?: 'disk' | 'discard';
  rateLimits?: boolean;
  /**
   * Per-endpoint figures instead of the documented ones (`LIMITS`), enforced and sent in the
   * x-ratelimit headers; the agent's pacing follows those headers. The benchmark uses this to
   * advertise "no real limit" when rate limits are off.
   */
  limits?: Partial<Record<EndpointKey, { limit: number; windowMs: number }>>;
  urlLifetimeMs?: number;
  statusLagMs?: number;
  partSizeTarget?: number;
  /** How long a part PUT may go without receiving body bytes before 400 RequestTimeout. Default 20 s. */
  partIdleTimeoutMs?: number;
  /** Extra delay before a part PUT is answered (after its bytes are stored), to slow uploads down. Default 0. */
  partLatencyMs?: number;
  /** Delay between `uploaded` and `transcoded`. Default 100 ms. */
  transcodeDelayMs?: number;
  /** Added to every request before it is handled (a round trip to a distant service). Default 0. */
  roundTripMs?: number;
  /** Cap on part body bytes read per TCP connection, bytes/s (a per-stream limit). Default none. */
  connectionBytesPerSecond?: number;
  /** Cap on part body bytes read over all connections together, bytes/s (the uplink). Default none. */
  linkBytesPerSecond?: number;
  faults?: FaultOptions;
  seed?: number;
  logger?: (line: string) => void;
}

export interface EmulatorStats {
  requests: Record<RequestKey, number>;
  /** Part PUTs answered 200. */
  partPuts: number;
  /** Part PUTs answered with an error, reset or left hanging. */
  partRejected: number;
  /** Accepted part PUTs for a part that had already been received. */
  duplicateParts: number;
  /** Body bytes read from part PUTs, accepted or not. */
  bytesReceived: number;
  /** Body bytes of accepted part PUTs. */
  bytesAccepted: number;
  /** 429s answered per endpoint (real limits and injected ones). */
  rateLimited: Partial<Record<EndpointKey, number>>;
  rateLimitedTotal: number;
  maxConcurrentPartPuts: number;
  currentPartPuts: number;
  faultsInjected: number;
}

export interface EmulatedFile {
  id: string;
  name: string;
  parentId: string;
  projectId: string;
  fileSize: number;
  mediaType: string;
  status: 'created' | 'uploaded' | 'transcoded';
  uploadComplete: boolean;
  uploadFailed: boolean;
  partsReceived: number;
  partCount: number;
  partSizes: number[];
  /** Accepted PUTs per part index (1 each for an upload sent once; more where a part was re-sent). */
  partPutCounts: number[];
  createdAt: string;
  deleted: boolean;
  /** Where the assembled bytes live; null with store 'discard'. */
  diskPath: string | null;
  source: 'local_upload' | 'remote_upload';
}

export interface EmulatedFolder {
  id: string;
  name: string;
  parentId: string | null;
  projectId: string;
  createdAt: string;
}

export interface EmulatedComment {
  id: string;
  fileId: string;
  text: string;
  createdAt: string;
}

export interface EmulatedVersionStack {
  id: string;
  /** The folder the stack sits in. */
  parentId: string;
  /** The files in the stack, oldest first (the last one is the head version). */
  fileIds: string[];
  createdAt: string;
}

export interface EmulatedFieldDefinition {
  id: string;
  name: string;
  fieldType: string;
}

export interface Emulator {
  url: string;
  apiUrl: string;
  imsUrl: string;
  token: string;
  accountId: string;
  workspaceId: string;
  projectId: string;
  rootFolderId: string;
  dataDir: string;
  inject(fault: OneShotFault): void;
  setFaults(f: FaultOptions): void;
  setRateLimits(on: boolean): void;
  stats(): EmulatorStats;
  files(): EmulatedFile[];
  file(id: string): EmulatedFile | undefined;
  readFile(id: string): Promise<Buffer>;
  folders(): EmulatedFolder[];
  folderPath(folderId: string): string;
  createFolder(parentId: string, name: string): EmulatedFolder;
  /** Fixture: delete a folder and all under it, as a person in the web app would (not an API call). */
  deleteFolder(folderId: string): Promise<void>;
  comments(fileId?: string): EmulatedComment[];
  /** Version stacks, in creation order. */
  versionStacks(): EmulatedVersionStack[];
  fieldDefinitions(): EmulatedFieldDefinition[];
  /** A file's custom metadata values, keyed by field definition id. */
  metadataValues(fileId: string): Record<string, unknown>;
  /** Fixture: a file someone else uploaded (complete at once), not an API call. */
  addUploadedFile(folderId: string, name: string, size: number): Promise<EmulatedFile>;
  close(): Promise<void>;
}
