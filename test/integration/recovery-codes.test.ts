// Recovery codes on real PostgreSQL: ten distinct readable codes, stored only as keyed digests,
// each usable once (also when two requests race), forgiving about case and dashes, replaced as a set.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { RECOVERY_CODE_COUNT, createRecoveryCodesRepo, generateRecoveryCodes, normaliseRecoveryCode, type RecoveryCodesRepo } from '../../src/mfa/recovery-codes.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createCompany, createUser } from '../support/fixtures.js';

const CODE_FORMAT = /^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$/;
const CONCURRENCY = 10;

describe('recovery codes', () => {
  let database: TestDatabase;
  let repo: RecoveryCodesRepo;
  let companyId: string;

  /** A user with a fresh set of ten codes. */
  async function userWithCodes() {
    const user = await createUser(database.db, { companyId });
    const codes = generateRecoveryCodes();
    await repo.replace(database.db, user.id, codes);
    return { user, codes };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    repo = createRecoveryCodesRepo(randomBytes(32));
    companyId = (await createCompany(database.db, { mfaPolicy: 'ENABLED' })).id;
  });
  afterAll(async () => database?.drop());

  describe('generateRecoveryCodes', () => {
    it('when codes are generated, then there are ten, all distinct, as two groups of five unambiguous characters', () => {
      const codes = generateRecoveryCodes();
      expect(RECOVERY_CODE_COUNT).toBe(10);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(CODE_FORMAT);
    });

    it('when many sets are generated, then no code repeats and no ambiguous character (0, o, 1, l, i) appears', () => {
      const all = Array.from({ length: 100 }, () => generateRecoveryCodes()).flat();
      expect(new Set(all).size).toBe(all.length);
      expect(all.join('')).not.toMatch(/[0o1li]/);
    });

    it('when a code is normalised, then case, dashes and spaces do not matter', () => {
      expect(normaliseRecoveryCode('ABCDE-FGHJK')).toBe('abcdefghjk');
      expect(normaliseRecoveryCode(' abcde fghjk ')).toBe('abcdefghjk');
      expect(normaliseRecoveryCode('abcdefghjk')).toBe('abcdefghjk');
    });
  });

  describe('at rest', () => {
    it('when codes are stored, then only digests are in the table, never the codes in any form', async () => {
      const { user, codes } = await userWithCodes();
      const rows = await database.db('mfa_recovery_codes').where({ user_id: user.id });
      expect(rows).toHaveLength(10);
      const stored = JSON.stringify(rows).toLowerCase();
      for (const code of codes) {
        expect(stored).not.toContain(code);
        expect(stored).not.toContain(normaliseRecoveryCode(code));
      }
      expect(new Set(rows.map((r) => r.code_digest)).size).toBe(10);
      for (const r of rows) expect(r.used_at).toBeNull();
    });

    it('when the same code is stored for two users, then it has the same digest only under the same key', async () => {
      const [a, b] = [await createUser(database.db, { companyId }), await createUser(database.db, { companyId })];
      const code = generateRecoveryCodes(1);
      await repo.replace(database.db, a.id, code);
      await createRecoveryCodesRepo(randomBytes(32)).replace(database.db, b.id, code);
      const digestOf = async (userId: string) => (await database.db('mfa_recovery_codes').where({ user_id: userId }).first()).code_digest as string;
      expect(await digestOf(a.id)).not.toBe(await digestOf(b.id));
    });

    it('when the digests were written under another key, then the codes do not work', async () => {
      const user = await createUser(database.db, { companyId });
      const codes = generateRecoveryCodes();
      await createRecoveryCodesRepo(randomBytes(32)).replace(database.db, user.id, codes);
      expect(await repo.use(database.db, user.id, codes[0]!)).toBe(false);
    });
  });

  describe('use', () => {
    it('when a code is used, then it works once and the second time is refused', async () => {
      const { user, codes } = await userWithCodes();
      expect(await repo.use(database.db, user.id, codes[3]!)).toBe(true);
      expect(await repo.use(database.db, user.id, codes[3]!)).toBe(false);
      expect(await repo.use(database.db, user.id, codes[4]!)).toBe(true);
    });

    it(`when ${CONCURRENCY} requests use the same code at once, then exactly one succeeds`, async () => {
      const { user, codes } = await userWithCodes();
      const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => repo.use(database.db, user.id, codes[0]!)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await repo.countUnused(database.db, user.id)).toBe(9);
    });

    it.each([
      ['upper case', (c: string) => c.toUpperCase()],
      ['without the dash', (c: string) => c.replace('-', '')],
      ['with a space instead of the dash', (c: string) => c.replace('-', ' ')],
      ['with surrounding spaces', (c: string) => `  ${c}  `],
      ['mixed case without the dash', (c: string) => c.replace('-', '').replace(/^(.)/, (m) => m.toUpperCase())],
    ])('when a code is typed %s, then it is accepted', async (_label, typed) => {
      const { user, codes } = await userWithCodes();
      expect(await repo.use(database.db, user.id, typed(codes[1]!))).toBe(true);
      expect(await repo.use(database.db, user.id, codes[1]!)).toBe(false);
    });

    it.each([
      ['empty', ''],
      ['too short', 'abcde'],
      ['too long', 'abcde-fghjk-m'],
      ['a TOTP code', '287082'],
    ])('when the code is %s, then it is refused', async (_label, code) => {
      const { user } = await userWithCodes();
      expect(await repo.use(database.db, user.id, code)).toBe(false);
      expect(await repo.countUnused(database.db, user.id)).toBe(10);
    });

    it("when another user's code is used, then it is refused and that user's code stays unused", async () => {
      const a = await userWithCodes();
      const b = await userWithCodes();
      expect(await repo.use(database.db, a.user.id, b.codes[0]!)).toBe(false);
      expect(await repo.countUnused(database.db, b.user.id)).toBe(10);
      expect(await repo.use(database.db, b.user.id, b.codes[0]!)).toBe(true);
    });

    it('when a code is used inside a transaction that rolls back, then it is still unused', async () => {
      const { user, codes } = await userWithCodes();
      await database.db.transaction(async (trx) => {
        expect(await repo.use(trx, user.id, codes[2]!)).toBe(true);
        await trx.rollback();
      }).catch(() => undefined);
      expect(await repo.countUnused(database.db, user.id)).toBe(10);
      expect(await repo.use(database.db, user.id, codes[2]!)).toBe(true);
    });
  });

  describe('countUnused', () => {
    it('when codes are used one by one, then the count goes down to zero', async () => {
      const { user, codes } = await userWithCodes();
      expect(await repo.countUnused(database.db, user.id)).toBe(10);
      for (const [i, code] of codes.entries()) {
        await repo.use(database.db, user.id, code);
        expect(await repo.countUnused(database.db, user.id)).toBe(9 - i);
      }
    });

    it('when the user has no codes, then the count is zero', async () => {
      const user = await createUser(database.db, { companyId });
      expect(await repo.countUnused(database.db, user.id)).toBe(0);
    });
  });

  describe('replace and removeAll', () => {
    it('when the codes are replaced, then the old ones stop working and the new ones work', async () => {
      const { user, codes: old } = await userWithCodes();
      await repo.use(database.db, user.id, old[0]!);
      const fresh = generateRecoveryCodes();
      await repo.replace(database.db, user.id, fresh);
      expect(await repo.countUnused(database.db, user.id)).toBe(10);
      for (const code of old) expect(await repo.use(database.db, user.id, code)).toBe(false);
      expect(await repo.use(database.db, user.id, fresh[9]!)).toBe(true);
    });

    it('when all codes are removed, then none works and the count is zero', async () => {
      const { user, codes } = await userWithCodes();
      await repo.removeAll(database.db, user.id);
      expect(await repo.countUnused(database.db, user.id)).toBe(0);
      expect(await repo.use(database.db, user.id, codes[0]!)).toBe(false);
    });
  });
});
