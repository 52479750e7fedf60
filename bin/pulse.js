#!/usr/bin/env node
import { boot } from './boot.js';

await boot('cli');
