// Hostile settings: flags, environment and config files for the relay (loadConfig),
// the bridge section (parseBridgeConfig), and the built CLI itself. Every bad
// setting is a ConfigError / BridgeConfigError whose sentence names the setting
// (never another exception, never a stack trace, never the secret it refused),
// and the CLI exits 2 with one line on stderr.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeConfigError, parseBridgeConfig } from '../../src/relay/bridge';
import { ConfigError, loadConfig } from '../../src/relay/config';
import { tempDir } from '../inbox/helpers';
import { hostileBody, nastyString, randomJson, type Json } from '../support/fuzz';
import { RELAY_BIN, REPO_ROOT } from '../support/relay-process';
import { between, envInt, faultSeed, fork, pick, type Random } from '../support/seed';

const CASES = envInt('FUZZ_SETTINGS_CASES', 400);
const LITERAL_SECRET = 'sk-literal-secret-value-42';

interface Case {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Words the error must contain: the setting's name (flag, variable, file or field). */
  names: string[];
}

/** A single bad flag with the name the error must mention. */
function badFlag(rand: Random): Case {
  const env = { AGRENTING_API_KEY: 'agent-key-for-settings-fuzz' };
  const value = nastyString(rand).split(String.fromCharCode(0)).join('') || 'x';
  const which = between(rand, 0, 7);
  if (which === 0) {
    return {
      argv: ['--listen', pick(rand, ['nope', '127.0.0.1:99999', ':', 'host:port', '[::1]:-1', value])],
      env,
      names: ['--listen'],
    };
  }
  if (which === 1) {
    return { argv: ['--review', pick(rand, ['maybe', 'REQUIRED', 'on', value])], env, names: ['--review'] };
  }
  if (which === 2) {
    return {
      argv: [
        '--upstream',
        pick(rand, [
          'not a url',
          'ftp://x',
          'file:///etc/passwd',
          'javascript:alert(1)',
          `https://user:${LITERAL_SECRET}@agrenting.com`,
        ]),
      ],
      env,
      names: ['--upstream'],
    };
  }
  if (which === 3) {
    return { argv: ['--log-level', pick(rand, ['loud', 'DEBUG', '0', value])], env, names: ['--log-level'] };
  }
  if (which === 4) return { argv: [pick(rand, ['--bogus', '--listen=', '-x', '--review'])], env, names: ['--'] };
  if (which === 5) return { argv: ['stray-positional'], env, names: ['stray-positional'] };
  if (which === 6) {
    return {
      argv: [],
      env: { AGRENTING_API_KEY: 'k', AGRENTING_BASE_URL: pick(rand, ['nope', 'ftp://a']) },
      names: ['AGRENTING_BASE_URL'],
    };
  }
  return { argv: [], env: { AGRENTING_API_KEY: '   ' }, names: ['AGRENTING_API_KEY'] };
}

const VALID_FILE: { [k: string]: Json } = {
  agents: [{ name: 'alice', apiKeyEnv: 'ALICE_KEY' }],
  listen: '127.0.0.1:0',
  review: 'off',
};

