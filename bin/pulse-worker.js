// A journey worker: the child process the daemon forks to run journey code away from itself.
import { boot } from './boot.js';

await boot('worker/worker-main');
