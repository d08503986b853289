// Authentication Context Class References this provider issues (published as acr_values_supported).
// amr values follow RFC 8176.
export const ACR = {
  /** Password only. */
  PASSWORD: 'urn:callrec-auth:acr:pwd',
  /** Password plus a one-time passcode (or a recovery code) checked in the same login. */
  MFA: 'urn:callrec-auth:acr:mfa',
} as const;
export type Acr = (typeof ACR)[keyof typeof ACR];

export const AMR = {
  PASSWORD: 'pwd',
  OTP: 'otp',
  MFA: 'mfa',
} as const;
