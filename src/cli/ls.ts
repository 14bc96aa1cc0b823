// `frameio-agent ls`: accounts → workspaces → projects → folders, with ids, so a user can find
// the folder_id to put in the config. `--folder <id>` lists that folder's subfolders instead.
import { cliLogger } from './cli-logger.js';
import { openConnection, type ConnectionFlags } from './connection.js';
import { EXIT, UsageError } from './exit.js';
import { out, type CliIO } from './io.js';
import type { AgentConfig } from '../config/types.js';
import type { FrameioClient } from '../frameio/index.js';

async function printFolders(client: FrameioClient, io: CliIO, accountId: string, folderId: string, indent: string, depth: number): Promise<void> {
  if (depth <= 0) return;
  const subs = await client.listSubfolders(accountId, folderId);
  for (const f of subs) {
    out(io, `${indent}${f.name}/  folder_id: ${f.id}`);
    await printFolders(client, io, accountId, f.id, `${indent}  `, depth - 1);
  }
}

export async function lsCommand(args: ConnectionFlags & { folder?: string; depth?: number; config?: AgentConfig; json?: boolean }, io: CliIO): Promise<number> {
  const logger = cliLogger(io, {});
  const conn = await openConnection({ flags: args, env: io.env, ...(args.config ? { config: args.config } : {}), logger });
  const { client } = conn;
  const depth = args.depth ?? 2;
  try {
    const visible = await client.listAccounts();
    const accounts = conn.settings.accountId ? visible.filter((a) => a.id === conn.settings.accountId) : visible;
    if (accounts.length === 0) throw new UsageError(`account ${conn.settings.accountId} is not one these credentials can see (visible: ${visible.map((a) => a.id).join(', ') || 'none'})`);
    if (args.folder) {
      const accountId = accounts[0]?.id;
      if (!accountId) throw new Error('no account');
      const folder = await client.getFolder(accountId, args.folder);
      out(io, `${folder.name}/  folder_id: ${folder.id}`);
      await printFolders(client, io, accountId, folder.id, '  ', depth);
      return EXIT.ok;
    }
    for (const a of accounts) {
      const name = a.display_name || a.name;
      out(io, `account ${name ? `${name}  ` : ''}account_id: ${a.id}`);
      for (const w of await client.listWorkspaces(a.id)) {
        out(io, `  workspace ${w.name}  workspace_id: ${w.id}`);
        for (const p of await client.listProjects(a.id, w.id)) {
          out(io, `    project ${p.name}  project_id: ${p.id}`);
          out(io, `      (root)/  folder_id: ${p.root_folder_id}`);
          await printFolders(client, io, a.id, p.root_folder_id, '        ', depth - 1);
        }
      }
    }
    return EXIT.ok;
  } finally {
    await conn.close();
    await logger.close();
  }
}
