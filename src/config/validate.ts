// Walks the YAML syntax tree against schema.ts. Works on nodes, not on plain JS values, so every
// problem carries the line and column of the key or value it is about, and all problems are
// collected in one pass. Produces plain snake_case values with defaults filled and paths resolved.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode, type Pair } from 'yaml';
import { folderTemplateProblem } from '../rules/template.js';
import { globProblem } from '../rules/glob.js';
import { interpolate } from './interpolate.js';
import { registerSecret } from '../util/redact.js';
import type { ConfigIssue } from './issues.js';
import type { ArrayNode, BooleanNode, NumberNode, ObjectNode, SchemaNode, StringNode } from './schema.js';
import { nearest } from './suggest.js';
import { parseBandwidth } from '../upload/bandwidth.js';

function bandwidthProblem(text: string): string | undefined {
  const r = parseBandwidth(text);
  return 'problem' in r ? r.problem : undefined;
}

export interface Pos {
  line: number;
  col: number;
}

export interface ValidateContext {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  env: NodeJS.ProcessEnv;
  issues: ConfigIssue[];
  /** Where each key path's value (or, for a whole mapping, the mapping) starts. */
  positions: Map<string, Pos>;
  resolvePath: (p: string) => string;
}

/** Marks a value that failed validation (an issue was recorded). */
export const INVALID: unique symbol = Symbol('invalid');
type Out = unknown;

export function posOf(ctx: ValidateContext, node: unknown): Pos | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  if (!range) return undefined;
  return ctx.lineCounter.linePos(range[0]);
}

export function addIssue(ctx: ValidateContext, path: string, at: Pos | undefined, message: string): void {
  ctx.issues.push({ file: ctx.file, ...(at ? { line: at.line, col: at.col } : {}), path, message });
}

function deref(ctx: ValidateContext, node: unknown): unknown {
  return isAlias(node) ? node.resolve(ctx.doc) : node;
}

function isAbsent(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function describe(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing';
    return typeof v === 'string' ? `'${v}'` : String(v);
  }
  return 'nothing';
}

function lastKey(path: string): string {
  const m = /([A-Za-z_]+)(?:\[\d+\])?$/.exec(path);
  return m?.[1] ?? 'value';
}

/** The scalar's text after ${VAR} interpolation, or INVALID (issue recorded), or null for non-scalars. */
function scalarText(ctx: ValidateContext, node: unknown, path: string): { text: string; fromString: boolean } | typeof INVALID | null {
  if (!isScalar(node)) return null;
  const v = node.value;
  if (typeof v !== 'string') return { text: node.source ?? String(v), fromString: false };
  const r = interpolate(v, ctx.env);
  const at = posOf(ctx, node);
  for (const name of r.missing) addIssue(ctx, path, at, `environment variable '${name}' is not set (export ${name}=…, or write \${${name}:-default} for a fallback)`);
  for (const ref of r.malformed) addIssue(ctx, path, at, `invalid variable reference '${ref}' (write $\${ for a literal \${)`);
  if (r.missing.length > 0 || r.malformed.length > 0) return INVALID;
  return { text: r.value, fromString: true };
}

function validateString(ctx: ValidateContext, node: unknown, schema: StringNode, path: string): Out {
  const s = scalarText(ctx, node, path);
  if (s === INVALID) return INVALID;
  const at = posOf(ctx, node);
  if (s === null) {
    addIssue(ctx, path, at, `expected a string, got ${describe(node)}`);
    return INVALID;
  }
  const text = s.text;
  if (text === '') return '';
  if (schema.enum && !schema.enum.includes(text)) {
    addIssue(ctx, path, at, `unknown ${lastKey(path)} '${text}' (expected one of ${schema.enum.join(', ')})`);
    return INVALID;
  }
  const problem =
    schema.format === 'glob' ? globProblem(text)
    : schema.format === 'template' ? folderTemplateProblem(text)
    : schema.format === 'url' ? urlProblem(text)
    : schema.format === 'id' ? idProblem(text)
    : schema.format === 'bandwidth' ? bandwidthProblem(text)
    : undefined;
  if (problem) {
    addIssue(ctx, path, at, problem);
    return INVALID;
  }
  return schema.format === 'path' ? ctx.resolvePath(text) : text;
}

// Frame.io V4 ids are UUIDs. Only the shape is checked here (a pasted placeholder such as
// "<uuid>", a URL or a path is caught); whether the folder exists is checked online, by
// `check --online` and when `run` starts.
export const FRAMEIO_ID = /^[A-Za-z0-9_-]+$/;

function idProblem(text: string): string | undefined {
  if (FRAMEIO_ID.test(text)) return undefined;
  return `'${text}' is not a Frame.io id (ids look like 3fa85f64-5717-4562-b3fc-2c963f66afa6); find them with \`frameio-agent ls\``;
}

function urlProblem(text: string): string | undefined {
  try {
    const u = new URL(text);
    if (u.protocol === 'http:' || u.protocol === 'https:') return undefined;
  } catch {
    // fall through
  }
  return `expected an http(s) URL, got '${text}'`;
}

