// Served with `Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'`.
import init, * as cs from './node_modules/chatseal/web/chatseal.js';
import { report, sealAndOpen } from './page-check.js';

const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.effectiveDirective} ${e.blockedURI}`));

report(
  (async () => {
    // The policy is in force: eval is refused (so 'wasm-unsafe-eval' is all the package needs).
    let evalBlocked = false;
    try {
      (0, eval)('1');
    } catch {
      evalBlocked = true;
    }
    await init();
    const result = sealAndOpen(cs);
    await new Promise((r) => setTimeout(r, 50)); // violation events are dispatched asynchronously
    return { ...result, evalBlocked, violations: violations.filter((v) => !v.endsWith(' eval')) };
  })(),
);
