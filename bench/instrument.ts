// Preloaded into the service process by the benchmark (`node --import tsx --import ./bench/instrument.ts
// src/main.ts`): counts PostgreSQL queries and Redis commands/round trips without touching src/.
// On SIGUSR2 it writes the counters to BENCH_COUNTERS_FILE; the benchmark diffs them around each
// scenario to report round trips per login / per grant. The wrappers cost a Map increment per call.
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import Pipeline from 'ioredis/built/Pipeline.js';

const file = process.env.BENCH_COUNTERS_FILE;
let seq = 0;
const pgByStatement = new Map<string, number>();
const redisByCommand = new Map<string, number>();
const counters = { pgQueries: 0, redisCommands: 0, redisRoundTrips: 0 };

/** Literals and parameters out, so one statement shape is one line of the report. */
function shape(sql: string): string {
  return sql.replace(/\$\d+/g, '?').replace(/'[^']*'/g, "'…'").replace(/\s+/g, ' ').trim().slice(0, 160);
}

const originalQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: unknown }).query = function patchedQuery(this: unknown, ...args: unknown[]) {
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
  if (text) {
    counters.pgQueries++;
    const key = shape(text);
    pgByStatement.set(key, (pgByStatement.get(key) ?? 0) + 1);
  }
  return originalQuery.apply(this, args);
};

type SendCommand = (command: { name: string }, stream?: unknown, node?: unknown) => unknown;
const proto = Redis.prototype as unknown as { sendCommand: SendCommand };
const originalSend = proto.sendCommand;
proto.sendCommand = function patchedSend(this: unknown, command, stream, node) {
  counters.redisCommands++;
  // Pipelines (and MULTI) hand a stream in; their exec is one round trip, counted below.
  if (!stream) counters.redisRoundTrips++;
  redisByCommand.set(command.name, (redisByCommand.get(command.name) ?? 0) + 1);
  return originalSend.call(this, command, stream, node);
};
const pipelineProto = ((Pipeline as unknown as { default?: unknown }).default ?? Pipeline) as { prototype: { exec: (...a: unknown[]) => unknown } };
const originalExec = pipelineProto.prototype.exec;
pipelineProto.prototype.exec = function patchedExec(this: unknown, ...args: unknown[]) {
  counters.redisRoundTrips++;
  return originalExec.apply(this, args);
};

if (file) {
  process.on('SIGUSR2', () => {
    seq++;
    writeFileSync(file, JSON.stringify({
      seq,
      ...counters,
      pgByStatement: Object.fromEntries(pgByStatement),
      redisByCommand: Object.fromEntries(redisByCommand),
    }));
  });
}
