// The README's runnable examples: a fenced block preceded by `<!-- example: NAME -->` in
// pkg-template/README.md (the npm package's README). Tests run these blocks exactly as written.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const README = join(resolve(fileURLToPath(new URL('../../..', import.meta.url))), 'pkg-template', 'README.md');

/** The text of the code block marked `<!-- example: name -->` (exactly one such block). */
export function readmeExample(name, file = README) {
  const text = readFileSync(file, 'utf8');
  const marker = `<!-- example: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0 || text.indexOf(marker, at + 1) >= 0) {
    throw new Error(`${file}: expected exactly one "${marker}"`);
  }
  const block = /^\s*```[a-z]*\n([\s\S]*?)\n```[ \t]*$/m.exec(text.slice(at + marker.length));
  if (!block || block.index !== 0) throw new Error(`${file}: "${marker}" is not followed by a fenced code block`);
  return `${block[1]}\n`;
}
