// The "uploaded …" log line names where the file went: the folder path the rules routed it to
// (below the watch's folder_id), or the folder id when the job was resumed after a restart and
// the route is no longer known. JSON log lines carry the same facts as fields.
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const uploadedRecords = (e: AgentEnv) => e.logger.records.filter((r) => r.meta?.event === 'uploaded');

describe('the uploaded log line', () => {
  it('names the routed folder path and the view link; its fields carry watch, path, file_id and folder', async () => {
    env = await agentEnv();
    const agent = await env.start({ watchYaml: 'mirror_subfolders: true' });
    await env.write('show/ep1/b.mov', pattern(3000, 2));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload', timeoutMs: 15_000 });
    const [rec] = uploadedRecords(env);
    expect(rec?.message).toMatch(/^uploaded show\/ep1\/b\.mov \S+ \S+ in .* to show\/ep1\/ → http:\/\/127\.0\.0\.1:\d+\/view\//);
    const file = env.emu.files().find((f) => f.name === 'b.mov')!;
    expect(rec?.meta).toMatchObject({ watch: 'hot', path: 'show/ep1/b.mov', file_id: file.id, folder_id: file.parentId, folder_path: 'show/ep1' });
  });

  it('after a restart between the last part and the confirmation, names the folder id', async () => {
    // Frame.io takes a while to assemble the upload: the agent is stopped while it waits.
    // A delete needs Frame.io's own word that the upload is whole, so the confirmation waits.
    env = await agentEnv({ statusLagMs: 4000 });
    const watchYaml = 'after_upload:\n  action: delete';
    const first = await env.start({ watchYaml });
    await env.write('late.mov', pattern(2000, 3));
    await waitFor(async () => (await first.journal.listByState('uploaded')).length === 1, { what: 'all parts sent', timeoutMs: 15_000 });
    await first.stop();
    expect(uploadedRecords(env)).toHaveLength(0);
    const second = await env.start({ watchYaml });
    await waitFor(() => second.runner.summary.done === 1, { what: 'confirmed after the restart', timeoutMs: 15_000 });
    const [rec] = uploadedRecords(env);
    expect(rec?.message).toMatch(new RegExp(`^uploaded late\\.mov .* to folder ${env.emu.rootFolderId} → http://127\\.0\\.0\\.1:\\d+/view/`));
    expect(rec?.meta).toMatchObject({ watch: 'hot', path: 'late.mov', folder_id: env.emu.rootFolderId, folder_path: null });
  });
});
