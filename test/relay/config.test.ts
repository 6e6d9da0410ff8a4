// The relay's settings: flags, environment, the agents file; every bad setting
// gives a sentence that says what to change. relay.json and client tokens.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PORT, loadConfig, parseListen } from '../../src/relay/config';
import {
  readRelayFile,
  relayFilePath,
  removeRelayFile,
  resolveTokens,
  writeRelayFile,
} from '../../src/relay/relay-file';
import { redact } from '../../src/shared/redact';
import { tempDir } from './helpers';

const dir = tempDir('relay-config-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

describe('loadConfig', () => {
  it('takes one agent from the environment with defaults that work', () => {
    const cfg = loadConfig([], { AGRENTING_API_KEY: 'agent-key-from-env-123', HOME: dir });
    expect(cfg.agents).toEqual([
      { name: 'default', baseUrl: 'https://agrenting.com', apiKey: 'agent-key-from-env-123' },
    ]);
    expect(cfg.listen).toEqual({ host: '127.0.0.1', port: DEFAULT_PORT });
    expect(cfg.review).toBe('required');
    expect(cfg.workspaceRoot).toBe(join(cfg.stateDir, 'workspaces'));
    // The key is registered: it never shows in a log line.
    expect(redact('key agent-key-from-env-123')).not.toContain('agent-key-from-env-123');
  });

  it('applies flags over the environment', () => {
    const cfg = loadConfig(
      [
        '--upstream',
        'http://127.0.0.1:9999/',
        '--listen',
        '127.0.0.1:0',
        '--review',
        'off',
        '--state-dir',
        dir,
        '--log-level',
        'debug',
      ],
      { AGRENTING_API_KEY: 'k-1234567', AGRENTING_BASE_URL: 'https://other.example' },
    );
    expect(cfg.agents[0].baseUrl).toBe('http://127.0.0.1:9999');
    expect(cfg.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(cfg.review).toBe('off');
    expect(cfg.stateDir).toBe(dir);
    expect(cfg.logLevel).toBe('debug');
  });

  it('reads several agents from a config file that names where each key is', () => {
    const keyFile = join(dir, 'bob.key');
    writeFileSync(keyFile, 'bob-key-from-file-999\n');
    const file = configFile('agents.json', {
      agents: [
        { name: 'alice', apiKeyEnv: 'ALICE_KEY' },
        { name: 'bob', baseUrl: 'http://127.0.0.1:8080', apiKeyFile: 'bob.key' },
      ],
      listen: '127.0.0.1:7400',
      review: 'off',
      workspaceRoot: 'ws',
    });
    const cfg = loadConfig(['--config', file], { ALICE_KEY: 'alice-key-from-env-42' });
    expect(cfg.agents).toEqual([
      { name: 'alice', baseUrl: 'https://agrenting.com', apiKey: 'alice-key-from-env-42' },
      { name: 'bob', baseUrl: 'http://127.0.0.1:8080', apiKey: 'bob-key-from-file-999' },
    ]);
    expect(cfg.listen.port).toBe(7400);
    expect(cfg.review).toBe('off');
    expect(cfg.workspaceRoot).toBe(join(dir, 'ws'));
  });

  it.each([
    [['--review', 'sometimes'], {}, /review mode "sometimes" is unknown; use "required" or "off"/],
    [['--listen', 'localhost'], {}, /not HOST:PORT/],
    [['--listen', '127.0.0.1:99999'], {}, /not HOST:PORT/],
    [['--upstream', 'ftp://x'], {}, /not an http\(s\) URL/],
    [['--upstream', 'https://user:pw@agrenting.com'], {}, /no credentials in the URL/],
    [['--log-level', 'loud'], {}, /log level "loud" is unknown/],
    [['--bogus'], {}, /Unknown option '--bogus'.*--help/],
    [['extra'], {}, /Unexpected argument "extra"/],
    [[], {}, /No agent is configured.*AGRENTING_API_KEY.*--sandbox/],
  ] as [string[], Record<string, string>, RegExp][])('refuses %j with a clear error', (argv, env, message) => {
    expect(() => loadConfig(argv, { AGRENTING_API_KEY: argv.length ? 'k-1234567' : '', ...env })).toThrow(message);
  });

  it.each([
    ['malformed JSON', '{ "agents": [', /is not valid JSON/],
    [
      'a literal key',
      { agents: [{ name: 'a', apiKey: 'sk-live-123' }] },
      /"apiKey" holds a key in the file, which is refused.*apiKeyEnv/,
    ],
    [
      'a missing env var',
      { agents: [{ name: 'a', apiKeyEnv: 'NOT_SET_ANYWHERE' }] },
      /environment variable NOT_SET_ANYWHERE is not set/,
    ],
    [
      'a missing key file',
      { agents: [{ name: 'a', apiKeyFile: '/nonexistent/key' }] },
      /cannot read the key file \/nonexistent\/key: ENOENT/,
    ],
    ['no key source', { agents: [{ name: 'a' }] }, /say where the key is/],
    [
      'both key sources',
      { agents: [{ name: 'a', apiKeyEnv: 'X', apiKeyFile: 'y' }] },
      /either "apiKeyEnv" or "apiKeyFile"/,
    ],
    [
      'a duplicate name',
      {
        agents: [
          { name: 'a', apiKeyEnv: 'K' },
          { name: 'a', apiKeyEnv: 'K' },
        ],
      },
      /used twice/,
    ],
    ['a bad name', { agents: [{ name: 'a b', apiKeyEnv: 'K' }] }, /agents\[0\]: name/],
    ['no agents', { agents: [] }, /names no agents/],
    [
      'a bad bridge section',
      { agents: [{ name: 'a', apiKeyEnv: 'K' }], bridge: { listen: 'nowhere', surprise: 1 } },
      /Invalid "bridge" section/,
    ],
    [
      'a bad review mode',
      { agents: [{ name: 'a', apiKeyEnv: 'K' }], review: 'maybe' },
      /review mode "maybe" is unknown/,
    ],
  ])('refuses a config file with %s', (_what, content, message) => {
    const file = configFile(`bad-${Math.random().toString(36).slice(2)}.json`, content);
    expect(() => loadConfig(['--config', file], { K: 'key-value-123' })).toThrow(message);
  });

  it('names the file that cannot be read', () => {
    expect(() => loadConfig(['--config', join(dir, 'missing.json')], {})).toThrow(
      /Cannot read the config file .*missing\.json: ENOENT/,
    );
  });

  it('needs no agent key in sandbox mode and keeps sandbox state apart', () => {
    const cfg = loadConfig(['--demo'], { HOME: dir, AGRENTING_STATE_DIR: '' });
    expect(cfg.sandbox).toBe(true);
    expect(cfg.demo).toBe(true);
    expect(cfg.agents).toEqual([]);
    expect(cfg.stateDir.endsWith(join('.agrenting-relay', 'sandbox'))).toBe(true);
  });

  it('errors are ConfigErrors that never contain the key', () => {
    try {
      loadConfig(['--config', configFile('lit.json', { agents: [{ name: 'a', apiKey: 'sk-live-secret-777' }] })], {});
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).not.toContain('sk-live-secret-777');
    }
  });

  it('parses listen forms', () => {
    expect(parseListen('7391', 'x')).toEqual({ host: '127.0.0.1', port: 7391 });
    expect(parseListen('[::1]:7000', 'x')).toEqual({ host: '::1', port: 7000 });
  });
});

describe('relay.json and client tokens', () => {
  it('generates tokens once and keeps them across restarts, even after relay.json is removed', () => {
    const sd = join(dir, 'state-a');
    const first = resolveTokens(sd, ['alice', 'bob'], {});
    expect(first.operatorToken).toMatch(/^rop_/);
    expect(Object.keys(first.workerTokens)).toEqual(['alice', 'bob']);
    const again = resolveTokens(sd, ['alice', 'bob'], {});
    expect(again).toEqual(first);
    expect(statSync(join(sd, 'tokens.json')).mode & 0o777).toBe(0o600);
  });

  it('takes tokens from the environment', () => {
    const sd = join(dir, 'state-b');
    const t = resolveTokens(sd, ['alice', 'bob'], {
      AGRENTING_RELAY_TOKEN: 'worker-env-token',
      AGRENTING_RELAY_OPERATOR_TOKEN: 'operator-env-token',
    });
    expect(t.operatorToken).toBe('operator-env-token');
    expect(t.workerTokens.alice).toBe('worker-env-token');
    expect(t.workerTokens.bob).not.toBe('worker-env-token');
  });

  it('writes relay.json 0600, reads it back, and removes only its own', () => {
    const sd = join(dir, 'state-c');
    mkdirSync(sd, { recursive: true });
    const data = {
      url: 'http://127.0.0.1:1',
      pid: 4242,
      version: '0.1.0',
      startedAt: 'now',
      operatorToken: 'op-1234567',
      workerTokens: { a: 'wk-1234567' },
    };
    writeRelayFile(sd, data);
    expect(statSync(relayFilePath(sd)).mode & 0o777).toBe(0o600);
    expect(readRelayFile(sd)).toEqual(data);
    removeRelayFile(sd, 1);
    expect(readRelayFile(sd)).toEqual(data);
    removeRelayFile(sd, 4242);
    expect(readRelayFile(sd)).toBeUndefined();
  });

  it('treats a damaged relay.json as absent', () => {
    const sd = join(dir, 'state-d');
    mkdirSync(sd, { recursive: true });
    writeFileSync(relayFilePath(sd), '{"url": 1');
    expect(readRelayFile(sd)).toBeUndefined();
    writeFileSync(relayFilePath(sd), '{"url": "x"}');
    expect(readRelayFile(sd)).toBeUndefined();
  });
});
