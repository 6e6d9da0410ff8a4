// relay.log: one redacted line per event, mode 0600, and the recent lines the status view shows.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openRelayLog } from '../../src/relay/core/log-file';
import { registerSecret } from '../../src/shared/redact';
import { tempDir } from './helpers';

const dir = tempDir('relay-log-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the relay log file', () => {
  it('appends redacted lines with mode 0600 and keeps the latest for the view', () => {
    registerSecret('agent-key-in-a-log-999');
    const logging = openRelayLog(dir, 'info', { stderr: false, keep: 2 });
    logging.logger.info('connected', { key: 'agent-key-in-a-log-999' });
    logging.logger.debug('not at info level');
    logging.logger.warn('second');
    logging.logger.error('third', { header: 'Authorization: Bearer abcdefghijkl' });
    logging.close();
    const text = readFileSync(logging.file, 'utf8');
    expect(statSync(logging.file).mode & 0o777).toBe(0o600);
    expect(text.trim().split('\n')).toHaveLength(3);
    expect(text).not.toContain('agent-key-in-a-log-999');
    expect(text).not.toContain('abcdefghijkl');
    expect(text).not.toContain('not at info level');
    expect(logging.recent()).toHaveLength(2);
    expect(logging.recent()[1]).toMatch(/^\d\d:\d\d:\d\d error relay third/);
  });
});
