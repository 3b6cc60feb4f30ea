/** `npm run config-reference`: writes docs/config-reference.md from src/config/schema.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_REFERENCE_FILE, renderConfigReference, SCHEMA_SOURCE_FILE } from './lib/configReference.js';

// Run from dist/scripts/: the repository is two levels up.
const root = fileURLToPath(new URL('../..', import.meta.url));
const text = renderConfigReference(readFileSync(join(root, SCHEMA_SOURCE_FILE), 'utf8'));
writeFileSync(join(root, CONFIG_REFERENCE_FILE), text);
console.log(`${CONFIG_REFERENCE_FILE}: ${text.split('\n').filter((l) => l.startsWith('| `')).length} fields`);
