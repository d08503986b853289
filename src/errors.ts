// The application's one error type: a stable dotted code (clients branch on it), an HTTP status,
// and whether its message is meant for the caller. Use cases throw it; the edges render it.
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly expose = status < 500,
  ) {
    super(message);
  }
}

export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === '23505';
