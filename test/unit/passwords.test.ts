import { beforeAll, describe, expect, it } from '@jest/globals';
import { checkPasswordLength, createPasswordHasher, type PasswordHasher } from '../../src/accounts/passwords.js';

const PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

describe('password hashing (argon2id)', () => {
  let hasher: PasswordHasher;

  beforeAll(async () => {
    hasher = await createPasswordHasher(PARAMS);
  });

  it('when a password is hashed, then the result is an argon2id PHC string with m=19456,t=2,p=1 and a salt', async () => {
    const phc = await hasher.hash('correct horse battery staple');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(phc).not.toContain('correct horse');
  });

  it('when the same password is hashed twice, then the hashes differ (random salt) and both verify', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
    expect(a).not.toBe(b);
    expect((await hasher.verify(a, 'same password')).ok).toBe(true);
    expect((await hasher.verify(b, 'same password')).ok).toBe(true);
  });

  it('when the right password is given, then verification succeeds without a rehash', async () => {
    const phc = await hasher.hash('s3cret-password');
    expect(await hasher.verify(phc, 's3cret-password')).toEqual({ ok: true, needsRehash: false });
  });

  it('when a wrong password is given, then verification fails', async () => {
    const phc = await hasher.hash('s3cret-password');
    expect(await hasher.verify(phc, 's3cret-passwore')).toEqual({ ok: false, needsRehash: false });
    expect((await hasher.verify(phc, 'S3cret-password')).ok).toBe(false);
    expect((await hasher.verify(phc, 's3cret-password ')).ok).toBe(false);
  });

  it('when the password has accents, then it is kept exactly: the NFD spelling of the same text does not match', async () => {
    const nfc = 'pässwörd-ñ'.normalize('NFC');
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const phc = await hasher.hash(nfc);
    expect((await hasher.verify(phc, nfc)).ok).toBe(true);
    expect((await hasher.verify(phc, nfd)).ok).toBe(false);
    const phcNfd = await hasher.hash(nfd);
    expect((await hasher.verify(phcNfd, nfd)).ok).toBe(true);
    expect((await hasher.verify(phcNfd, nfc)).ok).toBe(false);
  });

  it('when the password contains emoji and other scripts, then it round-trips', async () => {
    const password = '🔐 пароль 密码 🙂';
    expect((await hasher.verify(await hasher.hash(password), password)).ok).toBe(true);
  });

  it('when the stored hash has fewer iterations than configured, then a right password asks for a rehash', async () => {
    const stronger = await createPasswordHasher({ ...PARAMS, timeCost: 3 });
    const weak = await hasher.hash('upgrade-me-please');
    expect(await stronger.verify(weak, 'upgrade-me-please')).toEqual({ ok: true, needsRehash: true });
    const rehashed = await stronger.hash('upgrade-me-please');
    expect(rehashed).toMatch(/\$m=19456,t=3,p=1\$/);
    expect(await stronger.verify(rehashed, 'upgrade-me-please')).toEqual({ ok: true, needsRehash: false });
  });

  it('when the stored hash uses less memory than configured, then a right password asks for a rehash', async () => {
    const stronger = await createPasswordHasher({ ...PARAMS, memoryCost: 32768 });
    expect(await stronger.verify(await hasher.hash('more-memory-now'), 'more-memory-now')).toEqual({ ok: true, needsRehash: true });
  });

  it('when the stored hash has weaker parameters but the password is wrong, then no rehash is asked for', async () => {
    const stronger = await createPasswordHasher({ ...PARAMS, timeCost: 3 });
    expect(await stronger.verify(await hasher.hash('the-right-one'), 'the-wrong-one')).toEqual({ ok: false, needsRehash: false });
  });

  it('when the stored hash has stronger parameters than configured, then it verifies without a rehash', async () => {
    const stronger = await createPasswordHasher({ ...PARAMS, timeCost: 3 });
    expect(await hasher.verify(await stronger.hash('already-strong'), 'already-strong')).toEqual({ ok: true, needsRehash: false });
  });

  it.each([
    ['an empty string', ''],
    ['garbage', 'not a hash at all'],
    ['a bcrypt hash', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
    ['an argon2i hash', '$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A'],
    ['an argon2id hash with a broken digest', '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$!!!'],
  ])('when the stored hash is %s, then verification says no without throwing', async (_label, stored) => {
    await expect(hasher.verify(stored, 'any password')).resolves.toEqual({ ok: false, needsRehash: false });
  });

  it('when a dummy verification runs, then it resolves without throwing', async () => {
    await expect(hasher.verifyDummy('whatever')).resolves.toBeUndefined();
  });
});

describe('checkPasswordLength (Unicode code points, 8 to 128)', () => {
  it('when the password has 7 characters, then it is too short', () => {
    expect(checkPasswordLength('abcdefg')).toBe('too_short');
    expect(checkPasswordLength('')).toBe('too_short');
  });

  it('when the password has 8 or 128 characters, then its length is fine', () => {
    expect(checkPasswordLength('abcdefgh')).toBeUndefined();
    expect(checkPasswordLength('a'.repeat(128))).toBeUndefined();
  });

  it('when the password has 129 characters, then it is too long', () => {
    expect(checkPasswordLength('a'.repeat(129))).toBe('too_long');
  });

  it('when the password is 4 emoji (8 UTF-16 units), then each emoji counts as one and it is too short', () => {
    const fourEmoji = '😀😁😂🤣';
    expect(fourEmoji.length).toBe(8);
    expect(checkPasswordLength(fourEmoji)).toBe('too_short');
    expect(checkPasswordLength('😀'.repeat(8))).toBeUndefined();
  });

  it('when the password is 128 emoji (256 UTF-16 units), then it is not too long', () => {
    expect(checkPasswordLength('😀'.repeat(128))).toBeUndefined();
    expect(checkPasswordLength('😀'.repeat(129))).toBe('too_long');
  });

  it('when the password uses combining marks, then each code point counts (no normalisation)', () => {
    const nfd = 'é'.normalize('NFD'); // e + U+0301: two code points
    expect(checkPasswordLength(nfd.repeat(4))).toBeUndefined();
    expect(checkPasswordLength('é'.normalize('NFC').repeat(4))).toBe('too_short');
  });
});
