// node variants.mjs variants.json result.json NAME: puts one variant's result (from run.mjs
// --variant) into variants.json, replacing a row of the same name, keeping scripts/bench.sh's order.
import { readFileSync, writeFileSync } from 'node:fs';
const [file, resultFile, name] = process.argv.slice(2);
const rows = JSON.parse(readFileSync(file, 'utf8'));
const result = { ...JSON.parse(readFileSync(resultFile, 'utf8')), variant: name };
const at = rows.findIndex((r) => r.variant === name);
if (at >= 0) rows[at] = result; else rows.push(result);
writeFileSync(file, JSON.stringify(rows, null, 1) + '\n');
