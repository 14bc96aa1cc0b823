// Resources a create call adopted from a lookup (its answer was lost) rather than received as
// made by that call. Kept beside the objects, not in them, so the API's shapes stay Frame.io's.
const adopted = new WeakSet<object>();

export function markAdopted<T extends object>(resource: T): T {
  adopted.add(resource);
  return resource;
}

/** True when `resource` was found by a lookup after a lost answer: it may not be new or empty. */
export function wasAdopted(resource: object): boolean {
  return adopted.has(resource);
}
