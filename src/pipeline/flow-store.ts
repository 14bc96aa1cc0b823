// The journal as one flow sees it. With a journal shared by several agents, every write about the
// flow's job carries the flow's claim, so the store refuses it once another agent has taken the
// job over (fencing); and the job's path is this machine's, since the same share may be mounted
// elsewhere on another (the path another agent recorded is not where the file is here).
import type { Job, JobStore, Lease, WriteIntent } from '../journal/index.js';

export interface FlowView {
  readonly jobId: number;
  /** The flow's claim, when it holds one. */
  lease(): Lease | undefined;
  /** Where the file is on this machine. */
  readonly localPath: string;
}

export function flowStore(store: JobStore, view: FlowView): JobStore {
  const fenced = <T extends WriteIntent | undefined>(id: number, opts: T): T => {
    const lease = id === view.jobId ? view.lease() : undefined;
    return (lease ? { ...opts, lease } : opts) as T;
  };
  const local = (job: Job): Job => (job.id === view.jobId && job.absPath !== view.localPath ? { ...job, absPath: view.localPath } : job);
  const overrides: Partial<JobStore> = {
    transition: async (id, to, patch, opts) => local(await store.transition(id, to, patch, fenced(id, opts))),
    update: async (id, patch, opts) => local(await store.update(id, patch, fenced(id, opts))),
    markPartDone: (id, index, opts) => store.markPartDone(id, index, fenced(id, opts)),
    forget: (id, opts) => store.forget(id, fenced(id, opts)),
    getById: async (id) => {
      const job = await store.getById(id);
      return job && local(job);
    },
  };
  return new Proxy(store, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof JobStore];
      const value: unknown = Reflect.get(target, prop, target);
      // Methods run on the store itself, whose private state the proxy does not have.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
