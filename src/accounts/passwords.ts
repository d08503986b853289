// Password hashing with argon2id. Parameters live in each PHC string, so they can be raised later:
// a successful login with older parameters rehashes the password.
import { hash, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { AppError } from '../errors.js';

// @node-rs/argon2 exports Algorithm as a const enum, which isolated modules cannot read at runtime.
const ARGON2ID = 2 as Algorithm.Argon2id;

export interface PasswordHashParams {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface PasswordHashLimits {
  /** argon2 runs at once; memory stays below memoryCost × concurrency. */
  concurrency: number;
  /** Hashes waiting beyond this are refused (503) rather than queued behind a flood. */
  maxQueue: number;
}

/** No composition rules (NIST SP 800-63B); length counted in Unicode code points; never normalised. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export function checkPasswordLength(password: string): 'too_short' | 'too_long' | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  return undefined;
}

export interface PasswordVerification {
  ok: boolean;
  /** The stored hash uses weaker parameters than configured: store a new one. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<PasswordVerification>;
  /**
   * Spends the same work as a real verification against a hash nobody's password matches, so an
   * unknown or password-less user answers in the same time as a wrong password.
   */
  verifyDummy(password: string): Promise<void>;
}

function parsePhcParams(phc: string): PasswordHashParams | undefined {
  const match = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
  if (!match) return undefined;
  return { memoryCost: Number(match[1]), timeCost: Number(match[2]), parallelism: Number(match[3]) };
}

export async function createPasswordHasher(params: PasswordHashParams, limits: PasswordHashLimits = { concurrency: 4, maxQueue: 256 }): Promise<PasswordHasher> {
  const options = { algorithm: ARGON2ID, ...params };
  const dummyHash = await hash(randomBytes(32).toString('base64url'), options);
  const limit = pLimit(limits.concurrency);
  const gate = <T>(work: () => Promise<T>): Promise<T> => {
    if (limit.pendingCount >= limits.maxQueue) {
      return Promise.reject(new AppError('password.busy', 503, 'Too many logins at once; try again in a moment.'));
    }
    return limit(work);
  };
  const verify = (stored: string, password: string) => gate(() => argon2Verify(stored, password)).catch((err: unknown) => {
    if (err instanceof AppError) throw err;
    return false;
  });

  const hasher: PasswordHasher = {
    hash: (password) => gate(() => hash(password, options)),
    async verify(storedHash, password) {
      const stored = parsePhcParams(storedHash);
      if (!stored) {
        await hasher.verifyDummy(password);
        return { ok: false, needsRehash: false };
      }
      const ok = await verify(storedHash, password);
      const needsRehash = ok && (
        stored.memoryCost < params.memoryCost || stored.timeCost < params.timeCost || stored.parallelism !== params.parallelism
      );
      return { ok, needsRehash };
    },
    async verifyDummy(password) {
      await verify(dummyHash, password);
    },
  };
  return hasher;
}
