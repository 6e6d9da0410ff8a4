// Error paths of the built relay that are easy to get wrong: a refused agent key
// (the link's error in relay://status, the log), a key written literally into
// the config file, a malformed config file holding a key, credentials in the
// upstream URL. None of these may quote the key back.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRelayFile } from '../../src/relay/relay-file';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { memoryLogger } from '../../src/shared/log';
import { key, streamableClient } from '../downstream/helpers';

import { ensureBuilt, leaks, sampleArgv } from './scan';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..');
const WRONG_KEY = 'agent-key-AUDIT-WRONG-1234567890';
const LITERAL_KEY = 'agent-key-AUDIT-LITERAL-1234567890';

function relayCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): { done: Promise<{ code: number | null; out: string; err: string }>; pid: number; kill: () => void } {
  const full: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of ['AGRENTING_RELAY_TOKEN', 'AGRENTING_RELAY_OPERATOR_TOKEN', 'AGRENTING_STATE_DIR']) delete full[k];
  if (!('AGRENTING_API_KEY' in env)) delete full.AGRENTING_API_KEY;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'relay.js'), ...args], {
    cwd: ROOT,
    env: full,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  return {
    pid: child.pid ?? 0,
    kill: () => child.kill('SIGTERM'),
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err }))),
  };
}

describe('the relay quotes no key in its errors', () => {
  let sandbox: Sandbox;
  const dir = mkdtempSync(join(tmpdir(), 'security-config-'));

  beforeAll(async () => {
    ensureBuilt(ROOT);
    sandbox = await startSandbox({ log: memoryLogger('sandbox') });
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a refused agent key: relay://status, the log and argv never show it', async () => {
    const stateDir = join(dir, 'wrong-key');
    const run = relayCli(
      ['--upstream', sandbox.url, '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--log-level', 'debug'],
      { AGRENTING_API_KEY: WRONG_KEY },
    );
    const sampler = sampleArgv([run.pid]);
    try {
      const info = await waitFor(
        'relay.json',
        () => {
          const f = readRelayFile(stateDir);
          return f && f.pid === run.pid ? f : undefined;
        },
        20_000,
      );
      const op = await streamableClient(info.url, key(info.operatorToken));
      const status = await waitFor(
        'the link error in relay://status',
        async () => {
          const r = await op.client.readResource({ uri: 'relay://status' });
          const t = JSON.stringify(r);
          return /lastError/.test(t) ? t : undefined;
        },
        15_000,
      );
      const pending = JSON.stringify(
        await op.client.readResource({ uri: 'hiring://pending' }).catch((e: Error) => e.message),
      );
      const prompt = JSON.stringify(
        await op.client.getPrompt({ name: 'system-prompt' }).catch((e: Error) => e.message),
      );
      await op.close();
      run.kill();
      const { out, err } = await run.done;
      const log = readFileSync(join(stateDir, 'relay.log'), 'utf8');
      expect(status).toMatch(/401|reject|unauthori[sz]ed|key/i);
      expect(
        leaks(
          [
            { where: 'relay://status', text: status },
            { where: 'hiring://pending', text: pending },
            { where: 'system-prompt', text: prompt },
            { where: 'stdout', text: out },
            { where: 'stderr', text: err },
            { where: 'relay.log', text: log },
            ...sampler.stop(),
          ],
          [{ name: 'refused agent key', value: WRONG_KEY }],
        ),
      ).toEqual([]);
    } finally {
      sampler.stop();
      run.kill();
    }
  });

  it('a key written literally in the config file is refused without quoting it', async () => {
    const file = join(dir, 'literal.json');
    writeFileSync(file, JSON.stringify({ agents: [{ name: 'a', agentKey: LITERAL_KEY }] }));
    const { code, out, err } = await relayCli(['--config', file, '--state-dir', join(dir, 's1')], {}).done;
    expect(code).toBe(2);
    expect(err).toMatch(/refused/);
    expect(
      leaks(
        [
          { where: 'stderr', text: err },
          { where: 'stdout', text: out },
        ],
        [{ name: 'literal key', value: LITERAL_KEY }],
      ),
    ).toEqual([]);
  });

  it('a malformed config file holding a key is reported without quoting it', async () => {
    const file = join(dir, 'malformed.json');
    writeFileSync(file, `{"agents":[{"name":"a","key":"${LITERAL_KEY}" oops}]}`);
    const { code, out, err } = await relayCli(['--config', file, '--state-dir', join(dir, 's2')], {}).done;
    expect(code).toBe(2);
    expect(
      leaks(
        [
          { where: 'stderr', text: err },
          { where: 'stdout', text: out },
        ],
        [{ name: 'literal key', value: LITERAL_KEY }],
      ),
    ).toEqual([]);
  });

  it('credentials in the upstream URL are refused without quoting them', async () => {
    const { code, out, err } = await relayCli(
      ['--upstream', `http://agent:${LITERAL_KEY}@127.0.0.1:9`, '--state-dir', join(dir, 's3')],
      { AGRENTING_API_KEY: 'agent-key-AUDIT-OK-0000000000' },
    ).done;
    expect(code).toBe(2);
    expect(err).toMatch(/credentials/);
    expect(
      leaks(
        [
          { where: 'stderr', text: err },
          { where: 'stdout', text: out },
        ],
        [{ name: 'password in the URL', value: LITERAL_KEY }],
      ),
    ).toEqual([]);
  });
});
