// The single description of the config file: every key, its type, default, limits and meaning.
// The validator (validate.ts) walks the YAML against it and json-schema.ts turns it into the
// published JSON Schema, so editors and the agent can never disagree about what is valid.

interface Base {
  description: string;
}

export interface StringNode extends Base {
  type: 'string';
  default?: string;
  enum?: readonly string[];
  /** path: ~ and relative paths are resolved; glob: must compile; template: folder placeholders checked; id: a Frame.io id (UUID). */
  format?: 'path' | 'glob' | 'template' | 'url' | 'id' | 'bandwidth';
  /** Never echo the value in messages. */
  secret?: boolean;
}

export interface NumberNode extends Base {
  type: 'integer' | 'number';
  default?: number;
  minimum?: number;
  maximum?: number;
  /** A default that depends on a sibling: when `key` equals `equals`, the default is `value`. */
  defaultWhen?: { key: string; equals: unknown; value: number };
}

export interface BooleanNode extends Base {
  type: 'boolean';
  default?: boolean;
}

export interface ArrayNode extends Base {
  type: 'array';
  items: SchemaNode;
  default?: unknown[];
  minItems?: number;
}

/** A condition on a sibling key: `key` has the value `equals`. */
export interface SiblingIs {
  key: string;
  equals: string;
}

export interface ObjectNode extends Base {
  type: 'object';
  properties: Record<string, SchemaNode>;
  required?: string[];
  /** Pairs that must not both be present (a boolean counts as present only when true). */
  exclusive?: Array<[string, string]>;
  /** When the key is present, the listed keys must be too. */
  dependentRequired?: Record<string, string[]>;
  /** At least one of these must be present (a boolean counts only when true). */
  anyOfPresent?: string[];
  /** The key is required when the sibling condition holds, and not allowed otherwise. */
  requiredWhen?: Record<string, SiblingIs>;
  /** Not filled with defaults when absent: writing the key (even `{}`) turns the feature on. */
  optIn?: boolean;
}

export type SchemaNode = StringNode | NumberNode | BooleanNode | ArrayNode | ObjectNode;

const afterUpload: ObjectNode = {
  type: 'object',
  description: 'What to do with the local file once Frame.io confirms the upload. Default: leave it in place.',
  properties: {
    action: {
      type: 'string',
      enum: ['move', 'tag', 'delete', 'leave'],
      default: 'leave',
      description: "move: into `to`; tag: mark it uploaded and leave it; delete: remove it; leave: do nothing.",
    },
    to: {
      type: 'string',
      format: 'path',
      description: "Folder to move uploaded files into (only with action 'move'). Created on demand; ~ and relative paths are resolved.",
    },
    sidecar: {
      type: 'boolean',
      default: true,
      description: "action 'tag': write the <name>.frameio.json sidecar beside the original. false: mark only in Frame.io (comment / metadata).",
    },
    comment: {
      type: 'string',
      description:
        "action 'tag': a comment posted on the uploaded file in Frame.io. Placeholders: {name} {path} (relative to the watch) {host} {date} (ISO time of the check) {size} (human) {watch}.",
    },
    metadata: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        description: 'One custom metadata field set on the uploaded file.',
        properties: {
          field: { type: 'string', description: 'The name of a text field defined in the account (looked up by name; created as a text field when missing).' },
          value: { type: 'string', description: 'The value; same placeholders as `comment`. Files sharing a value are updated in one call (Frame.io allows 10 a minute).' },
        },
        required: ['field', 'value'],
      },
      description: "action 'tag': custom metadata fields set on the uploaded file in Frame.io, batched across uploads.",
    },
  },
  requiredWhen: { to: { key: 'action', equals: 'move' } },
};

const versions: ObjectNode = {
  type: 'object',
  optIn: true,
  description: 'Re-exports become versions: a new upload whose base name matches a file already in the same Frame.io folder is stacked on it.',
  properties: {
    match: {
      type: 'string',
      default: '{base}_v{version}{ext}',
      description: 'How a versioned name is built: {base} any text, {version} digits, {ext} the extension with its dot. Names that do not fit are only stacked on the same name again.',
    },
    mode: {
      type: 'string',
      enum: ['pattern', 'same_name'],
      default: 'pattern',
      description: 'pattern: files with the same {base} and {ext} (and the same name again) are versions of each other; same_name: only the same name uploaded again.',
    },
  },
};

