// Where the page tests find the built npm package: $CHATSEAL_PACKAGE (a package directory), else
// $CHATSEAL_PACK_DIR/node_modules/chatseal (scripts/test.sh's pack step), else node_modules/chatseal,
// else pkg/ (scripts/build.sh).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** The first candidate directory holding a package.json; throws naming them all if none does. */
export function packageDir() {
  const candidates = [
    process.env.CHATSEAL_PACKAGE,
    process.env.CHATSEAL_PACK_DIR && join(process.env.CHATSEAL_PACK_DIR, 'node_modules', 'chatseal'),
    join(ROOT, 'node_modules', 'chatseal'),
    join(ROOT, 'pkg'),
  ].filter(Boolean);
  const dir = candidates.find((d) => existsSync(join(d, 'package.json')));
  if (!dir) throw new Error(`no built package in ${candidates.join(', ')}: run scripts/test.sh (pack) or scripts/build.sh`);
  return dir;
}