function validateNumber(ctx: ValidateContext, node: unknown, schema: NumberNode, path: string): Out {
  const at = posOf(ctx, node);
  const whole = schema.type === 'integer';
  const wrong = (): typeof INVALID => {
    addIssue(ctx, path, at, `expected ${whole ? 'a whole number' : 'a number'}, got ${describe(node)}`);
    return INVALID;
  };
  let n: number;
  if (isScalar(node) && typeof node.value === 'number') {
    n = node.value;
  } else {
    // Numbers arriving through ${VAR} (or quoted) are strings; accept them when they are numbers.
    const s = scalarText(ctx, node, path);
    if (s === INVALID) return INVALID;
    if (s === null || !s.fromString || !/^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(s.text)) return wrong();
    n = Number(s.text);
  }
  if (!Number.isFinite(n) || (whole && !Number.isInteger(n))) return wrong();
  if (schema.minimum !== undefined && n < schema.minimum) {
    addIssue(ctx, path, at, `must be at least ${schema.minimum}, got ${n}`);
    return INVALID;
  }
  if (schema.maximum !== undefined && n > schema.maximum) {
    addIssue(ctx, path, at, `must be at most ${schema.maximum}, got ${n}`);
    return INVALID;
  }
  return n;
}

function validateBoolean(ctx: ValidateContext, node: unknown, _schema: BooleanNode, path: string): Out {
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  const s = scalarText(ctx, node, path);
  if (s === INVALID) return INVALID;
  if (s !== null && s.fromString && (s.text === 'true' || s.text === 'false')) return s.text === 'true';
  addIssue(ctx, path, posOf(ctx, node), `expected true or false, got ${describe(node)}`);
  return INVALID;
}

function validateArray(ctx: ValidateContext, node: unknown, schema: ArrayNode, path: string): Out {
  if (!isSeq(node)) {
    addIssue(ctx, path, posOf(ctx, node), `expected a list, got ${describe(node)}`);
    return INVALID;
  }
  const out: unknown[] = node.items.map((item, i) => {
    const itemPath = `${path}[${i}]`;
    const child = deref(ctx, item);
    const at = posOf(ctx, child);
    if (at) ctx.positions.set(itemPath, at);
    if (isAbsent(child)) {
      addIssue(ctx, itemPath, at, 'empty list entry');
      return INVALID;
    }
    return validateNode(ctx, child, schema.items, itemPath);
  });
  if (schema.minItems !== undefined && out.length < schema.minItems) {
    addIssue(ctx, path, posOf(ctx, node), `needs at least ${schema.minItems} ${schema.minItems === 1 ? 'entry' : 'entries'}`);
  }
  return out;
}

/** Present for the cross-key checks: given in the file, and for booleans, true. */
function presentIn(obj: Record<string, unknown>, given: Set<string>, key: string, schema: ObjectNode): boolean {
  if (!given.has(key)) return false;
  return schema.properties[key]?.type === 'boolean' ? obj[key] === true : true;
}

function label(key: string, schema: ObjectNode): string {
  return schema.properties[key]?.type === 'boolean' ? `${key}: true` : key;
}

function validateObject(ctx: ValidateContext, node: unknown, schema: ObjectNode, path: string): Out {
  if (node !== null && !isMap(node)) {
    addIssue(ctx, path, posOf(ctx, node), `expected a mapping, got ${describe(node)}`);
    return INVALID;
  }
  const mapAt = posOf(ctx, node);
  const join = (key: string): string => (path ? `${path}.${key}` : key);
  const out: Record<string, unknown> = {};
  const given = new Set<string>();
  const keyPos = new Map<string, Pos | undefined>();
  const known = Object.keys(schema.properties);

  for (const pair of (node?.items ?? []) as Pair[]) {
    const keyNode = pair.key;
    const keyAt = posOf(ctx, keyNode);
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
      addIssue(ctx, path, keyAt ?? mapAt, `keys must be plain names, got ${describe(keyNode)}`);
      continue;
    }
    const key = keyNode.value;
    const childSchema = schema.properties[key];
    if (!childSchema) {
      const guess = nearest(key, known);
      addIssue(ctx, join(key), keyAt, `unknown key '${key}'${guess ? ` — did you mean '${guess}'?` : ''}`);
      continue;
    }
    const value = deref(ctx, pair.value);
    const at = posOf(ctx, value) ?? keyAt;
    if (at) ctx.positions.set(join(key), at);
    keyPos.set(key, keyAt);
    if (isAbsent(value)) continue;
    given.add(key);
    const v = validateNode(ctx, value, childSchema, join(key));
    // An empty optional string (often "${VAR:-}") means "not set".
    if (v === '' && !schema.required?.includes(key)) {
      given.delete(key);
      continue;
    }
    if (v === '') {
      addIssue(ctx, join(key), at, 'must not be empty');
      continue;
    }
    if (v !== INVALID) out[key] = v;
  }

  for (const key of schema.required ?? []) {
    if (!given.has(key)) addIssue(ctx, path, mapAt, `missing required key '${key}'`);
  }

  for (const [key, child] of Object.entries(schema.properties)) {
    if (given.has(key)) continue;
    if (child.type === 'object') {
      // An opt-in section (versions) stays absent, so its absence means "off".
      if (!child.optIn) out[key] = validateObject(ctx, null, child, join(key));
    } else if (child.type === 'number' || child.type === 'integer') {
      const dw = child.defaultWhen;
      if (dw && out[dw.key] === dw.equals) out[key] = dw.value;
      else if (child.default !== undefined) out[key] = child.default;
    } else if (child.default !== undefined) {
      out[key] = child.type === 'string' && child.format === 'path' ? ctx.resolvePath(child.default) : structuredClone(child.default);
    }
  }

  const has = (k: string): boolean => presentIn(out, given, k, schema);
  for (const [a, b] of schema.exclusive ?? []) {
    if (has(a) && has(b)) addIssue(ctx, path, keyPos.get(b) ?? mapAt, `${label(a, schema)} and ${label(b, schema)} cannot be used together: choose one`);
  }
  for (const [key, needs] of Object.entries(schema.dependentRequired ?? {})) {
    if (!has(key)) continue;
    for (const other of needs) {
      if (!has(other)) addIssue(ctx, path, keyPos.get(key) ?? mapAt, `${key} needs ${other}`);
    }
  }
  if (schema.anyOfPresent && !schema.anyOfPresent.some(has)) {
    const names = schema.anyOfPresent.map((k) => label(k, schema));
    addIssue(ctx, path, mapAt, `needs one of ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`);
  }
  for (const [key, cond] of Object.entries(schema.requiredWhen ?? {})) {
    const holds = out[cond.key] === cond.equals;
    if (holds && !given.has(key)) {
      addIssue(ctx, path, ctx.positions.get(join(cond.key)) ?? mapAt, `${cond.key} '${cond.equals}' needs '${key}'`);
    } else if (!holds && given.has(key) && out[cond.key] !== undefined) {
      addIssue(ctx, join(key), keyPos.get(key), `'${key}' is only used with ${cond.key} '${cond.equals}'`);
    }
  }
  return out;
}

