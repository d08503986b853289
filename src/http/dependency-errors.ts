// Recognises failures of PostgreSQL or Redis, so a request that needs them answers 503 quickly
// (and fails closed) instead of a generic 500.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

export function isDependencyError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, name, message } = error as Error & { code?: string };
  if (code && CONNECTION_CODES.has(code)) return true;
  if (name === 'KnexTimeoutError' || name === 'MaxRetriesPerRequestError') return true;
  return /Connection is closed|Stream isn't writeable|enableOfflineQueue|Connection terminated|timeout exceeded when trying to connect|Command timed out/i.test(message);
}

/** Which dependency an error came from, for the dependency error metric. */
export function dependencyOf(error: unknown): 'redis' | 'postgres' {
  const e = error as { name?: string; message?: string; stack?: string };
  return /ioredis|Redis|MaxRetriesPerRequest|enableOfflineQueue|Stream isn't writeable|Command timed out/i.test(`${e.name} ${e.message} ${e.stack ?? ''}`) ? 'redis' : 'postgres';
}
