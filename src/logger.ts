// Structured JSON logs. Anything that could hold a secret is redacted by path, and no code path
// logs request bodies, passwords, passcodes or tokens in the first place.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'callrec-auth' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.secret', '*.client_secret', '*.code', '*.token'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
