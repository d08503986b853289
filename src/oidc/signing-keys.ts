// Signing keys live in PostgreSQL, sealed with KEY_ENCRYPTION_KEY, so every replica signs and
// publishes the same set. The first replica to start generates them under an advisory lock.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secret-box.js';

/** RS256 is the OIDC default for ID tokens; ES256 signs admin access tokens (about 4x cheaper). */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

const KEYGEN_LOCK = 7_310_001;

interface SigningKeyRow {
  kid: string;
  alg: SigningAlg;
  private_jwk_sealed: string;
  activates_at: Date;
  retires_at: Date | null;
}

async function generateSigningKey(alg: SigningAlg): Promise<{ kid: string; privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const kid = randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateJwk, publicJwk };
}

export async function addSigningKey(trx: Knex, box: SecretBox, alg: SigningAlg, activatesAt?: Date): Promise<string> {
  const key = await generateSigningKey(alg);
  await trx('signing_keys').insert({
    kid: key.kid,
    alg,
    private_jwk_sealed: box.seal(JSON.stringify(key.privateJwk), `signing-key:${key.kid}`),
    public_jwk: JSON.stringify(key.publicJwk),
    ...(activatesAt ? { activates_at: activatesAt } : {}),
  });
  return key.kid;
}

/** Creates one key per algorithm when none exists; safe to call from many replicas at once. */
export async function ensureSigningKeys(db: Knex, box: SecretBox): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [KEYGEN_LOCK]);
    const present = await trx('signing_keys').whereNull('retires_at').distinct('alg').pluck('alg');
    for (const alg of SIGNING_ALGS) {
      if (!present.includes(alg)) await addSigningKey(trx, box, alg);
    }
  });
}

/**
 * The private JWKS for oidc-provider. Keys that sign now come first for each algorithm (the
 * provider signs with the first usable key), then keys that are only published: ones not yet
 * active and ones on their way out.
 */
export async function loadSigningJwks(db: Knex, box: SecretBox, now: Date): Promise<{ keys: JWK[] }> {
  const rows = await db<SigningKeyRow>('signing_keys')
    .where((q) => q.whereNull('retires_at').orWhere('retires_at', '>', now))
    .orderBy('activates_at', 'desc');
  const signing = (row: SigningKeyRow) => row.activates_at <= now && !row.retires_at;
  const ordered = [...rows.filter(signing), ...rows.filter((r) => !signing(r))];
  return {
    keys: ordered.map((row) => JSON.parse(box.open(row.private_jwk_sealed, `signing-key:${row.kid}`).toString('utf8')) as JWK),
  };
}

/** The public half of a private JWKS (what /jwks publishes and the admin API verifies with). */
export function toPublicJwks(jwks: { keys: JWK[] }): { keys: JWK[] } {
  return { keys: jwks.keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart }) => publicPart) };
}
