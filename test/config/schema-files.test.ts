import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configJsonSchemaText, SCHEMA_FILE, writeConfigJsonSchema } from '../../src/config/json-schema.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema, type SchemaNode } from '../../src/config/schema.js';

const EXAMPLE = fileURLToPath(new URL('../../agent.example.yaml', import.meta.url));

// UPDATE_SCHEMA=1 npx vitest run test/config/schema-files.test.ts rewrites config/agent.schema.json.
if (process.env.UPDATE_SCHEMA === '1') writeConfigJsonSchema();

/** Every key path of the schema, arrays as "[]": "watches[].after_upload.to". */
function keyPaths(node: SchemaNode, prefix = ''): string[] {
  if (node.type === 'array') return keyPaths(node.items, `${prefix}[]`);
  if (node.type !== 'object') return [];
  return Object.entries(node.properties).flatMap(([k, child]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return [p, ...keyPaths(child, p)];
  });
}

describe('JSON Schema', () => {
  it('config/agent.schema.json is the generated schema (regenerate with UPDATE_SCHEMA=1)', () => {
    expect(existsSync(SCHEMA_FILE)).toBe(true);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText());
  });

  it('is draft 2020-12, closed, with descriptions and defaults', () => {
    const s = configJsonSchema() as any;
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(['watches']);
    const w = s.properties.watches.items;
    expect(w.additionalProperties).toBe(false);
    expect(w.required).toEqual(['path', 'folder_id']);
    expect(s.properties.upload.properties.max_workers).toMatchObject({ type: 'integer', minimum: 1, maximum: 128, default: 32 });
    expect(w.properties.after_upload.properties.action.enum).toEqual(['move', 'tag', 'delete', 'leave']);
    expect(w.properties.after_upload.allOf[0]).toEqual({
      if: { properties: { action: { const: 'move' } }, required: ['action'] },
      then: { required: ['to'] },
      else: { not: { required: ['to'] } },
    });
    expect(s.properties.frameio.dependentRequired).toEqual({ client_id: ['client_secret'], client_secret: ['client_id'] });
    const notBoth = (a: string, b: string) => ({ not: { allOf: [{ required: [a] }, { required: [b] }] } });
    expect(s.properties.frameio.allOf).toEqual([notBoth('token', 'client_id'), notBoth('token', 'token_file'), notBoth('token_file', 'client_id')]);
    expect(w.properties.rules.items.anyOf).toEqual([{ required: ['folder'] }, { required: ['folder_id'] }, { required: ['skip'], properties: { skip: { const: true } } }]);
    // Every key is described.
    const walk = (n: any): void => {
      expect(typeof n.description).toBe('string');
      for (const c of Object.values(n.properties ?? {})) walk(c);
      if (n.items) walk(n.items);
    };
    walk(s);
  });
});

describe('agent.example.yaml', () => {
  it('parses with the variables it references set', async () => {
    const cfg = await loadConfig(EXAMPLE, { env: { FRAMEIO_TOKEN: 'example-token-123', FRAMEIO_ACCOUNT_ID: 'acc' }, checkPaths: false });
    expect(cfg.frameio.token).toBe('example-token-123');
    expect(cfg.watches).toHaveLength(2);
    expect(cfg.watches[0]!.rules).toHaveLength(3);
    expect(cfg.watches[1]!.rescanSeconds).toBe(5);
  });

  it('mentions and comments every key of the schema', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const textLines = text.split('\n');
    for (const p of keyPaths(configSchema)) {
      const key = p.split('.').pop()!.replace('[]', '');
      // A key appears as "key:" (maybe commented out, inside a list item or a flow mapping).
      const re = new RegExp(`(^|[\\s{,#-])${key}:`);
      const idx = textLines.findIndex((l) => re.test(l));
      expect(idx, `${p} is not in the example`).toBeGreaterThanOrEqual(0);
      const commented = textLines[idx]!.includes('#') || textLines.slice(Math.max(0, idx - 3), idx).some((l) => l.trim().startsWith('#'));
      expect(commented, `${p} has no comment`).toBe(true);
    }
  });
});
