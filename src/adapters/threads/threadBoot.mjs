// Entry of every Waterline worker thread: registers tsx (so the TypeScript sources load as in the main
// thread, with no build step) and imports the thread's module (workerData.module, a file: URL).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.module);
