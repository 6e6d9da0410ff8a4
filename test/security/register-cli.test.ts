// `agrenting-relay register` from the built CLI against the real sandbox: the
// user token travels in the environment (never argv), the new agent key goes to
// the key file or env file (mode 0600) and is printed nowhere unless asked for;
// a refused user token is not quoted back.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { memoryLogger } from '../../src/shared/log';
import { ensureBuilt, leaks, sampleArgv, type Observed } from './scan';

const ROOT = join(__dirname, '..', '..');
const USER_TOKEN = 'ap_AUDITREGISTERTOKEN0123456789ab';
const WRONG_USER_TOKEN = 'ap_AUDITWRONGUSERTOKEN9876543210';

interface Run {
  code: number | null;
  out: string;
  err: string;
  argv: Observed[];
}

function register(args: string[], userToken: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, AUDIT_USER_TOKEN: userToken };
  delete env.AGRENTING_API_KEY;
  const child = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'relay.js'), 'register', '--user-token-env', 'AUDIT_USER_TOKEN', ...args],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const sampler = sampleArgv([child.pid ?? 0], 2);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err, argv: sampler.stop() })));
}

describe('agrenting-relay register keeps the user token and the new key out of sight', () => {
  let sandbox: Sandbox;
  const dir = mkdtempSync(join(tmpdir(), 'security-register-'));

  beforeAll(async () => {
    ensureBuilt(ROOT);
    sandbox = await startSandbox({ userToken: USER_TOKEN, log: memoryLogger('sandbox') });
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the key in --key-file (0600) and prints neither the key nor the user token', async () => {
    const keyFile = join(dir, 'agent.key');
    const r = await register(['--name', 'Audit agent', '--upstream', sandbox.url, '--key-file', keyFile], USER_TOKEN);
    expect(r.code, r.err).toBe(0);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key.length).toBeGreaterThan(10);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(r.out).toContain(keyFile);
    const seen: Observed[] = [{ where: 'stdout', text: r.out }, { where: 'stderr', text: r.err }, ...r.argv];
    expect(
      leaks(seen, [
        { name: 'agent key', value: key },
        { name: 'user token', value: USER_TOKEN },
      ]),
    ).toEqual([]);
  });

  it('stores the key in --key-env-file (0600), even a new file, and prints it nowhere', async () => {
    // Not --env-file: Node 20 reads that flag even after the script name (nodejs/node#50993).
    const envFile = join(dir, 'agent.env');
    const r = await register(
      ['--name', 'Audit agent 2', '--upstream', sandbox.url, '--key-env-file', envFile],
      USER_TOKEN,
    );
    expect(r.code, r.err).toBe(0);
    const m = /^AGRENTING_API_KEY=(.+)$/m.exec(readFileSync(envFile, 'utf8'));
    expect(m).not.toBeNull();
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const seen: Observed[] = [{ where: 'stdout', text: r.out }, { where: 'stderr', text: r.err }, ...r.argv];
    expect(
      leaks(seen, [
        { name: 'agent key', value: m?.[1] ?? '' },
        { name: 'user token', value: USER_TOKEN },
      ]),
    ).toEqual([]);
  });

  it('says the user token was refused without quoting it', async () => {
    const r = await register(
      ['--name', 'Audit agent 3', '--upstream', sandbox.url, '--key-file', join(dir, 'never.key')],
      WRONG_USER_TOKEN,
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/401|rejected|token/i);
    const seen: Observed[] = [{ where: 'stdout', text: r.out }, { where: 'stderr', text: r.err }, ...r.argv];
    expect(
      leaks(seen, [
        { name: 'wrong user token', value: WRONG_USER_TOKEN },
        { name: 'sandbox user token', value: USER_TOKEN },
      ]),
    ).toEqual([]);
  });

  it('an unreachable platform is reported without the token', async () => {
    const r = await register(
      ['--name', 'Audit agent 4', '--upstream', 'http://127.0.0.1:9', '--key-file', join(dir, 'never2.key')],
      USER_TOKEN,
    );
    expect(r.code).not.toBe(0);
    expect(r.err.length).toBeGreaterThan(0);
    expect(
      leaks(
        [
          { where: 'stderr', text: r.err },
          { where: 'stdout', text: r.out },
        ],
        [{ name: 'user token', value: USER_TOKEN }],
      ),
    ).toEqual([]);
  });
});
