// TOTP as authenticator apps compute it: the RFC 6238 Appendix B vectors, the ±1 step window, the
// code formats a person types, and the Key URI the QR code carries. Time is injected, never waited for.
import { describe, expect, it } from '@jest/globals';
import { generate } from 'otplib';
import { TOTP_PERIOD_SECONDS, createTotpSecret, groupSecret, timeStepAt, totpKeyUri, verifyTotp } from '../../src/mfa/totp.js';

/** RFC 6238 Appendix B: the SHA1 seed is the ASCII string "12345678901234567890". */
const RFC_SEED = new TextEncoder().encode('12345678901234567890');

/** The RFC's 8-digit SHA1 values, cut to the 6 digits authenticator apps show. */
const RFC_VECTORS: [seconds: number, code: string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
  [20000000000, '353130'],
];

const atSecond = (seconds: number) => new Date(seconds * 1000);
const codeForStep = (secret: string | Uint8Array, step: number) =>
  generate({ secret, algorithm: 'sha1', digits: 6, period: TOTP_PERIOD_SECONDS, epoch: step * TOTP_PERIOD_SECONDS });

describe('verifyTotp', () => {
  describe('RFC 6238 Appendix B (SHA1)', () => {
    it.each(RFC_VECTORS)('when the clock is at T=%d s and the code is %s, then it is accepted for that time step', async (seconds, code) => {
      const result = await verifyTotp({ secret: RFC_SEED, code, now: atSecond(seconds) });
      expect(result).toEqual({ ok: true, step: Math.floor(seconds / 30) });
    });

    it.each(RFC_VECTORS)('when the clock is an hour after T=%d s, then the code %s is refused', async (seconds, code) => {
      expect(await verifyTotp({ secret: RFC_SEED, code, now: atSecond(seconds + 3600) })).toEqual({ ok: false });
    });

    it('when the code is one digit off, then it is refused', async () => {
      expect(await verifyTotp({ secret: RFC_SEED, code: '287083', now: atSecond(59) })).toEqual({ ok: false });
    });

    it('when the secret is the same seed as Base32 text, then the vectors still hold', async () => {
      // "12345678901234567890" in Base32, as a Key URI would carry it.
      const base32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
      expect(await verifyTotp({ secret: base32, code: '287082', now: atSecond(59) })).toEqual({ ok: true, step: 1 });
      expect(await verifyTotp({ secret: base32, code: '005924', now: atSecond(1234567890) })).toEqual({ ok: true, step: 41152263 });
    });
  });

  describe('the window of accepted time steps', () => {
    const STEP = 56_666_666; // around November 2023
    const verifyAt = (code: string, step: number, offsetSeconds: number) => verifyTotp({ secret: RFC_SEED, code, now: atSecond(step * 30 + offsetSeconds) });

    it.each([-1, 0, 1])('when the clock is %d step(s) from the code\'s step, then the code is accepted and the matched step is returned', async (delta) => {
      const code = await codeForStep(RFC_SEED, STEP);
      for (const offset of [0, 15, 29]) {
        expect({ offset, result: await verifyAt(code, STEP + delta, offset) }).toEqual({ offset, result: { ok: true, step: STEP } });
      }
    });

    it.each([-3, -2, 2, 3])('when the clock is %d steps from the code\'s step, then the code is refused', async (delta) => {
      const code = await codeForStep(RFC_SEED, STEP);
      for (const offset of [0, 15, 29]) {
        expect({ offset, result: await verifyAt(code, STEP + delta, offset) }).toEqual({ offset, result: { ok: false } });
      }
    });

    it('when the codes of the previous, current and next step are entered, then each returns its own step', async () => {
      const now = atSecond(STEP * 30 + 10);
      for (const step of [STEP - 1, STEP, STEP + 1]) {
        expect(await verifyTotp({ secret: RFC_SEED, code: await codeForStep(RFC_SEED, step), now })).toEqual({ ok: true, step });
      }
    });

    it('when timeStepAt is asked for an instant, then it is the 30-second step that instant falls in', () => {
      expect(timeStepAt(atSecond(59))).toBe(1);
      expect(timeStepAt(atSecond(60))).toBe(2);
      expect(timeStepAt(atSecond(STEP * 30 + 29))).toBe(STEP);
    });
  });

  describe('what a person types', () => {
    it.each(['287 082', ' 287082 ', '28 70 82', '287\t082'])('when the code is typed as %j, then the whitespace is ignored', async (typed) => {
      expect(await verifyTotp({ secret: RFC_SEED, code: typed, now: atSecond(59) })).toEqual({ ok: true, step: 1 });
    });

    it.each([
      ['empty', ''],
      ['five digits', '28708'],
      ['seven digits', '2870820'],
      ['the 8-digit RFC value', '94287082'],
      ['letters', 'abcdef'],
      ['a dash', '287-082'],
      ['a sign', '+287082'],
      ['full-width digits', '２８７０８２'],
      ['Arabic-Indic digits', '٢٨٧٠٨٢'],
      ['a decimal point', '28708.2'],
      ['a very long string', '2'.repeat(10_000)],
    ])('when the code is %s, then it is refused', async (_label, code) => {
      expect(await verifyTotp({ secret: RFC_SEED, code, now: atSecond(59) })).toEqual({ ok: false });
    });
  });
});

