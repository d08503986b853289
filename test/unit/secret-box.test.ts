import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../src/crypto/secret-box.js';

const box = createSecretBox(randomBytes(32));

/** Flips one bit of the base64url part at `index` (1 = nonce, 2 = ciphertext, 3 = tag). */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('secret box (AES-256-GCM with a bound context)', () => {
  it('when a secret is sealed and opened with the same context, then the plaintext comes back byte for byte', () => {
    const plaintext = 'client secret ✓ 🔑';
    const sealed = box.seal(plaintext, 'client-secret:rp-1');
    expect(sealed).not.toContain(plaintext);
    expect(box.open(sealed, 'client-secret:rp-1').toString('utf8')).toBe(plaintext);
  });

  it('when binary data is sealed, then it opens to the same bytes', () => {
    const bytes = randomBytes(64);
    expect(box.open(box.seal(bytes, 'totp'), 'totp').equals(bytes)).toBe(true);
  });

  it('when an empty string is sealed, then it opens to an empty buffer', () => {
    expect(box.open(box.seal('', 'empty'), 'empty').length).toBe(0);
  });

  it('when a sealed secret is opened with a different context, then opening fails', () => {
    const sealed = box.seal('secret', 'client-secret:rp-1');
    expect(() => box.open(sealed, 'client-secret:rp-2')).toThrow();
  });

  it('when the ciphertext is tampered with, then opening fails', () => {
    const sealed = box.seal('a secret long enough to flip a bit in', 'ctx');
    expect(() => box.open(tamper(sealed, 2), 'ctx')).toThrow();
  });

  it('when the authentication tag is tampered with, then opening fails', () => {
    const sealed = box.seal('secret', 'ctx');
    expect(() => box.open(tamper(sealed, 3), 'ctx')).toThrow();
  });

  it('when the nonce is tampered with, then opening fails', () => {
    const sealed = box.seal('secret', 'ctx');
    expect(() => box.open(tamper(sealed, 1), 'ctx')).toThrow();
  });

  it('when the tag is truncated to 4 bytes (a valid prefix of the real tag), then opening fails', () => {
    const parts = box.seal('secret', 'ctx').split('.');
    parts[3] = Buffer.from(parts[3]!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open(parts.join('.'), 'ctx')).toThrow();
  });

  it('when the same plaintext is sealed twice, then the two sealed values differ', () => {
    const first = box.seal('same', 'ctx');
    const second = box.seal('same', 'ctx');
    expect(first).not.toBe(second);
    expect(first.split('.')[1]).not.toBe(second.split('.')[1]);
  });

  it('when a sealed secret is opened with another key, then opening fails', () => {
    const sealed = box.seal('secret', 'ctx');
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'ctx')).toThrow();
  });

  it('when the sealed value is not in the v1 format, then opening fails', () => {
    const sealed = box.seal('secret', 'ctx');
    expect(() => box.open(sealed.replace(/^v1\./, 'v2.'), 'ctx')).toThrow(/format/);
    expect(() => box.open('garbage', 'ctx')).toThrow(/format/);
  });

  it('when the key is not 32 bytes, then the box refuses to be created', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => createSecretBox(randomBytes(33))).toThrow(/32 bytes/);
  });
});
