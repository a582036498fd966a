import { report } from './page-check.js';

report(
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve({ ...e.data, inWorker: true }));
    worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
  }),
);