// Variables and keys whose values are credentials: FRAMEIO_TOKEN, FRAMEIO_CLIENT_SECRET,
// DB_PASSWORD, and the keys token / client_secret. Not token_file: that is a path.
const SECRET_NAME = /(?:^|_)(?:token|secret|password)$/i;

/**
 * The texts a message about this scalar must not show: the whole value when the key is a secret
 * or the value came from a secret variable, and the variables' own values. Registered with the
 * redactor too, so they stay hidden wherever else they might travel.
 */
function secretsOf(ctx: ValidateContext, node: unknown, schema: SchemaNode, path: string): string[] {
  if (!isScalar(node)) return [];
  const raw = node.value;
  const out: string[] = [];
  // Only string keys hold credentials: legacy_token is a switch, and its value may be shown.
  const keyIsSecret = schema.type === 'string' && (schema.secret === true || SECRET_NAME.test(lastKey(path)));
  if (typeof raw === 'string') {
    const r = interpolate(raw, ctx.env);
    const secretVars = r.names.filter((name) => SECRET_NAME.test(name));
    for (const name of secretVars) out.push(ctx.env[name] ?? '');
    if (keyIsSecret || secretVars.length > 0) out.push(r.value, raw);
  } else if (keyIsSecret) {
    out.push(node.source ?? String(raw));
  }
  const values = [...new Set(out.filter((v) => v !== ''))].sort((a, b) => b.length - a.length);
  for (const v of values) registerSecret(v);
  return values;
}

/** Hides each secret: everywhere when it is long enough to be unmistakable, else where quoted. */
function scrub(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) out = s.length >= 4 ? out.split(s).join('[redacted]') : out.split(`'${s}'`).join("'[redacted]'");
  return out;
}

export function validateNode(ctx: ValidateContext, node: unknown, schema: SchemaNode, path: string): Out {
  const n = deref(ctx, node) as YamlNode | null;
  if (schema.type === 'array' || schema.type === 'object') return validateCollection(ctx, n, schema, path);
  const before = ctx.issues.length;
  const value = validateScalar(ctx, n, schema, path);
  if (ctx.issues.length > before) {
    const secrets = secretsOf(ctx, n, schema, path);
    if (secrets.length > 0) for (const issue of ctx.issues.slice(before)) issue.message = scrub(issue.message, secrets);
  } else if (value !== INVALID) {
    secretsOf(ctx, n, schema, path); // registers them for every later message
  }
  return value;
}

function validateScalar(ctx: ValidateContext, n: YamlNode | null, schema: StringNode | NumberNode | BooleanNode, path: string): Out {
  switch (schema.type) {
    case 'string':
      return validateString(ctx, n, schema, path);
    case 'integer':
    case 'number':
      return validateNumber(ctx, n, schema, path);
    case 'boolean':
      return validateBoolean(ctx, n, schema, path);
  }
}

function validateCollection(ctx: ValidateContext, n: YamlNode | null, schema: ArrayNode | ObjectNode, path: string): Out {
  switch (schema.type) {
    case 'array':
      return validateArray(ctx, n, schema, path);
    case 'object':
      return validateObject(ctx, n, schema, path);
  }
}