const onFailure: ObjectNode = {
  type: 'object',
  description: 'What to do with a file whose upload failed for good. Default: leave it in place.',
  properties: {
    action: {
      type: 'string',
      enum: ['move', 'leave'],
      default: 'leave',
      description: 'move: into `to` (with a reason file beside it); leave: do nothing.',
    },
    to: {
      type: 'string',
      format: 'path',
      description: "Folder to move failed files into (only with action 'move'). Created on demand.",
    },
  },
  requiredWhen: { to: { key: 'action', equals: 'move' } },
};

const rule: ObjectNode = {
  type: 'object',
  description: 'A routing rule. Rules are tried in order; the first whose `match` fits the file decides.',
  properties: {
    match: {
      type: 'string',
      format: 'glob',
      description: 'Glob matched against the path relative to the watch folder, e.g. "**/*.exr".',
    },
    folder: {
      type: 'string',
      format: 'template',
      description:
        'Folder path under folder_id (the rule\'s, else the watch\'s). Placeholders: {dir} relative directory, {name} file name, {stem} name without extension, {ext} extension without dot, {date} today as YYYY-MM-DD, {seq} image-sequence name without frame number (sh010_comp.1001.exr → sh010_comp; the stem for other files).',
    },
    folder_id: {
      type: 'string',
      format: 'id',
      description: 'Frame.io folder id for matching files. Without `folder`, the relative directory is mirrored under it when mirror_subfolders is on.',
    },
    skip: {
      type: 'boolean',
      default: false,
      description: 'true: matching files are not uploaded.',
    },
  },
  required: ['match'],
  anyOfPresent: ['folder', 'folder_id', 'skip'],
  exclusive: [
    ['skip', 'folder'],
    ['skip', 'folder_id'],
  ],
};

const sequences: ObjectNode = {
  type: 'object',
  description:
    'Image sequences (name.1001.exr, name_1001.exr, name1001.exr): frames still upload one by one, and each shot is followed as one sequence with progress, gaps and one summary line when it is complete. See README "Image sequences".',
  properties: {
    enabled: { type: 'boolean', default: false, description: 'Follow image sequences in this watch.' },
    complete_when: {
      type: 'string',
      enum: ['quiet', 'marker'],
      default: 'quiet',
      description: 'quiet: complete once no frame of it has changed for quiet_seconds; marker: complete once the marker file appears beside the frames.',
    },
    quiet_seconds: {
      type: 'number',
      default: 30,
      minimum: 0.1,
      description: 'complete_when quiet: seconds without a new or changing frame after which the render counts as done. Longer than the time your farm needs for one frame.',
    },
    marker: {
      type: 'string',
      default: '{name}.done',
      description:
        'complete_when marker: file name of the marker beside the frames, {name} being the sequence name. Files matching it are never uploaded (with complete_when marker).',
    },
    on_gaps: {
      type: 'string',
      enum: ['upload', 'hold'],
      default: 'upload',
      description: 'Missing frames inside the range: upload completes at once and reports them; hold waits for them up to hold_limit_seconds, then reports.',
    },
    hold_limit_seconds: {
      type: 'number',
      default: 600,
      minimum: 0,
      description: 'on_gaps hold: longest wait for missing frames once the render is done.',
    },
    upload: {
      type: 'string',
      enum: ['frames', 'proxy', 'both'],
      description:
        'What goes to Frame.io: frames (every frame, no movie), proxy (only the review movie: frames are followed to completion but not uploaded and stay where they are, whatever after_upload says), both (the frames and the movie, in the same folder). proxy and both need `proxy`. Default: both with a proxy, frames without.',
    },
    proxy: {
      type: 'object',
      optIn: true,
      description:
        "A review movie of each completed sequence, rendered with ffmpeg (must be on PATH; without it the agent says so once at start and proxies are off) into state_dir/proxies and uploaded to the frames' Frame.io folder as <name>_proxy.mp4 (or .mov). Resumable and verified like any upload. See README \"Image sequences\".",
      properties: {
        codec: {
          type: 'string',
          enum: ['h264', 'prores'],
          default: 'h264',
          description: 'h264: an H.264 .mp4 (small, plays everywhere); prores: a ProRes 422 Proxy .mov.',
        },
        fps: { type: 'number', default: 24, minimum: 1, maximum: 120, description: 'Frames per second of the movie (one frame per frame number; a missing frame holds the one before).' },
        width: { type: 'integer', minimum: 16, maximum: 8192, description: "Width in pixels (height keeps the aspect ratio). Default: the frames' own size." },
      },
    },
  },
};

