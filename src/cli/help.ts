// Help texts, one per command, so `frameio-agent <command> --help` explains that command and
// does nothing else.
import { VERSION } from '../version.js';

const CONNECTION = `Connection (flags, then environment, then the config file):
  --token <t>        bearer token (env FRAMEIO_TOKEN); or FRAMEIO_CLIENT_ID + FRAMEIO_CLIENT_SECRET
  --token-file <f>   read the bearer token from a file (env FRAMEIO_TOKEN_FILE): it then never shows
                     in a process list; the file must be chmod 600
  --api-url <url>    default https://api.frame.io/v4 (env FRAMEIO_API_URL)
  --account <id>     account id (env FRAMEIO_ACCOUNT_ID); optional when the credentials see one account
  --emulator         use a built-in emulator started for this command instead (no account needed)
  -c, --config <f>   read connection settings from this config file`;

const STATE = `  -c, --config <f>   the agent's config (its state_dir holds the journal); default ./agent.yaml
  --state-dir <dir>  the state_dir itself (default: from the config, else ./.frameio-agent-demo
                     after the demo, else ~/.frameio-agent)`;

export const GENERAL_HELP = `frameio-agent ${VERSION}: watch folders and upload what lands in them to Frame.io

Usage:
  frameio-agent run [--config agent.yaml] [--once]      watch and upload (no config + no credentials: demo on the built-in emulator)
  frameio-agent check [--config agent.yaml] [--online|--plan]  validate the config and print the plan
  frameio-agent upload <file…> --folder <id>            upload files now, with progress
  frameio-agent remote-upload <url> --folder <id>       have Frame.io fetch a URL
  frameio-agent ls [--folder <id>] [--depth N]          accounts, workspaces, projects, folders with ids
  frameio-agent status [<file>] [--json] [--failed]     whether an agent runs, what it has done and is doing
  frameio-agent pause [--watch NAME] [--now]            stop starting uploads (kept across restarts)
  frameio-agent resume [--watch NAME]                   start uploading again
  frameio-agent retry <path>… | --failed                queue failed files again
  frameio-agent forget <path>…                          let a file be uploaded again
  frameio-agent emulator [--port N] [--no-rate-limits]  the built-in Frame.io + S3 emulator
  frameio-agent service install|uninstall|status        run the agent as a systemd/launchd/Windows service

\`frameio-agent <command> --help\` explains a command's options.
Exit codes: 0 ok · 1 something failed · 2 bad usage or config · 3 credentials refused
`;

