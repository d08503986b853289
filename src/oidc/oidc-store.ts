// Where oidc-provider keeps short-lived state (sessions, interactions, codes, tokens, grants).
// Redis in production so any replica can continue any login; memory for the embedded default.

export interface StoredModel {
  payload: Record<string, unknown>;
  consumed: number | undefined;
}

export interface UpsertIndexes {
  /** Token keys are listed under their grant, so revoking the grant removes every token. */
  grantKey?: string;
  /** Secondary keys that point back at the model's id (session uid, user code). */
  pointers?: string[];
}

export interface OidcStore {
  upsert(key: string, payload: Record<string, unknown>, expiresIn: number | undefined, indexes: UpsertIndexes): Promise<void>;
  find(key: string): Promise<StoredModel | undefined>;
  /** Follows a pointer written by upsert; returns the id it points at. */
  resolvePointer(pointerKey: string): Promise<string | undefined>;
  consume(key: string, at: number): Promise<void>;
  destroy(key: string): Promise<void>;
  revokeGrant(grantKey: string): Promise<void>;
  /** A set of ids kept at least as long as `expiresIn` (e.g. an account's sessions and grants). */
  addToSet(setKey: string, member: string, expiresIn: number | undefined): Promise<void>;
  setMembers(setKey: string): Promise<string[]>;
}
