// The V4 routes the emulator serves, mapped to the endpoint keys that rate limits and stats use.
import type { EndpointKey } from './types.js';

export interface Route {
  pattern: string[];
  methods: Partial<Record<'GET' | 'POST' | 'PATCH' | 'DELETE', EndpointKey>>;
}

const r = (path: string, methods: Route['methods']): Route => ({ pattern: path.split('/').filter(Boolean), methods });

export const ROUTES: Route[] = [
  r('accounts', { GET: 'list_accounts' }),
  r('accounts/:account/workspaces', { GET: 'list_workspaces' }),
  r('accounts/:account/workspaces/:workspace/projects', { GET: 'list_projects' }),
  r('accounts/:account/projects/:project', { GET: 'show_project' }),
  r('accounts/:account/folders/:folder', { GET: 'show_folder' }),
  r('accounts/:account/folders/:folder/folders', { GET: 'list_folders', POST: 'create_folder' }),
  r('accounts/:account/folders/:folder/children', { GET: 'list_children' }),
  r('accounts/:account/folders/:folder/files', { GET: 'list_files' }),
  r('accounts/:account/folders/:folder/files/local_upload', { POST: 'create_local_upload' }),
  r('accounts/:account/folders/:folder/files/remote_upload', { POST: 'create_remote_upload' }),
  r('accounts/:account/files/:file', { GET: 'show_file', DELETE: 'delete_file' }),
  r('accounts/:account/files/:file/status', { GET: 'upload_status' }),
  r('accounts/:account/files/:file/comments', { GET: 'list_comments', POST: 'create_comment' }),
  r('accounts/:account/folders/:folder/version_stacks', { POST: 'create_version_stack' }),
  r('accounts/:account/files/:file/move', { PATCH: 'move_file' }),
  r('accounts/:account/metadata/field_definitions', { GET: 'list_field_definitions', POST: 'create_field_definition' }),
  r('accounts/:account/projects/:project/metadata/values', { PATCH: 'update_metadata_values' }),
];

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Matches the path after `/v4/`. Literal segments win over parameters (files/local_upload). */
export function matchRoute(segments: string[]): RouteMatch | undefined {
  let best: RouteMatch | undefined;
  let bestLiterals = -1;
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    route.pattern.forEach((p, i) => {
      const s = segments[i]!;
      if (p.startsWith(':')) params[p.slice(1)] = s;
      else if (p === s) literals += 1;
      else ok = false;
    });
    if (ok && literals > bestLiterals) {
      best = { route, params };
      bestLiterals = literals;
    }
  }
  return best;
}
