// Version stacks, file moves and custom metadata: the Frame.io V4 calls that mark and group
// uploads. Strict like the rest: every id must exist, belong where the call says, and be unique.
import { account, body, fail, file, folder, isReply, list, notFound, type Handler, type Reply } from './api.js';
import type { ApiError } from './http.js';
import type { EndpointKey } from './types.js';

const invalid = (detail: string, pointer: string): ApiError => ({ title: 'Invalid value', detail, source: { pointer } });
const unprocessable = (detail: string, pointer: string): Reply => fail(422, [invalid(detail, pointer)]);

/** Documented: 2 to 10 files per stack. */
export const STACK_MIN = 2;
export const STACK_MAX = 10;
/**
 * Not documented: how many file ids one bulk metadata update takes. The emulator refuses more than
 * 100 so an agent that batches larger would find out here, not in production.
 */
export const METADATA_MAX_FILE_IDS = 100;
export const FIELD_TYPES = ['text', 'select', 'select_multi', 'number', 'toggle', 'date', 'rating', 'user'] as const;

function ids(value: unknown, pointer: string): string[] | Reply {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) return unprocessable(`"${pointer.split('/').pop()}" must be a list of ids`, pointer);
  if (new Set(value).size !== value.length) return unprocessable(`"${pointer.split('/').pop()}" lists an id twice`, pointer);
  return value as string[];
}

export const stackHandlers: Pick<Record<EndpointKey, Handler>, 'create_version_stack' | 'move_file'> = {
  create_version_stack: async (c) => {
    const f = folder(c);
    if (isReply(f)) return f;
    const data = await body(c, { file_ids: { type: 'array' } });
    if (isReply(data)) return data;
    const list = ids(data.file_ids, '/data/file_ids');
    if (isReply(list)) return list;
    if (list.length < STACK_MIN || list.length > STACK_MAX) return unprocessable(`"file_ids" must list ${STACK_MIN} to ${STACK_MAX} files (got ${list.length})`, '/data/file_ids');
    const store = c.ctx.store;
    for (const [i, id] of list.entries()) {
      const rec = store.file(id);
      if (!rec || rec.deleted) return unprocessable(`File ${id} not found`, `/data/file_ids/${i}`);
      if (rec.parentId !== f.id) return unprocessable(`File ${id} is not in folder ${f.id}`, `/data/file_ids/${i}`);
    }
    const st = store.createStack(f.id, list);
    return { status: 201, body: { data: store.stackJson(st) } };
  },
  move_file: async (c) => {
    const f = file(c);
    if (isReply(f)) return f;
    const data = await body(c, { parent_id: { type: 'string' } });
    if (isReply(data)) return data;
    const store = c.ctx.store;
    const target = data.parent_id as string;
    const stack = store.stack(target);
    const dest = store.folder(target) ?? stack;
    if (!dest) return unprocessable(`parent_id ${target} is neither a folder nor a version stack`, '/data/parent_id');
    if (dest.projectId !== f.projectId) return unprocessable(`parent_id ${target} is in another project`, '/data/parent_id');
    if (stack && stack.fileIds.length >= STACK_MAX) return unprocessable(`version stack ${target} already holds ${STACK_MAX} files`, '/data/parent_id');
    if (f.parentId !== target) store.moveFile(f, target);
    return { status: 200, body: { data: store.fileJson(f) } };
  },
};

const defJson = (d: { id: string; name: string; fieldType: string }): unknown => ({ id: d.id, name: d.name, field_type: d.fieldType });

function valueProblem(fieldType: string, value: unknown): string | undefined {
  switch (fieldType) {
    case 'text':
      return typeof value === 'string' ? undefined : 'must be a string for a text field';
    case 'number':
    case 'rating':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number for a ${fieldType} field`;
    case 'toggle':
      return typeof value === 'boolean' ? undefined : 'must be true or false for a toggle field';
    case 'date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : 'must be a date for a date field';
    default:
      return Array.isArray(value) ? undefined : `must be a list of ids for a ${fieldType} field`;
  }
}

export const metadataHandlers: Pick<Record<EndpointKey, Handler>, 'list_field_definitions' | 'create_field_definition' | 'update_metadata_values'> = {
  list_field_definitions: (c) => account(c) ?? list(c, c.ctx.store.fieldDefinitions(), defJson),
  create_field_definition: async (c) => {
    const bad = account(c);
    if (bad) return bad;
    const data = await body(c, {
      name: { type: 'string', check: (n: string) => (n.trim() === '' ? 'must not be empty' : undefined) },
      field_type: { type: 'string', check: (t: string) => ((FIELD_TYPES as readonly string[]).includes(t) ? undefined : `must be one of ${FIELD_TYPES.join(', ')}`) },
    });
    if (isReply(data)) return data;
    return { status: 201, body: { data: defJson(c.ctx.store.addFieldDefinition(data.name as string, data.field_type as string)) } };
  },
  update_metadata_values: async (c) => {
    const bad = account(c);
    if (bad) return bad;
    const store = c.ctx.store;
    if (c.params.project !== store.projectId) return notFound('Project', c.params.project!);
    const data = await body(c, { file_ids: { type: 'array' }, values: { type: 'array' } });
    if (isReply(data)) return data;
    const fileIds = ids(data.file_ids, '/data/file_ids');
    if (isReply(fileIds)) return fileIds;
    if (fileIds.length === 0 || fileIds.length > METADATA_MAX_FILE_IDS) return unprocessable(`"file_ids" must list 1 to ${METADATA_MAX_FILE_IDS} files`, '/data/file_ids');
    for (const [i, id] of fileIds.entries()) {
      const rec = store.file(id);
      if (!rec || rec.deleted || rec.projectId !== store.projectId) return unprocessable(`File ${id} not found in project ${store.projectId}`, `/data/file_ids/${i}`);
    }
    const values = data.values as unknown[];
    if (values.length === 0) return unprocessable('"values" must not be empty', '/data/values');
    const parsed: Array<{ defId: string; value: unknown }> = [];
    for (const [i, v] of values.entries()) {
      const ptr = `/data/values/${i}`;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return unprocessable('must be an object {field_definition_id, value}', ptr);
      const extra = Object.keys(v).find((k) => k !== 'field_definition_id' && k !== 'value');
      if (extra) return unprocessable(`Unexpected field "${extra}"`, `${ptr}/${extra}`);
      const { field_definition_id: defId, value } = v as { field_definition_id?: unknown; value?: unknown };
      const def = typeof defId === 'string' ? store.fieldDefinition(defId) : undefined;
      if (!def) return unprocessable(`field definition ${String(defId)} not found`, `${ptr}/field_definition_id`);
      const problem = valueProblem(def.fieldType, value);
      if (problem) return unprocessable(`"value" ${problem}`, `${ptr}/value`);
      parsed.push({ defId: def.id, value });
    }
    for (const id of fileIds) for (const p of parsed) store.setValue(id, p.defId, p.value);
    return { status: 204 };
  },
};
