// Runs in a module Web Worker: no DOM, no import map, so the package's web entry by path.
import init, * as cs from './node_modules/chatseal/web/chatseal.js';
import { sealAndOpen } from './page-check.js';

try {
  await init();
  postMessage({ ...sealAndOpen(cs), hasDocument: typeof document !== 'undefined' });
} catch (e) {
  postMessage({ error: `${e.name}: ${e.code ?? ''} ${e.message}` });
}
