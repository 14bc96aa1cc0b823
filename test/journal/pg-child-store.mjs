// The PostgreSQL backend for contract-writer.mjs: the built module (dist/), on the database at DATABASE_URL.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/journal/index.js', import.meta.url));
if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
const { PgJobStore } = await import(dist);

export async function openStore() {
  return PgJobStore.open(process.env.DATABASE_URL);
}
