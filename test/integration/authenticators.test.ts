// The authenticators repository on real PostgreSQL: the secret is sealed at rest and bound to its
// user, a time step is claimed at most once (also by racing requests), and a second activation
// never replaces the first.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createAuthenticatorsRepo, type AuthenticatorsRepo } from '../../src/mfa/authenticators-repo.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { createTotpSecret } from '../../src/mfa/totp.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createCompany, createUser } from '../support/fixtures.js';

const CONCURRENCY = 10;

describe('authenticators repository', () => {
  let database: TestDatabase;
  let repo: AuthenticatorsRepo;
  let companyId: string;
  const newUser = async () => createUser(database.db, { companyId });
  const row = async (userId: string) => database.db('mfa_authenticators').where({ user_id: userId }).first();

  beforeAll(async () => {
    database = await createTestDatabase();
    repo = createAuthenticatorsRepo(createSecretBox(randomBytes(32)));
    companyId = (await createCompany(database.db, { mfaPolicy: 'ENABLED' })).id;
  });
  afterAll(async () => database?.drop());

  describe('the secret at rest', () => {
    it('when an authenticator is activated, then the stored column does not contain the secret, and find returns it', async () => {
      const user = await newUser();
      const secret = createTotpSecret();
      expect(await repo.activate(database.db, { userId: user.id, companyId, secret, step: 100 })).toBe(true);

      const stored = await row(user.id);
      expect(stored.secret_sealed).not.toContain(secret);
      expect(stored.secret_sealed.toLowerCase()).not.toContain(secret.toLowerCase());
      expect(stored.secret_sealed).not.toContain(Buffer.from(secret).toString('base64'));
      expect(stored.secret_sealed).not.toContain(Buffer.from(secret).toString('base64url'));
      expect(stored.secret_sealed).not.toContain(Buffer.from(secret).toString('hex'));
      expect(stored.company_id).toBe(companyId);

      const found = await repo.find(database.db, user.id);
      expect(found).toMatchObject({ userId: user.id, secret, lastUsedStep: 100 });
      expect(found?.activatedAt).toBeInstanceOf(Date);
    });

    it('when two users register the same secret, then the stored values differ', async () => {
      const [a, b] = [await newUser(), await newUser()];
      const secret = createTotpSecret();
      await repo.activate(database.db, { userId: a.id, companyId, secret, step: 1 });
      await repo.activate(database.db, { userId: b.id, companyId, secret, step: 1 });
      expect((await row(a.id)).secret_sealed).not.toBe((await row(b.id)).secret_sealed);
    });

    it("when a sealed secret is copied into another user's row, then it does not open there", async () => {
      const [owner, other] = [await newUser(), await newUser()];
      await repo.activate(database.db, { userId: owner.id, companyId, secret: createTotpSecret(), step: 1 });
      await repo.activate(database.db, { userId: other.id, companyId, secret: createTotpSecret(), step: 1 });
      await database.db('mfa_authenticators').where({ user_id: other.id }).update({ secret_sealed: (await row(owner.id)).secret_sealed });
      await expect(repo.find(database.db, other.id)).rejects.toThrow();
    });

    it('when a pending secret is sealed, then it opens only for the same user and not as an active secret', async () => {
      const [user, other] = [await newUser(), await newUser()];
      const secret = createTotpSecret();
      const sealed = repo.sealPendingSecret(user.id, secret);
      expect(sealed).not.toContain(secret);
      expect(repo.openPendingSecret(user.id, sealed)).toBe(secret);
      expect(() => repo.openPendingSecret(other.id, sealed)).toThrow();
    });

    it('when the user has no authenticator, then find gives undefined and exists false', async () => {
      const user = await newUser();
      expect(await repo.find(database.db, user.id)).toBeUndefined();
      expect(await repo.exists(database.db, user.id)).toBe(false);
    });
  });

  describe('claimStep', () => {
    it('when a step greater than the last one is claimed, then it succeeds and becomes the last one', async () => {
      const user = await newUser();
      await repo.activate(database.db, { userId: user.id, companyId, secret: createTotpSecret(), step: 1000 });
      expect(await repo.claimStep(database.db, user.id, 1001)).toBe(true);
      expect((await repo.find(database.db, user.id))?.lastUsedStep).toBe(1001);
      expect(await repo.claimStep(database.db, user.id, 1003)).toBe(true);
      expect((await repo.find(database.db, user.id))?.lastUsedStep).toBe(1003);
    });

    it('when the same step is claimed again, then it is refused', async () => {
      const user = await newUser();
      await repo.activate(database.db, { userId: user.id, companyId, secret: createTotpSecret(), step: 2000 });
      expect(await repo.claimStep(database.db, user.id, 2000)).toBe(false);
      expect(await repo.claimStep(database.db, user.id, 2001)).toBe(true);
      expect(await repo.claimStep(database.db, user.id, 2001)).toBe(false);
    });

    it('when an older step is claimed, then it is refused and the last step is unchanged', async () => {
      const user = await newUser();
      await repo.activate(database.db, { userId: user.id, companyId, secret: createTotpSecret(), step: 3000 });
      expect(await repo.claimStep(database.db, user.id, 2999)).toBe(false);
      expect(await repo.claimStep(database.db, user.id, 0)).toBe(false);
      expect((await repo.find(database.db, user.id))?.lastUsedStep).toBe(3000);
    });

    it('when the stored last step is empty, then any step can be claimed once', async () => {
      const user = await newUser();
      await repo.activate(database.db, { userId: user.id, companyId, secret: createTotpSecret(), step: 0 });
      await database.db('mfa_authenticators').where({ user_id: user.id }).update({ last_used_step: null });
      expect(await repo.claimStep(database.db, user.id, 57_000_000)).toBe(true);
      expect(await repo.claimStep(database.db, user.id, 57_000_000)).toBe(false);
    });

    it('when the user has no authenticator, then nothing can be claimed', async () => {
      const user = await newUser();
      expect(await repo.claimStep(database.db, user.id, 1)).toBe(false);
    });

    it("when one user's step is claimed, then another user's same step is still free", async () => {
      const [a, b] = [await newUser(), await newUser()];
      await repo.activate(database.db, { userId: a.id, companyId, secret: createTotpSecret(), step: 10 });
      await repo.activate(database.db, { userId: b.id, companyId, secret: createTotpSecret(), step: 10 });
      expect(await repo.claimStep(database.db, a.id, 11)).toBe(true);
      expect(await repo.claimStep(database.db, b.id, 11)).toBe(true);
    });

    it(`when ${CONCURRENCY} requests claim the same step at once, then exactly one succeeds`, async () => {
      const user = await newUser();
      await repo.activate(database.db, { userId: user.id, companyId, secret: createTotpSecret(), step: 4000 });
      const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => repo.claimStep(database.db, user.id, 4001)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await repo.find(database.db, user.id))?.lastUsedStep).toBe(4001);
    });

    it('when requests claim neighbouring steps at once, then the highest step ends up stored and no step is accepted twice', async () => {
      const user = await newUser();
      await repo.activate(database.db, { userId: user.id, companyId, secret: createTotpSecret(), step: 5000 });
      const steps = [5001, 5002, 5003, 5001, 5002, 5003, 5001, 5002, 5003, 5002];
      const results = await Promise.all(steps.map((step) => repo.claimStep(database.db, user.id, step)));
      const accepted = steps.filter((_, i) => results[i]);
      expect(new Set(accepted).size).toBe(accepted.length);
      expect(accepted).toContain(5003);
      expect((await repo.find(database.db, user.id))?.lastUsedStep).toBe(5003);
    });
  });

  describe('activate', () => {
    it('when the user already has an authenticator, then a second activation is refused and the first secret stays', async () => {
      const user = await newUser();
      const first = createTotpSecret();
      expect(await repo.activate(database.db, { userId: user.id, companyId, secret: first, step: 1 })).toBe(true);
      expect(await repo.activate(database.db, { userId: user.id, companyId, secret: createTotpSecret(), step: 99 })).toBe(false);
      expect(await repo.find(database.db, user.id)).toMatchObject({ secret: first, lastUsedStep: 1 });
    });

    it(`when ${CONCURRENCY} registrations activate at once, then exactly one wins and its secret is stored`, async () => {
      const user = await newUser();
      const secrets = Array.from({ length: CONCURRENCY }, () => createTotpSecret());
      const results = await Promise.all(secrets.map((secret, i) => repo.activate(database.db, { userId: user.id, companyId, secret, step: 100 + i })));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await repo.find(database.db, user.id)).toMatchObject({ secret: secrets[winner], lastUsedStep: 100 + winner });
      expect(await database.db('mfa_authenticators').where({ user_id: user.id }).select('user_id')).toHaveLength(1);
    });

    it('when the authenticator is removed, then the user can activate a new one', async () => {
      const user = await newUser();
      await repo.activate(database.db, { userId: user.id, companyId, secret: createTotpSecret(), step: 1 });
      expect(await repo.remove(database.db, user.id)).toBe(true);
      expect(await repo.exists(database.db, user.id)).toBe(false);
      expect(await repo.remove(database.db, user.id)).toBe(false);
      const next = createTotpSecret();
      expect(await repo.activate(database.db, { userId: user.id, companyId, secret: next, step: 2 })).toBe(true);
      expect((await repo.find(database.db, user.id))?.secret).toBe(next);
    });

    it('when an activation is rolled back with its transaction, then nothing is stored', async () => {
      const user = await newUser();
      await database.db.transaction(async (trx) => {
        expect(await repo.activate(trx, { userId: user.id, companyId, secret: createTotpSecret(), step: 1 })).toBe(true);
        await trx.rollback();
      }).catch(() => undefined);
      expect(await repo.exists(database.db, user.id)).toBe(false);
    });
  });
});
