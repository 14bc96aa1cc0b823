// Publishes schema.ts as JSON Schema (draft 2020-12) for editors (yaml-language-server:
// "# yaml-language-server: $schema=config/agent.schema.json"). config/agent.schema.json is this
// function's output; a test keeps them equal. Regenerate: UPDATE_SCHEMA=1 npx vitest run test/config,
// or `node dist/config/json-schema.js` after a build.
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configSchema, type ObjectNode, type SchemaNode } from './schema.js';

type Json = Record<string, unknown>;

function present(key: string, schema: ObjectNode): Json {
  return schema.properties[key]?.type === 'boolean' ? { required: [key], properties: { [key]: { const: true } } } : { required: [key] };
}

function objectJson(node: ObjectNode): Json {
  const out: Json = {
    type: 'object',
    description: node.description,
    properties: Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, toJson(v)])),
    additionalProperties: false,
  };
  if (node.required?.length) out.required = node.required;
  if (node.dependentRequired) out.dependentRequired = node.dependentRequired;
  if (node.anyOfPresent) out.anyOf = node.anyOfPresent.map((k) => present(k, node));
  const allOf: Json[] = [];
  for (const [a, b] of node.exclusive ?? []) allOf.push({ not: { allOf: [present(a, node), present(b, node)] } });
  for (const [key, cond] of Object.entries(node.requiredWhen ?? {})) {
    allOf.push({
      if: { properties: { [cond.key]: { const: cond.equals } }, required: [cond.key] },
      then: { required: [key] },
      else: { not: { required: [key] } },
    });
  }
  if (allOf.length) out.allOf = allOf;
  return out;
}

function toJson(node: SchemaNode): Json {
  switch (node.type) {
    case 'object':
      return objectJson(node);
    case 'array':
      return {
        type: 'array',
        description: node.description,
        items: toJson(node.items),
        ...(node.minItems !== undefined ? { minItems: node.minItems } : {}),
        ...(node.default !== undefined ? { default: node.default } : {}),
      };
    case 'string':
      return {
        type: 'string',
        description: node.description,
        ...(node.enum ? { enum: [...node.enum] } : {}),
        ...(node.format === 'url' ? { format: 'uri' } : {}),
        ...(node.format === 'id' ? { pattern: '^[A-Za-z0-9_-]+$' } : {}),
        ...(node.default !== undefined ? { default: node.default } : {}),
      };
    case 'integer':
    case 'number':
      return {
        type: node.type,
        description: node.description,
        ...(node.minimum !== undefined ? { minimum: node.minimum } : {}),
        ...(node.maximum !== undefined ? { maximum: node.maximum } : {}),
        ...(node.default !== undefined ? { default: node.default } : {}),
      };
    case 'boolean':
      return { type: 'boolean', description: node.description, ...(node.default !== undefined ? { default: node.default } : {}) };
  }
}

export function configJsonSchema(): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'frameio-agent configuration',
    ...objectJson(configSchema),
  };
}

/** The file's exact text: stable key order, two-space indent, trailing newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

export const SCHEMA_FILE = fileURLToPath(new URL('../../config/agent.schema.json', import.meta.url));

export function writeConfigJsonSchema(file = SCHEMA_FILE): void {
  writeFileSync(file, configJsonSchemaText());
}

export function main(): void {
  writeConfigJsonSchema();
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
