import { devNull } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { basicAuthValue, gitEnv, gitReason, scrub, throttledProgress } from '../../src/relay/delivery/git-env';
import { parseNameStatus } from '../../src/relay/delivery/diff';
import { clearRegisteredSecrets } from '../../src/shared/redact';

const TOKEN = 'tok_0123456789abcdef';

afterEach(() => clearRegisteredSecrets());

describe('gitEnv', () => {
  it('puts the token only in an extraHeader value scoped to the repository origin, with hooks off and no credential helpers', () => {
    const env = gitEnv({ token: TOKEN, url: 'https://git.example.com:8443/acme/app.git' });
    expect(env.GIT_CONFIG_COUNT).toBe('3');
    expect([env.GIT_CONFIG_KEY_0, env.GIT_CONFIG_VALUE_0]).toEqual(['credential.helper', '']);
    expect([env.GIT_CONFIG_KEY_1, env.GIT_CONFIG_VALUE_1]).toEqual(['core.hooksPath', devNull]);
    expect(env.GIT_CONFIG_KEY_2).toBe('http.https://git.example.com:8443/.extraHeader');
    expect(env.GIT_CONFIG_VALUE_2).toBe(
      `Authorization: Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`,
    );
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    const holding = Object.entries(env).filter(([, v]) => v.includes(basicAuthValue(TOKEN)));
    expect(holding.map(([k]) => k)).toEqual(['GIT_CONFIG_VALUE_2']);
    // without a token: still no credential helpers and no hooks
    const plain = gitEnv();
    expect(plain.GIT_CONFIG_COUNT).toBe('2');
    expect([plain.GIT_CONFIG_KEY_1, plain.GIT_CONFIG_VALUE_1]).toEqual(['core.hooksPath', devNull]);
  });

  it('passes on only what git needs: no secrets, nothing that would prompt, page, trace or redirect git', () => {
    const injected = {
      GIT_ASKPASS: '/bin/askpass',
      PAGER: 'less',
      GIT_TRACE_CURL: '1',
      GIT_DIR: '/elsewhere',
      GIT_CONFIG_KEY_7: 'core.sshCommand',
      AGRENTING_API_KEY: 'agent-key-not-for-git',
      AGRENTING_RELAY_OPERATOR_TOKEN: 'relay-token-not-for-git',
      HTTPS_PROXY: 'http://proxy.corp:3128',
    };
    const saved = Object.fromEntries(Object.keys(injected).map((k) => [k, process.env[k]]));
    Object.assign(process.env, injected);
    try {
      const env = gitEnv({ token: TOKEN, url: 'https://github.com/a/b' });
      for (const k of [
        'GIT_ASKPASS',
        'PAGER',
        'GIT_TRACE_CURL',
        'GIT_DIR',
        'GIT_CONFIG_KEY_7',
        'AGRENTING_API_KEY',
        'AGRENTING_RELAY_OPERATOR_TOKEN',
      ]) {
        expect(env[k], k).toBeUndefined();
      }
      expect(env.PATH).toBe(process.env.PATH);
      expect(env.HTTPS_PROXY).toBe('http://proxy.corp:3128');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('error text', () => {
  it('scrubs the token and its Basic form', () => {
    const b64 = basicAuthValue(TOKEN).slice('Basic '.length);
    expect(scrub(`header ${b64} and ${TOKEN}`, TOKEN)).toBe('header [REDACTED] and [REDACTED]');
  });

  it('picks the ref rejection from porcelain push output, else the fatal line', () => {
    const rejected = new Error(
      'To http://h/x.git\n!\trefs/heads/a:refs/heads/a\t[rejected] (fetch first)\nDone\nerror: failed to push some refs\nhint: pull first',
    );
    expect(gitReason(rejected)).toBe('rejected: refs/heads/a:refs/heads/a [rejected] (fetch first)');
    expect(gitReason(new Error('Cloning into x...\nfatal: repository not found'))).toBe('fatal: repository not found');
    expect(
      gitReason(new Error(`fatal: unable to access 'http://x-access-token:${TOKEN}@h/x.git'`), TOKEN),
    ).not.toContain(TOKEN);
  });
});

describe('progress and diff parsing', () => {
  it('passes one event per stage and each 10 % step', () => {
    const seen: string[] = [];
    const p = throttledProgress((stage, percent) => seen.push(`${stage}:${percent}`));
    for (let i = 0; i <= 100; i++) p('receiving', i);
    p('resolving', 0);
    p('resolving', 100);
    expect(seen).toEqual([
      'receiving:0',
      ...Array.from({ length: 10 }, (_, i) => `receiving:${(i + 1) * 10}`),
      'resolving:0',
      'resolving:100',
    ]);
  });

  it('parses -z name-status output, paths with spaces included', () => {
    expect(parseNameStatus('M\0src/a b.ts\0A\0new.ts\0D\0gone.ts\0T\0link\0')).toEqual([
      { status: 'modified', path: 'src/a b.ts' },
      { status: 'added', path: 'new.ts' },
      { status: 'deleted', path: 'gone.ts' },
      { status: 'type_changed', path: 'link' },
    ]);
  });
});