/** A config file with one field broken (or garbage altogether); the error must name the file. */
function badFile(rand: Random, dir: string, i: number): Case {
  const file = join(dir, `config-${i}.json`);
  const env = { ALICE_KEY: 'alice-agent-key-123456' };
  const which = between(rand, 0, 5);
  let text: string;
  const names = [file];
  if (which === 0) text = hostileBody(rand, VALID_FILE);
  else if (which === 1) {
    const field = pick(rand, ['listen', 'review', 'logLevel', 'upstream', 'stateDir', 'bridge', 'agents']);
    text = JSON.stringify({ ...VALID_FILE, [field]: randomJson(rand, 2) });
  } else if (which === 2) {
    const field = pick(rand, ['apiKey', 'api_key', 'token', 'key', 'agentKey']);
    text = JSON.stringify({ agents: [{ name: 'alice', [field]: LITERAL_SECRET }] });
    names.push(field, 'agents[0]');
  } else if (which === 3) {
    text = JSON.stringify({
      agents: [{ name: pick(rand, ['bad name', '', '../x', 'x'.repeat(80)]), apiKeyEnv: 'ALICE_KEY' }],
    });
    names.push('agents[0]');
  } else if (which === 4) {
    text = JSON.stringify({
      agents: [
        { name: 'alice', apiKeyEnv: 'UNSET_VARIABLE_FOR_FUZZ' },
        { name: 'alice', apiKeyFile: '/nonexistent/key' },
      ],
    });
    names.push('agents[');
  } else {
    text = JSON.stringify({ agents: [{ name: 'alice', apiKeyFile: join(dir, 'missing-key-file') }] });
    names.push('agents[0]');
  }
  writeFileSync(file, text);
  return { argv: ['--config', file], env, names };
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [RELAY_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('fuzzing settings', () => {
  const seed = faultSeed('fuzz-settings');
  const dir = tempDir('faults-fuzz-settings-');
  afterAll(() => dir.cleanup());

  it(`names the setting in every refusal of ${CASES} bad flag, environment and file combinations`, () => {
    const rand = fork(seed, 1);
    const vague: string[] = [];
    let loaded = 0;
    let refused = 0;
    for (let i = 0; i < CASES; i++) {
      const c = rand() < 0.5 ? badFlag(rand) : badFile(rand, dir.dir, i);
      const argv = [...c.argv, '--state-dir', join(dir.dir, 'state')];
      try {
        loadConfig(argv, c.env);
        loaded += 1; // a fuzzed file can still be valid: that is fine
      } catch (e) {
        refused += 1;
        const msg = (e as Error).message;
        if (!(e instanceof ConfigError)) vague.push(`${JSON.stringify(argv)} threw ${(e as Error).name}: ${msg}`);
        else if (!c.names.some((n) => msg.includes(n))) {
          vague.push(`${JSON.stringify(argv)}: "${msg}" names none of ${c.names.join(', ')}`);
        }
        if (msg.includes(LITERAL_SECRET)) vague.push(`${JSON.stringify(argv)}: the error repeats the secret`);
        if (/\n\s+at /.test(msg)) vague.push(`${JSON.stringify(argv)}: a stack trace in the message`);
      }
    }
    console.log(`[faults] fuzz-settings: ${CASES} cases, ${refused} refused, ${loaded} loaded`);
    expect(vague).toEqual([]);
    expect(refused).toBeGreaterThan(CASES / 2);
  });

  it('refuses a bad bridge section with a BridgeConfigError that says so', () => {
    const rand = fork(seed, 2);
    const valid: { [k: string]: Json } = {
      listen: '127.0.0.1:0',
      workers: { alpha: 'alice' },
      pollIntervalMs: 1000,
      matrix: { homeserver: 'http://127.0.0.1:1', userId: '@bridge:local', domain: 'local' },
    };
    const vague: string[] = [];
    for (let i = 0; i < CASES; i++) {
      let raw: unknown;
      try {
        raw = JSON.parse(hostileBody(rand, valid));
      } catch {
        raw = nastyString(rand);
      }
      try {
        parseBridgeConfig(raw);
      } catch (e) {
        if (!(e instanceof BridgeConfigError) || !/"bridge" section/.test((e as Error).message)) {
          vague.push(`${JSON.stringify(raw).slice(0, 100)} → ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    }
    expect(vague).toEqual([]);
  });

  it('the built CLI exits 2 with one line naming the setting', async () => {
    const bad = join(dir.dir, 'broken.json');
    writeFileSync(bad, '{"agents": [ {"name": "alice", "apiKey": "' + LITERAL_SECRET + '"} ]}');
    const cases: [string[], NodeJS.ProcessEnv, string][] = [
      [['--listen', 'nope'], { AGRENTING_API_KEY: 'k1234567' }, '--listen'],
      [['--review', 'maybe'], { AGRENTING_API_KEY: 'k1234567' }, '--review'],
      [['--bogus'], {}, '--bogus'],
      [['--config', bad], {}, 'apiKey'],
      [[], {}, 'AGRENTING_API_KEY'],
    ];
    for (const [args, env, name] of cases) {
      const r = await runCli([...args, '--state-dir', join(dir.dir, 'cli-state')], env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^agrenting-relay: /);
      expect(lines[0]).toContain(name);
      expect(r.stderr).not.toContain(LITERAL_SECRET);
    }
  });
});
