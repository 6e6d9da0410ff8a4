import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, redact, registerSecret, safeError } from '../../src/shared/redact';
import { memoryLogger } from '../../src/shared/log';
import { readApiKey } from '../../src/shared/protocol';

afterEach(() => clearRegisteredSecrets());

describe('redact', () => {
  it('removes registered secrets wherever they appear', () => {
    registerSecret('agent-key-123456');
    expect(redact('key agent-key-123456 used')).toBe('key [REDACTED] used');
  });

  it('removes secret shapes nobody registered', () => {
    const text = [
      'token ap_abcdefghijklmnop',
      'ghp_abcdefghijklmnopqrstuvwx',
      'https://x-access-token:s3cr3t@git.example/r.git',
      'Authorization: Bearer abc.def',
      'X-API-Key: k-1',
      '{"repo_access_token":"tok","api_key":"k2"}',
    ].join('\n');
    const out = redact(text);
    for (const s of ['abcdefghijklmnop', 'ghp_abc', 's3cr3t', 'abc.def', 'k-1', '"tok"', '"k2"']) {
      expect(out).not.toContain(s);
    }
    expect(out).toContain('git.example/r.git');
  });

  it('redacts logger lines and errors', () => {
    registerSecret('very-secret-key');
    const log = memoryLogger();
    log.error('failed with very-secret-key', { header: 'Authorization: ApiKey zzz999' });
    expect(log.lines[0]).not.toMatch(/very-secret-key|zzz999/);
    expect(safeError(new Error('bad very-secret-key'), 'step').message).toBe('step: bad [REDACTED]');
  });
});

describe('readApiKey', () => {
  it('reads every documented header form', () => {
    expect(readApiKey({ 'x-api-key': 'a' })).toBe('a');
    expect(readApiKey({ 'api-key': 'b' })).toBe('b');
    expect(readApiKey({ authorization: 'Bearer c' })).toBe('c');
    expect(readApiKey({ authorization: 'ApiKey d' })).toBe('d');
    expect(readApiKey({ authorization: 'Basic e' })).toBeUndefined();
    expect(readApiKey({})).toBeUndefined();
  });
});
