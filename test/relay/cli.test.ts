// The built CLI's front door: help, and every configuration error as one
// sentence on stderr with exit code 2, before anything starts.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const work = tempDir('relay-cli-');
const bundle = join(work, 'relay.cjs');

beforeAll(async () => {
  await build({
    entryPoints: ['src/relay/cli.ts'],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bundle, ...args], {
    env: { PATH: process.env.PATH, HOME: work, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('agrenting-relay (built)', () => {
  it('prints help', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: agrenting-relay \[options\]/);
    expect(r.out).toContain('--sandbox');
    const reg = run(['register', '--help']);
    expect(reg.code).toBe(0);
    expect(reg.out).toContain('--user-token-env VAR');
  });

  it.each([
    [[], {}, /No agent is configured/],
    [['--review', 'maybe'], { AGRENTING_API_KEY: 'k-123456789' }, /review mode "maybe" is unknown/],
    [['--listen', 'nowhere'], { AGRENTING_API_KEY: 'k-123456789' }, /--listen: "nowhere" is not HOST:PORT/],
    [['--config', '/does/not/exist.json'], {}, /Cannot read the config file \/does\/not\/exist\.json/],
    [['register', '--name', 'x'], {}, /--user-token-env VAR/],
  ] as [string[], Record<string, string>, RegExp][])(
    'refuses %j with exit code 2 and one sentence',
    (args, env, message) => {
      const r = run(args, env);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    },
  );
});
