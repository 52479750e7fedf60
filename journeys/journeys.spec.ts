// Runs every *.journey.ts in this folder under Playwright Test: UI mode, --debug, traces and codegen all work.
import { test } from '@playwright/test';
import { declareJourneyTests } from 'pulse/playwright';

await declareJourneyTests(test, new URL('.', import.meta.url));
