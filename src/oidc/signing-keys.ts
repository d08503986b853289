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
 * The private JWKS for oidc-provider. A key is published from the moment it is added until its
 * retires_at; per algorithm, the published key with the latest activates_at that has passed signs.
 * Signing keys come first (oidc-provider signs with the first usable key of an algorithm), then
 * keys that are only published: ones not yet active, and ones on their way out whose tokens may
 * still be in use.
 */
export async function loadSigningJwks(db: Knex, box: SecretBox, now: Date): Promise<{ keys: JWK[] }> {
  const rows = await db<SigningKeyRow>('signing_keys')
    .where((q) => q.whereNull('retires_at').orWhere('retires_at', '>', now))
    .orderBy('activates_at', 'desc')
    .orderBy('kid');
  const signingKids = new Set<string>();
  for (const alg of SIGNING_ALGS) {
    const current = rows.find((row) => row.alg === alg && row.activates_at <= now);
    if (current) signingKids.add(current.kid);
  }
  const ordered = [...rows.filter((r) => signingKids.has(r.kid)), ...rows.filter((r) => !signingKids.has(r.kid))];
  return {
    keys: ordered.map((row) => JSON.parse(box.open(row.private_jwk_sealed, `signing-key:${row.kid}`).toString('utf8')) as JWK),
  };
}

/**
 * Rotation without downtime: a new key per algorithm is published now and signs from
 * now + activateInSeconds (every replica reloads keys well within that); the keys it replaces keep
 * being published until retireAfterSeconds past that moment, when every token they signed has
 * expired. All replicas compute the same answer from the same rows and the same clock.
 */
export async function rotateSigningKeys(
  db: Knex,
  box: SecretBox,
  options: { now: Date; activateInSeconds: number; retireAfterSeconds: number },
): Promise<{ added: string[]; activatesAt: Date; retiresAt: Date }> {
  const activatesAt = new Date(options.now.getTime() + options.activateInSeconds * 1000);
  const retiresAt = new Date(activatesAt.getTime() + options.retireAfterSeconds * 1000);
  const added: string[] = [];
  await db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [KEYGEN_LOCK]);
    for (const alg of SIGNING_ALGS) {
      await trx('signing_keys').where({ alg }).whereNull('retires_at').update({ retires_at: retiresAt });
      added.push(await addSigningKey(trx, box, alg, activatesAt));
    }
  });
  return { added, activatesAt, retiresAt };
}

/** Identifies which keys are published and which sign, to notice when a reload must rebuild. */
export function jwksFingerprint(jwks: { keys: JWK[] }): string {
  return jwks.keys.map((k) => k.kid).join(',');
}

/** The public half of a private JWKS (what /jwks publishes and the admin API verifies with). */
export function toPublicJwks(jwks: { keys: JWK[] }): { keys: JWK[] } {
  return { keys: jwks.keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart }) => publicPart) };
}