describe('createTotpSecret', () => {
  it('when a secret is created, then it is 32 Base32 characters (160 bits)', () => {
    const secret = createTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  });

  it('when many secrets are created, then they are all different', () => {
    const secrets = new Set(Array.from({ length: 200 }, () => createTotpSecret()));
    expect(secrets.size).toBe(200);
  });

  it('when a code is computed from a new secret, then verifyTotp accepts it', async () => {
    const secret = createTotpSecret();
    const step = 56_700_000;
    expect(await verifyTotp({ secret, code: await codeForStep(secret, step), now: atSecond(step * 30) })).toEqual({ ok: true, step });
  });
});

describe('totpKeyUri', () => {
  function parse(uri: string) {
    const url = new URL(uri);
    return {
      protocol: url.protocol,
      type: url.host,
      label: decodeURIComponent(url.pathname.slice(1)),
      secret: url.searchParams.get('secret'),
      issuer: url.searchParams.get('issuer'),
      // Absent parameters mean the Key URI defaults, which are what we use.
      algorithm: url.searchParams.get('algorithm') ?? 'SHA1',
      digits: url.searchParams.get('digits') ?? '6',
      period: url.searchParams.get('period') ?? '30',
    };
  }

  it('when a Key URI is built, then it names the issuer and user and carries the secret with SHA1, 6 digits and 30 s', () => {
    const secret = createTotpSecret();
    expect(parse(totpKeyUri({ issuer: 'Call Recording', username: 'alice.smith', secret }))).toEqual({
      protocol: 'otpauth:',
      type: 'totp',
      label: 'Call Recording:alice.smith',
      secret,
      issuer: 'Call Recording',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });

  it('when the username has characters that are special in a URI, then the label still round-trips', () => {
    const secret = createTotpSecret();
    const parsed = parse(totpKeyUri({ issuer: 'Call Recording', username: 'a&b?c#d e@example.com', secret }));
    expect(parsed.label).toBe('Call Recording:a&b?c#d e@example.com');
    expect(parsed.secret).toBe(secret);
    expect(parsed.issuer).toBe('Call Recording');
  });
});

describe('groupSecret', () => {
  it('when a 32-character secret is grouped, then it reads as eight groups of four', () => {
    expect(groupSecret('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toBe('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ');
  });

  it('when the length is not a multiple of four, then the last group is shorter and there is no trailing space', () => {
    expect(groupSecret('ABCDEFGHIJ')).toBe('ABCD EFGH IJ');
    expect(groupSecret('ABCD')).toBe('ABCD');
    expect(groupSecret('')).toBe('');
  });

  it('when a grouped secret has its spaces removed, then it is the secret again', () => {
    const secret = createTotpSecret();
    expect(groupSecret(secret).replaceAll(' ', '')).toBe(secret);
  });
});
