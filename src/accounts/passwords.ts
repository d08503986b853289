// Password hashing with argon2id. Parameters live in each PHC string, so they can be raised later:
// a successful login with older parameters rehashes the password.
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

// @node-rs/argon2 exports Algorithm as a const enum, which isolated modules cannot read at runtime.
const ARGON2ID = 2 as Algorithm.Argon2id;

export interface PasswordHashParams {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
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

export async function createPasswordHasher(params: PasswordHashParams): Promise<PasswordHasher> {
  const options = { algorithm: ARGON2ID, ...params };
  const dummyHash = await hash(randomBytes(32).toString('base64url'), options);

  const hasher: PasswordHasher = {
    hash: (password) => hash(password, options),
    async verify(storedHash, password) {
      const stored = parsePhcParams(storedHash);
      if (!stored) {
        await hasher.verifyDummy(password);
        return { ok: false, needsRehash: false };
      }
      const ok = await verify(storedHash, password).catch(() => false);
      const needsRehash = ok && (
        stored.memoryCost < params.memoryCost || stored.timeCost < params.timeCost || stored.parallelism !== params.parallelism
      );
      return { ok, needsRehash };
    },
    async verifyDummy(password) {
      await verify(dummyHash, password).catch(() => false);
    },
  };
  return hasher;
}