const watch: ObjectNode = {
  type: 'object',
  description: 'A hot folder: files that appear in it are uploaded to a Frame.io folder.',
  properties: {
    name: {
      type: 'string',
      description: "Label used in logs and status; must be unique. Default: the folder's base name.",
    },
    path: {
      type: 'string',
      format: 'path',
      description: 'The hot folder. ~ and relative paths (relative to the config file) are resolved.',
    },
    folder_id: {
      type: 'string',
      format: 'id',
      description: 'Frame.io folder id that receives the files.',
    },
    recursive: { type: 'boolean', default: true, description: 'Watch subfolders too.' },
    mirror_subfolders: {
      type: 'boolean',
      default: true,
      description: 'Recreate the relative directory under folder_id: a/b/clip.mov goes to folder a/b.',
    },
    include: {
      type: 'array',
      items: { type: 'string', format: 'glob', description: 'Glob relative to the watch folder.' },
      default: ['**/*'],
      minItems: 1,
      description: 'Only files matching one of these globs are uploaded.',
    },
    exclude: {
      type: 'array',
      items: { type: 'string', format: 'glob', description: 'Glob relative to the watch folder.' },
      default: [],
      description: 'Files or folders matching these globs are ignored, in addition to the built-in ignores (dotfiles, temp and partial downloads).',
    },
    settle_seconds: {
      type: 'number',
      default: 10,
      minimum: 0,
      description: 'A file is uploaded once its size and modification time have not changed for this long.',
    },
    poll: {
      type: 'boolean',
      default: false,
      description: 'true for network shares (SMB/NFS): rescan often instead of trusting file system events.',
    },
    rescan_seconds: {
      type: 'number',
      default: 60,
      minimum: 1,
      defaultWhen: { key: 'poll', equals: true, value: 5 },
      description: 'Interval of the periodic full rescan. Default 60, or 5 when poll is true.',
    },
    follow_symlinks: {
      type: 'boolean',
      default: false,
      description:
        'Upload the file a symbolic link in this folder points to. Default false: links (to files or folders) are skipped and logged once. Links to folders are never followed.',
    },
    allow_outside_links: {
      type: 'boolean',
      default: false,
      description:
        'With follow_symlinks: also upload link targets whose real path is outside this folder. Default false: anyone who can place a link here could otherwise send any file the agent can read to Frame.io.',
    },
    share_id: {
      type: 'string',
      description:
        'Names the shared volume this folder is on, the same on every machine (default: the watch name). The journal keys files by share_id and path inside the watch, never by where the volume is mounted, so agents sharing a PostgreSQL journal with the volume at /mnt/renders and /Volumes/Renders know they see the same files.',
    },
    priority: {
      type: 'integer',
      default: 0,
      minimum: -100,
      maximum: 100,
      description:
        'Which watch uploads first when several have files waiting: higher first. Watches of equal priority take turns, one file each; within a watch the file that settled first goes first.',
    },
    rules: {
      type: 'array',
      items: rule,
      default: [],
      description: 'Routing rules, first match wins. Files matching no rule go to folder_id.',
    },
    after_upload: afterUpload,
    on_failure: onFailure,
    sequences,
    versions,
  },
  required: ['path', 'folder_id'],
};

/** The events a notify target can be sent. */
export const NOTIFY_EVENTS = ['file.uploaded', 'file.failed', 'watch.stalled', 'agent.offline', 'agent.online', 'agent.started', 'agent.stopped', 'sequence.complete'] as const;

