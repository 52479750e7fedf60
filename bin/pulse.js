#!/usr/bin/env node
// Journeys are TypeScript, loaded at run time, so the tsx loader is registered before anything else.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const source = new URL('../src/cli.ts', import.meta.url);
const built = new URL('../dist/cli.js', import.meta.url);
// A source checkout runs src/; an installed production build ships dist/ only.
await import(existsSync(source) ? source.href : built.href);
