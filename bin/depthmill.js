#!/usr/bin/env node
// Thin launcher: the command line lives in the compiled TypeScript (npm ci builds it).
// `depthmill --version` alone is answered here, from package.json, without loading the command
// line at all (scripts and shells ask it often; docs/usage.md "Command line").
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  await import('../dist/cli/main.js');
}