const notifyTarget: ObjectNode = {
  type: 'object',
  description: 'Where to send notifications, and which.',
  properties: {
    type: {
      type: 'string',
      enum: ['webhook', 'slack'],
      description: 'webhook: a JSON POST (signed when `secret` is set); slack: a Slack incoming-webhook message.',
    },
    url: {
      type: 'string',
      format: 'url',
      secret: true,
      description: 'The receiver, usually "${SLACK_WEBHOOK_URL}". A secret: never logged beyond its host.',
    },
    secret: {
      type: 'string',
      secret: true,
      description: 'webhook only: HMAC-SHA256 key; each POST carries X-Frameio-Agent-Signature: sha256=<hex of HMAC(timestamp + "." + body)>.',
    },
    name: {
      type: 'string',
      description: 'Names the target in logs and the journal\'s outbox (default: type plus a hash of the URL). Unique.',
    },
    on: {
      type: 'array',
      items: { type: 'string', enum: NOTIFY_EVENTS, description: 'An event to send.' },
      minItems: 1,
      description:
        'Events to send: file.uploaded, file.failed, watch.stalled, agent.offline, agent.online, agent.started, agent.stopped, sequence.complete (a watch with sequences enabled: one message per completed sequence).',
    },
    batch_seconds: {
      type: 'number',
      default: 30,
      minimum: 0.1,
      maximum: 3600,
      description: 'File events of one watch and destination folder within this window go out as one message with counts, bytes and a few names.',
    },
    stalled_minutes: {
      type: 'number',
      default: 15,
      minimum: 0.01,
      description: 'watch.stalled: files are queued in a watch and none has made progress for this long.',
    },
    give_up_minutes: {
      type: 'number',
      default: 1440,
      minimum: 0.01,
      description: 'A message the receiver has not taken for this long is dropped, with a log line. Retries back off up to 5 minutes apart.',
    },
  },
  required: ['type', 'url', 'on'],
};