export const COMMAND_HELP: Record<string, string> = {
  run: `Usage: frameio-agent run [--config agent.yaml] [--once] [--demo] [--http 127.0.0.1:7681]

Watch the configured hot folders and upload what settles in them, until SIGINT/SIGTERM (a second
signal forces the exit; unfinished uploads resume on the next start).
  -c, --config <f>   config file (default: $FRAMEIO_AGENT_CONFIG, else ./agent.yaml)
  --once             process what is in the hot folders now, then exit: 0 if all succeeded, 1 if any failed
  --demo             run on the built-in emulator and ./hotfolder (the default with no config and no credentials)
  --token-file <f>   read the bearer token from a file (chmod 600), so it is not in a command line
  --http <host:port> serve the status page and JSON API there (overrides http.listen; beyond loopback
                     only with http.token set in the config)
  --bwlimit <b>      upload bandwidth for this run, overriding upload.bandwidth: a rate (40MB/s, 100Mbit/s,
                     off) or a timetable ("Mon-Fri 08:00,20MB/s 19:00,off Sat-Sun off")
Credentials come from --token-file, FRAMEIO_TOKEN / FRAMEIO_TOKEN_FILE / FRAMEIO_CLIENT_ID + FRAMEIO_CLIENT_SECRET,
or the config file (token, token_file, or client_id + client_secret).
`,
  check: `Usage: frameio-agent check [--config agent.yaml] [--online] [--plan [--limit N]]

Validate the config file and print the resolved plan: each watch, where its files go, what happens after.
  -c, --config <f>   config file (default: $FRAMEIO_AGENT_CONFIG, else ./agent.yaml)
  --online           also check the credentials and that every destination folder exists
  --plan             dry run: every file under each watch now, and the Frame.io folder it would go to
                     (folder id / path, by the rules), or why it would be skipped. Uploads nothing.
  --limit N          with --plan: at most N files per watch (default 200); the rest are counted
  --token-file <f>   read the bearer token from a file (chmod 600), as run does
`,
  upload: `Usage: frameio-agent upload <file…> --folder <id> [options]

Upload files now: a progress bar each, confirmed with Frame.io's status call; prints name<TAB>view_url.
Ctrl-C stops and deletes the placeholders of unfinished uploads from Frame.io (exit 130).
  --folder <id>      destination folder (find ids with \`frameio-agent ls\`)
  --workers <n>      parallel parts per file (default 5)
  --retries <n>      retries per part (default 3)
  --bwlimit <b>      upload bandwidth, overriding the config's upload.bandwidth (40MB/s, 100Mbit/s, off, or a
                     timetable such as "Mon-Fri 08:00,20MB/s 19:00,off")
${CONNECTION}
`,
  'remote-upload': `Usage: frameio-agent remote-upload <url> --folder <id> [--name <name>] [--no-wait]

Have Frame.io fetch a file from a public URL (up to 50 GB); waits until it is uploaded unless --no-wait.
  --folder <id>      destination folder
  --name <name>      file name in Frame.io (default: the URL's last path segment)
${CONNECTION}
`,
  ls: `Usage: frameio-agent ls [--folder <id>] [--depth N]

List accounts → workspaces → projects → folders with their ids (the folder_id for the config).
  --folder <id>      list this folder's subfolders instead
  --depth <n>        how many folder levels to show (default 2)
${CONNECTION}
`,
  status: `Usage: frameio-agent status [<file>] [--json] [--limit N] [--failed]

Whether an agent runs on this state_dir (and since when), counts by state, the queue, uploads in flight
with progress, files waiting to try again (with the next attempt where the journal knows it), recent
failures and uploads. Reads the journal read-only and never takes the agent's lock: safe while it runs.
  <file>             that file's whole history (a path, absolute or relative to here, or watch/relative)
  --limit N          show N recent failures and uploads (default 10 and 5)
  --failed           list failed files with their reasons (50 unless --limit)
  --json             machine-readable output
${STATE}
`,
  retry: `Usage: frameio-agent retry <path>… | --failed

Queue failed files again; files the failure action moved away are moved back first. A running agent
picks them up within seconds.
  --failed           every failed file
${STATE}
`,
  pause: `Usage: frameio-agent pause [--watch NAME] [--now]

Stop starting uploads: no new part starts; parts in flight finish (with --now they are abandoned and sent
again after the resume). Settling and journaling go on. The pause is kept in the journal: a running agent
applies it within ~2 s, and it lasts across restarts until \`frameio-agent resume\`.
  --watch <name>     pause only this watch (default: all uploads)
  --now              abandon parts in flight instead of letting them finish
${STATE}
`,
  resume: `Usage: frameio-agent resume [--watch NAME]

Undo \`pause\` (for everything, or one watch with --watch). A running agent starts parts again within ~2 s.
  --watch <name>     resume only this watch (a pause of everything stays)
${STATE}
`,
  forget: `Usage: frameio-agent forget <path>…

Drop a file's record (and its .frameio.json tag) so it is uploaded again the next time the agent sees it
in a hot folder.
${STATE}
`,
  emulator: `Usage: frameio-agent emulator [options]

Run the built-in Frame.io V4 + S3 emulator until Ctrl-C, and print the settings to use it.
  --port <n>             port (default: any free one)      --host <h>   default 127.0.0.1
  --data-dir <dir>       keep uploaded files here (default: a temp dir removed on exit)
  --token <t>            bearer token it accepts (default emulator-token)
  --seed <n>             same seed → same ids across restarts
  --no-rate-limits       switch off Frame.io's per-endpoint rate limits
  --discard              keep no bytes (benchmarks)
  --json                 print one JSON line with url, token and ids
Faults: --url-lifetime <ms>, --status-lag <ms> (assembly lag per file), --part-error-rate <0..1>,
        --part-reset-rate <0..1>, --api-429-rate <0..1>, --lost-answer-rate <0..1>
Network: --round-trip <ms> added to every request, --connection-rate <bytes/s> per connection,
        --link-rate <bytes/s> shared by all connections (k / M / G suffixes: 512k, 10M)
`,
  service: `Usage: frameio-agent service install|uninstall|status [options]

Run the agent as a service: a systemd unit (Linux), a launchd job (macOS) or a WinSW service (Windows).
install writes the definition for --config and enables it (systemd: daemon-reload + enable --now,
only when systemd is running; otherwise it prints the commands). Credentials never go into the unit:
they come from the config's token_file, --token-file, or (systemd) a 0600 environment file that
install creates or checks.
  -c, --config <f>    the config the service runs (required for install)
  --user              a per-user unit (systemd --user, a LaunchAgent) instead of a system one
  --print             show what would be written and run; change nothing
  --unit-dir <dir>    write the definition here instead of the OS's place (enables nothing)
  --name <n>          unit / label / service id (default frameio-agent)
  --token-file <f>    the service reads its token from this chmod 600 file
  --env-file <f>      systemd EnvironmentFile (default: <name>.env beside the config)
  --run-as <user>     system units: the account it runs as (default: $SUDO_USER, else you)
  --platform <p>      linux | darwin | win32: write another OS's definition (default: this one)
`,
};
