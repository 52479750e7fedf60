// `npm run docs:settings`: writes docs/settings.md from the settings table (src/settings/table.ts).
import { writeFileSync } from 'node:fs';
import { settingsReference } from '../src/settings/reference.ts';

const file = new URL('../docs/settings.md', import.meta.url);
writeFileSync(file, settingsReference());
console.log(`wrote ${file.pathname}`);
