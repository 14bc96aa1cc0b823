// Read once from package.json so `--version`, sidecars and the User-Agent agree.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const VERSION: string = (require('../package.json') as { version: string }).version;
