#!/usr/bin/env node
// `callrec-auth migrate | keys rotate | bootstrap | start`. Runs the compiled CLI (dist/, what the
// image ships) when it exists, otherwise the TypeScript sources through tsx (a checkout).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const compiled = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const args = existsSync(compiled)
  ? [compiled]
  : ['--import', createRequire(import.meta.url).resolve('tsx/esm'), fileURLToPath(new URL('../src/cli.ts', import.meta.url))];
const result = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
