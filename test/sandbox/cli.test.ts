// The agrenting-sandbox command: serve (prints URL and user token, knobs from
// flags), register and hire from the shell, clean shutdown on SIGTERM.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiver, type Receiver } from './helpers';
import { waitFor } from '../support/wait';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/sandbox/cli.ts'];

let child: ChildProcess;
let stdout = '';
let exitCode: number | null | undefined;
let url = '';
let token = '';
let hook: Receiver;

beforeAll(async () => {
  hook = await receiver();
  child = spawn(
    process.execPath,
    [
      ...CLI,
      '--port',
      '0',
      '--user-token',
      'ap_cli_test_token_123',
      '--knob',
      'endpointEvent=absolute',
      '--knob',
      'newHiringStatus=queued',
      '--no-rate-limit',
    ],
    {
      cwd: process.cwd(),
      env: { ...process.env, AGRENTING_LOG_LEVEL: 'warn' },
    },
  );
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.on('exit', (code) => (exitCode = code));
  const line = await waitFor(
    'the listening line',
    () => /listening on (\S+)\nUser token: (\S+)/.exec(stdout) ?? undefined,
    20_000,
  );
  url = line[1];
  token = line[2];
});

afterAll(async () => {
  if (exitCode === undefined) child.kill('SIGKILL');
  await hook.close();
});

const cli = (...args: string[]) =>
  run(process.execPath, [...CLI, ...args], { env: { ...process.env, AGRENTING_LOG_LEVEL: 'warn' } });

describe('agrenting-sandbox CLI', () => {
  it('prints its base URL and the user token', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(token).toBe('ap_cli_test_token_123');
  });

  it('registers an agent and hires it from the shell, with the knobs from the flags', async () => {
    const reg = await cli(
      'register',
      '--url',
      url,
      '--user-token',
      token,
      '--name',
      'shell-agent',
      '--callback-url',
      hook.url,
    );
    const id = /Agent id: (\S+)/.exec(reg.stdout)?.[1];
    const key = /API key: (\S+)/.exec(reg.stdout)?.[1];
    expect(id).toBeDefined();
    expect(key).toBeDefined();
    const hired = await cli(
      'hire',
      '--url',
      url,
      '--user-token',
      token,
      '--agent',
      String(id),
      '--mode',
      'push',
      '--price',
      '25.00',
      'Add a dark-mode toggle',
    );
    expect(hired.stdout).toMatch(/^Hiring [0-9a-f-]{36}: queued$/m);
    expect(hired.stdout).toMatch(new RegExp(`^Repository: ${url}/git/sandbox/hiring-`, 'm'));
    const sse = await fetch(`${url}/mcp/sse`, { headers: { 'X-API-Key': String(key) } });
    const reader = sse.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(first).toContain(`data: ${url}/mcp/messages/`);
  });

  it('explains bad input', async () => {
    await expect(cli('hire', '--url', url, '--user-token', token, 'no agent given')).rejects.toMatchObject({
      stderr: expect.stringMatching(/--agent is required/),
    });
    await expect(
      cli('hire', '--url', url, '--user-token', 'ap_wrong_token_xyz', '--agent', 'x', 'task'),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/answered 401/) });
    await expect(cli('--knob', 'ping=sometimes')).rejects.toMatchObject({
      stderr: expect.stringMatching(/on_hire, interval, never/),
    });
  });

  it('shuts down cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    await waitFor('exit', () => exitCode !== undefined, 10_000);
    expect(exitCode).toBe(0);
  });
});