export const configSchema: ObjectNode = {
  type: 'object',
  description: 'frameio-agent configuration: watch folders and upload them to Frame.io V4.',
  properties: {
    frameio: {
      type: 'object',
      description: 'How to reach Frame.io and authenticate. Use either token, or client_id with client_secret.',
      properties: {
        api_url: { type: 'string', format: 'url', default: 'https://api.frame.io/v4', description: 'Frame.io V4 API base URL.' },
        ims_url: {
          type: 'string',
          format: 'url',
          default: 'https://ims-na1.adobelogin.com/ims/token/v3',
          description: 'Adobe IMS token endpoint used with client_id/client_secret.',
        },
        account_id: {
          type: 'string',
          format: 'id',
          description: 'Frame.io account id. Needed to run; if absent, taken from FRAMEIO_ACCOUNT_ID.',
        },
        token: {
          type: 'string',
          secret: true,
          description: 'Static bearer token, usually "${FRAMEIO_TOKEN}". Not together with client_id.',
        },
        token_file: {
          type: 'string',
          format: 'path',
          description:
            'File holding the bearer token (trailing newline ignored), so the token is in neither the config nor a command line. Must not be readable by group or others (chmod 600). Not together with token or client_id.',
        },
        client_id: {
          type: 'string',
          description: 'Server-to-server credential id (needs client_secret).',
        },
        client_secret: {
          type: 'string',
          secret: true,
          description: 'Server-to-server credential secret, usually "${FRAMEIO_CLIENT_SECRET}".',
        },
        scope: { type: 'string', default: 'openid,AdobeID,frame.s2s.all', description: 'Scopes requested with client credentials.' },
        legacy_token: {
          type: 'boolean',
          default: false,
          description: 'Send x-frameio-legacy-token-auth: true (for legacy developer tokens).',
        },
        timeout_seconds: { type: 'number', default: 30, minimum: 1, maximum: 600, description: 'Deadline of each API request.' },
      },
      exclusive: [
        ['token', 'client_id'],
        ['token', 'token_file'],
        ['token_file', 'client_id'],
      ],
      dependentRequired: { client_id: ['client_secret'], client_secret: ['client_id'] },
    },
    state_dir: {
      type: 'string',
      format: 'path',
      default: '~/.frameio-agent',
      description: 'Where the journal and logs live.',
    },
    journal: {
      type: 'object',
      description: 'The journal of uploads: SQLite under state_dir, or a PostgreSQL database shared by several agents (url).',
      properties: {
        url: {
          type: 'string',
          description:
            'postgres://user[:password]@host[:port]/database: keep the journal in PostgreSQL, shared by every agent on the same volume (default: FRAMEIO_AGENT_DATABASE_URL, else SQLite under state_dir). The password is a secret: use "${FRAMEIO_AGENT_DATABASE_URL}" or a .pgpass file.',
        },
        lease_seconds: {
          type: 'integer',
          default: 30,
          minimum: 5,
          maximum: 3600,
          description:
            'With a shared (PostgreSQL) journal: how long an agent\'s claim on a file lasts without a heartbeat (renewed every third of it). When an agent dies, another takes its uploads over within this time, resuming from the journaled parts; an agent cut off from the database longer than this stops and leaves its files to the others.',
        },
        compact_after_days: {
          type: 'number',
          default: 30,
          minimum: 0,
          maximum: 36500,
          description:
            'Uploads done longer ago than this are kept only as compact "already uploaded" records (path, size, mtime), which still prevent a second upload of the same file; 0 keeps the full history forever.',
        },
      },
    },
    log: {
      type: 'object',
      description: 'Logging.',
      properties: {
        level: { type: 'string', enum: ['error', 'warn', 'info', 'debug'], default: 'info', description: 'Least severe level written.' },
        max_size_mb: { type: 'number', default: 10, minimum: 1, maximum: 1024, description: 'Size at which the JSON log file under state_dir/logs is rotated.' },
        max_files: { type: 'integer', default: 5, minimum: 1, maximum: 100, description: 'Rotated log files kept.' },
      },
    },
    http: {
      type: 'object',
      description: 'The status page and JSON API (off unless listen is set). See README "Status page and API".',
      properties: {
        listen: {
          type: 'string',
          description: "host:port to serve on, e.g. '127.0.0.1:7681'. A non-loopback address needs token.",
        },
        token: {
          type: 'string',
          secret: true,
          description:
            'Bearer token for the page and the API, usually "${FRAMEIO_AGENT_HTTP_TOKEN}". With it every request but /healthz needs it (header, or open /?token=… once for a cookie); required to listen beyond loopback.',
        },
      },
      dependentRequired: { token: ['listen'] },
    },
    upload: {
      type: 'object',
      description: 'Upload concurrency and retry limits.',
      properties: {
        max_workers: {
          type: 'integer',
          default: 32,
          minimum: 1,
          maximum: 128,
          description:
            'The most part uploads in flight at once, across all files. With `adaptive` (the default) the agent starts with a few and adds streams only while throughput keeps rising (a long, fast link needs many; loopback or a LAN few), backing off when the server pushes back.',
        },
        max_files: { type: 'integer', default: 32, minimum: 1, maximum: 256, description: 'Files uploading at once (a file waiting for Frame.io to confirm it does not count). As many as max_workers by default, so files of one part each can fill every stream.' },
        adaptive: {
          type: 'boolean',
          default: true,
          description: 'Find the number of part streams by measuring, up to max_workers. Off: always max_workers.',
        },
        max_retries: { type: 'integer', default: 3, minimum: 0, maximum: 20, description: 'Retries of one part before the upload fails.' },
        part_timeout_seconds: {
          type: 'number',
          default: 120,
          minimum: 1,
          maximum: 3600,
          description:
            "Backstop for one part attempt: these seconds plus the part's size at 4 KiB/s, counting only time spent sending (not time held by a bandwidth limit or pause). A stalled part fails sooner, after 90 s with nothing moving.",
        },
        verify_timeout_seconds: {
          type: 'number',
          default: 600,
          minimum: 1,
          maximum: 86400,
          description: 'How long to poll the upload status for completion.',
        },
        max_upload_attempts: {
          type: 'integer',
          default: 3,
          minimum: 1,
          maximum: 20,
          description: 'Whole-upload attempts when Frame.io reports the upload failed.',
        },
        bandwidth: {
          type: 'string',
          format: 'bandwidth',
          default: 'off',
          description:
            'Limit on upload bytes per second for the whole agent (all files and parts together): a rate such as 40MB/s, 100Mbit/s, 512KiB/s, or off; or a weekly timetable such as "Mon-Fri 08:00,20MB/s 19:00,off Sat-Sun off" (times in local time; each entry holds until the next). `run --bwlimit` overrides it.',
        },
        outage_limit_seconds: {
          type: 'number',
          minimum: 60,
          description:
            'Give a file up (failure action) after Frame.io has been unreachable or failing (network, 5xx, rate limits) for this long. Default: no limit; an outage is never the file\'s fault, so files wait for the service.',
        },
      },
    },
    watches: {
      type: 'array',
      items: watch,
      minItems: 1,
      description: 'The hot folders. At least one.',
    },
    notify: {
      type: 'array',
      items: notifyTarget,
      default: [],
      description: 'Notification targets (webhook, Slack). Delivery is queued in the journal and never slows uploads.',
    },
  },
  required: ['watches'],
};
