import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { addSigningKey, ensureSigningKeys, loadSigningJwks } from '../../src/oidc/signing-keys.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const HOUR = 60 * 60 * 1000;
const box = createSecretBox(randomBytes(32));

interface KeyRow { kid: string; alg: string; private_jwk_sealed: string; public_jwk: JWK }

describe('signing keys: ensureSigningKeys', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  it('when five replicas start at once on an empty database, then exactly one RS256 and one ES256 key exist', async () => {
    expect(await database.db('signing_keys').count<{ count: number }[]>('* as count')).toEqual([{ count: 0 }]);
    await Promise.all(Array.from({ length: 5 }, () => ensureSigningKeys(database.db, box)));
    const rows = await database.db<KeyRow>('signing_keys').select('alg').orderBy('alg');
    expect(rows.map((r) => r.alg)).toEqual(['ES256', 'RS256']);
  });

  it('when keys already exist, then ensureSigningKeys adds none', async () => {
    const before = await database.db<KeyRow>('signing_keys').pluck('kid');
    await ensureSigningKeys(database.db, box);
    expect((await database.db<KeyRow>('signing_keys').pluck('kid')).sort()).toEqual(before.sort());
  });

  it('when a key is stored, then the private JWK is sealed: the column holds no private parameter in clear', async () => {
    const rows = await database.db<KeyRow>('signing_keys').select('*');
    const jwks = await loadSigningJwks(database.db, box, new Date());
    expect(jwks.keys).toHaveLength(2);
    for (const jwk of jwks.keys) {
      const row = rows.find((r) => r.kid === jwk.kid)!;
      expect(typeof jwk.d).toBe('string');
      expect(jwk.d!.length).toBeGreaterThan(20);
      expect(row.private_jwk_sealed).toMatch(/^v1\./);
      expect(row.private_jwk_sealed).not.toContain(jwk.d!);
      expect(row.private_jwk_sealed).not.toContain('"d"');
      expect(row.public_jwk).not.toHaveProperty('d');
      expect(row.public_jwk).toMatchObject({ kid: row.kid, alg: row.alg, use: 'sig' });
    }
  });

  it('when the keys are loaded, then each is a private JWK of its algorithm with kid, alg and use', async () => {
    const { keys } = await loadSigningJwks(database.db, box, new Date());
    const rsa = keys.find((k) => k.alg === 'RS256');
    const ec = keys.find((k) => k.alg === 'ES256');
    expect(rsa).toMatchObject({ kty: 'RSA', use: 'sig' });
    expect(Buffer.from(rsa!.n!, 'base64url').length).toBe(256); // 2048-bit modulus
    expect(rsa).toHaveProperty('p');
    expect(ec).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
  });

  it('when a sealed key is copied to another row (kid), then it does not open there', async () => {
    const [row] = await database.db<KeyRow>('signing_keys').select('*').limit(1);
    expect(() => box.open(row!.private_jwk_sealed, 'signing-key:some-other-kid')).toThrow();
  });

  it('when the keys are loaded with a different key encryption key, then loading fails', async () => {
    await expect(loadSigningJwks(database.db, createSecretBox(randomBytes(32)), new Date())).rejects.toThrow();
  });
});

describe('signing keys: loadSigningJwks order and retirement', () => {
  let database: TestDatabase;
  const now = new Date();
  let activeRs: string;
  let activeEs: string;
  let upcomingRs: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    activeRs = await addSigningKey(database.db, box, 'RS256', new Date(now.getTime() - 24 * HOUR));
    activeEs = await addSigningKey(database.db, box, 'ES256', new Date(now.getTime() - 24 * HOUR));
    upcomingRs = await addSigningKey(database.db, box, 'RS256', new Date(now.getTime() + HOUR));
  });
  afterAll(async () => database?.drop());

  it('when a key activates in the future, then it is published after every key that signs now', async () => {
    const kids = (await loadSigningJwks(database.db, box, now)).keys.map((k) => k.kid);
    expect(kids).toHaveLength(3);
    expect(new Set(kids.slice(0, 2))).toEqual(new Set([activeRs, activeEs]));
    expect(kids[2]).toBe(upcomingRs);
  });

  it('when its activation time has passed, then the newer key comes before the older one of its algorithm', async () => {
    const kids = (await loadSigningJwks(database.db, box, new Date(now.getTime() + 2 * HOUR))).keys.map((k) => k.kid);
    expect(kids.indexOf(upcomingRs)).toBeLessThan(kids.indexOf(activeRs));
    const firstRs = (await loadSigningJwks(database.db, box, new Date(now.getTime() + 2 * HOUR))).keys.find((k) => k.alg === 'RS256');
    expect(firstRs?.kid).toBe(upcomingRs);
  });

  it('when a key is retiring (retires_at in the future), then it is still published but after the signing keys', async () => {
    const retiring = await addSigningKey(database.db, box, 'ES256', new Date(now.getTime() - 48 * HOUR));
    await database.db('signing_keys').where({ kid: retiring }).update({ retires_at: new Date(now.getTime() + HOUR) });
    try {
      const kids = (await loadSigningJwks(database.db, box, now)).keys.map((k) => k.kid);
      expect(kids).toContain(retiring);
      expect(kids.indexOf(retiring)).toBeGreaterThan(kids.indexOf(activeRs));
      expect(kids.indexOf(retiring)).toBeGreaterThan(kids.indexOf(activeEs));
    } finally {
      await database.db('signing_keys').where({ kid: retiring }).delete();
    }
  });

  it('when a key is retired (retires_at in the past), then it is not loaded', async () => {
    const retired = await addSigningKey(database.db, box, 'RS256', new Date(now.getTime() - 72 * HOUR));
    await database.db('signing_keys').where({ kid: retired }).update({ retires_at: new Date(now.getTime() - HOUR) });
    const kids = (await loadSigningJwks(database.db, box, now)).keys.map((k) => k.kid);
    expect(kids).not.toContain(retired);
    expect(kids).toHaveLength(3);
  });

  it('when only retired keys of an algorithm remain, then ensureSigningKeys creates a fresh one', async () => {
    await database.db('signing_keys').where({ kid: activeEs }).update({ retires_at: new Date(now.getTime() - HOUR) });
    await ensureSigningKeys(database.db, box);
    const ec = (await loadSigningJwks(database.db, box, new Date())).keys.filter((k) => k.alg === 'ES256');
    expect(ec).toHaveLength(1);
    expect(ec[0]!.kid).not.toBe(activeEs);
  });
});
