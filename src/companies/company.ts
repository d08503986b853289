export const MFA_POLICIES = ['DISABLED', 'AVAILABLE', 'ENABLED'] as const;
export type MfaPolicy = (typeof MFA_POLICIES)[number];

export interface Company {
  id: string;
  name: string;
  mfaPolicy: MfaPolicy;
  createdAt: Date;
  updatedAt: Date;
}
