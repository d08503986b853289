// TOTP (RFC 6238) as every authenticator app honours it: SHA1, 6 digits, 30-second steps.
// Time is a parameter. Only the current step and one either side are accepted, and the caller
// learns which step matched so it can refuse that step (and older ones) next time.
import { generateSecret, generateURI, verify } from 'otplib';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;

/** 160 random bits, Base32 (what the Key URI and the "Can't scan image?" text show). */
export function createTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpKeyUri(options: { issuer: string; username: string; secret: string }): string {
  return generateURI({ issuer: options.issuer, label: options.username, secret: options.secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });
}

/** "JBSW Y3DP EHPK 3PXP …": easier to type from the screen. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export function timeStepAt(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

export type TotpCheck = { ok: true; step: number } | { ok: false };

export async function verifyTotp(options: { secret: string | Uint8Array; code: string; now: Date }): Promise<TotpCheck> {
  const code = options.code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(code)) return { ok: false };
  const result = await verify({
    secret: options.secret,
    token: code,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    epoch: Math.floor(options.now.getTime() / 1000),
    // One period either side: steps T-1, T and T+1, nothing wider.
    epochTolerance: TOTP_PERIOD_SECONDS,
  }).catch(() => ({ valid: false as const }));
  return result.valid && 'timeStep' in result ? { ok: true, step: result.timeStep } : { ok: false };
}
