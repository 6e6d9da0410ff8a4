import { describe, expect, it } from 'vitest';
import { parseHiring, parseHiringList, taskTitle, withoutSecrets } from '../../src/shared/hiring';

describe('parseHiring', () => {
  it('keeps unknown fields and fills defaults', () => {
    const h = parseHiring({ id: 'h1', surprise: { x: 1 } });
    expect(h.id).toBe('h1');
    expect(h.status).toBe('queued');
    expect(h.delivery_mode).toBe('output');
    expect(h.messages).toEqual([]);
    expect((h as Record<string, unknown>).surprise).toEqual({ x: 1 });
  });

  it('reads repo fields from the top level first, then task_input', () => {
    const inInput = parseHiring({
      id: 'a',
      task_input: { delivery_mode: 'push', repo_url: 'http://r/in', repo_access_token: 'tok-in' },
    });
    expect(inInput).toMatchObject({ delivery_mode: 'push', repo_url: 'http://r/in', repo_access_token: 'tok-in' });
    const both = parseHiring({
      id: 'b',
      delivery_mode: 'push',
      repo_url: 'http://r/top',
      task_input: { repo_url: 'http://r/in' },
    });
    expect(both.repo_url).toBe('http://r/top');
  });

  it('tolerates malformed optional fields instead of rejecting the hiring', () => {
    const h = parseHiring({
      id: 7,
      price: 12.5,
      messages: [{ content: 'hi' }, 'junk'],
      deadline_at: 42,
      task_input: 'nope',
    });
    expect(h.id).toBe('7');
    expect(h.price).toBe('12.50');
    expect(h.messages).toHaveLength(1);
    expect(h.deadline_at).toBeUndefined();
    expect(h.task_input).toEqual({});
  });

  it('rejects a hiring without an id with a clear message', () => {
    expect(() => parseHiring({ status: 'paid' })).toThrow(/id/);
  });

  it('parses lists keeping the good and reporting the bad', () => {
    const r = parseHiringList([{ id: 'x' }, { nope: 1 }]);
    expect(r.hirings.map((h) => h.id)).toEqual(['x']);
    expect(r.errors[0]).toMatch(/item 1/);
    expect(parseHiringList({}).errors).toHaveLength(1);
  });

  it('turns a token inside repo_url into the hiring token and keeps the URL without it', () => {
    const h = parseHiring({
      id: 'u',
      delivery_mode: 'push',
      repo_url: 'https://x-access-token:tok-in-url-123@git.example/acme/app.git',
    });
    expect(h.repo_url).toBe('https://git.example/acme/app.git');
    expect(h.repo_access_token).toBe('tok-in-url-123');
    const bare = parseHiring({ id: 'v', task_input: { repo_url: 'https://ghp_tokenonly123@github.com/a/b.git' } });
    expect(bare).toMatchObject({ repo_url: 'https://github.com/a/b.git', repo_access_token: 'ghp_tokenonly123' });
    // an explicit token wins over one in the URL
    expect(
      parseHiring({ id: 'w', repo_url: 'https://u:url-tok@h/r.git', repo_access_token: 'explicit' }).repo_access_token,
    ).toBe('explicit');
    // what is written to disk or served keeps neither
    const safe = JSON.stringify(
      withoutSecrets(
        parseHiring({
          id: 'x',
          repo_url: 'https://u:url-tok-9@h/r.git',
          task_input: { repo_url: 'https://u:url-tok-9@h/r.git' },
        }),
      ),
    );
    expect(safe).not.toContain('url-tok-9');
  });

  it('strips repository tokens for disk and display', () => {
    const h = withoutSecrets(
      parseHiring({ id: 'p', repo_access_token: 'secret-1', task_input: { repo_access_token: 'secret-2' } }),
    );
    expect(JSON.stringify(h)).not.toMatch(/secret-/);
  });

  it('titles by the first non-empty line', () => {
    expect(taskTitle({ id: 'z', task_description: '\n  Add dark mode\nmore' })).toBe('Add dark mode');
    expect(taskTitle({ id: 'z', task_description: '' })).toBe('Hiring z');
  });
});
