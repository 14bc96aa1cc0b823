// The validated, defaults-filled configuration every other module reads. camelCase here;
// the YAML file uses snake_case (see schema.ts for the file's keys and their meaning).
import type { Timetable } from '../upload/bandwidth.js';
import type { SequencesConfig } from '../sequences/config.js';

export type { SequencesConfig };

/** Frame.io-side marks of the `tag` action, next to (or instead of) the sidecar. */
export interface TagConfig {
  action: 'tag';
  /** Write the local sidecar (default true, as before marks existed). */
  sidecar?: boolean;
  /** Comment template posted on the uploaded file. */
  comment?: string;
  /** Custom metadata fields (text) and their value templates. */
  metadata?: Array<{ field: string; value: string }>;
}

export type AfterUpload = { action: 'move'; to: string } | TagConfig | { action: 'delete' } | { action: 'leave' };

export interface VersionsConfig {
  /** e.g. "{base}_v{version}{ext}" */
  match: string;
  mode: 'pattern' | 'same_name';
}
export type OnFailure = { action: 'move'; to: string } | { action: 'leave' };

export interface Rule {
  match: string;
  skip: boolean;
  folder?: string;
  folderId?: string;
  /** 1-based line of the rule in the config file, for messages. */
  line?: number;
}

export interface WatchConfig {
  name: string;
  /** Absolute path of the hot folder. */
  path: string;
  folderId: string;
  recursive: boolean;
  mirrorSubfolders: boolean;
  include: string[];
  exclude: string[];
  settleSeconds: number;
  poll: boolean;
  rescanSeconds: number;
  /** Follow symbolic links to files (never to folders). */
  followSymlinks: boolean;
  /** With followSymlinks: also targets whose real path is outside `path`. */
  allowOutsideLinks: boolean;
  rules: Rule[];
  /** Higher uploads first when several watches have files waiting (default 0). */
  priority?: number;
  /** The journal's key for the volume (share_id); absent: the watch name. */
  shareId?: string;
  /**
   * Files the agent made itself on this machine (review proxies in state_dir), not on a shared
   * volume: another agent never takes them over, since it cannot see them.
   */
  localOnly?: boolean;
  afterUpload: AfterUpload;
  onFailure: OnFailure;
  /** Image sequences followed as shots; absent when off (the default). */
  sequences?: SequencesConfig;
  /** Stack new uploads on earlier versions in Frame.io; absent: off. */
  versions?: VersionsConfig;
}

export type NotifyEvent = 'file.uploaded' | 'file.failed' | 'watch.stalled' | 'agent.offline' | 'agent.online' | 'agent.started' | 'agent.stopped' | 'sequence.complete';

export interface NotifyTarget {
  type: 'webhook' | 'slack';
  /** Unique; keys the target's queued messages in the journal (never the URL). */
  name: string;
  /** A secret (Slack's URL is the credential): log only redactUrl(url). */
  url: string;
  /** webhook only: the HMAC-SHA256 key. */
  secret?: string;
  on: NotifyEvent[];
  batchSeconds: number;
  stalledMinutes: number;
  giveUpMinutes: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface AgentConfig {
  /** Absolute path of the file it came from; null when built without a file (demo mode). */
  configPath: string | null;
  frameio: {
    apiUrl: string;
    imsUrl: string;
    accountId?: string;
    token?: string;
    /** Absolute path of a file holding the token (read when connecting, not when loading). */
    tokenFile?: string;
    clientId?: string;
    clientSecret?: string;
    scope: string;
    legacyToken: boolean;
    timeoutSeconds: number;
  };
  stateDir: string;
  /** Absent (configs built in code): the default, 30 days. */
  journal?: {
    compactAfterDays: number;
    /** A claim's life without a heartbeat, with a shared journal (default 30). */
    leaseSeconds?: number;
    /**
     * A PostgreSQL journal shared by several agents (journal.url, else FRAMEIO_AGENT_DATABASE_URL);
     * absent: SQLite under stateDir. Its password is a secret (registered for redaction).
     */
    url?: string;
  };
  log: { level: LogLevel; maxSizeMb: number; maxFiles: number };
  /** The status page and API; absent when off. */
  http?: { listen: string; token?: string };
  upload: {
    maxWorkers: number;
    maxFiles: number;
    /** Find the number of part streams by measuring, up to maxWorkers. */
    adaptive: boolean;
    maxRetries: number;
    partTimeoutSeconds: number;
    verifyTimeoutSeconds: number;
    maxUploadAttempts: number;
    /** Upload bytes-per-second limit or weekly timetable (src/upload/bandwidth.ts); undefined: no limit. */
    bandwidth?: Timetable;
    /** Undefined: wait out any outage. */
    outageLimitSeconds?: number;
  };
  watches: WatchConfig[];
  /** Notification targets; absent or empty: none. */
  notify?: NotifyTarget[];
}
