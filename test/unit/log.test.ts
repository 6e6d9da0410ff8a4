import { describe, expect, it } from 'vitest';
import { idSample, memoryLogger } from '../../src/shared/log';

describe('idSample: log lines about many hirings stay short', () => {
  it('names a few ids in full', () => {
    expect(idSample(['a', 'b'])).toEqual({ count: 2, ids: 'a,b' });
  });

  it('gives a burst of 1 000 as a count and the first five', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `hiring-${i}`);
    const log = memoryLogger('relay');
    log.info('new hirings', { agent: 'coder', ...idSample(ids) });
    expect(log.lines).toHaveLength(1);
    const line = log.lines[0];
    expect(line).toContain('count=1000');
    expect(line).toContain('hiring-0,hiring-1,hiring-2,hiring-3,hiring-4 +995 more');
    expect(line).not.toContain('hiring-5,');
    expect(line.length).toBeLessThan(200);
  });
});
