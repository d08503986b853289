#!/usr/bin/env node
// `callrec-auth migrate | keys rotate | bootstrap | start`. In a checkout (src/ present) it runs the
// TypeScript sources through tsx, so it never runs a stale build; the image ships only dist/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const args = existsSync(source)
  ? ['--import', createRequire(import.meta.url).resolve('tsx/esm'), source]
  : [fileURLToPath(new URL('../dist/src/cli.js', import.meta.url))];
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
