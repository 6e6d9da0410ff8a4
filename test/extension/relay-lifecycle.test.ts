// The extension's relay plumbing against a real relay (sandbox + demo) started
// the way the extension starts it: a detached child found through relay.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayConnection, RelayToolError, RelayNotConnectedError } from '../../src/extension/relay-connection';
import { RelayProcess } from '../../src/extension/relay-process';
import { findLiveRelay, pidAlive, type RelayFile } from '../../src/extension/relay-info';
import { normalizeSettings } from '../../src/extension/settings-model';
import { readRelayFile } from '../../src/relay/relay-file';
import { memoryLogger } from '../../src/shared/log';
import { waitFor } from '../support/wait';

const root = mkdtempSync(join(tmpdir(), 'agr-ext-life-'));
const stateDir = join(root, 'state');
const relayScript = join(root, 'relay.js');
const log = memoryLogger('ext-test');
const proc = new RelayProcess({ log, pollMs: 50, startTimeoutMs: 20_000, stopTimeoutMs: 10_000 });
const settings = normalizeSettings(
  {
    address: '127.0.0.1:0',
    stateDir,
    autoStart: true,
    reviewRequired: true,
    workspaceFolder: join(root, 'ws'),
    openIn: undefined,
    notificationLevel: undefined,
    baseUrl: undefined,
  },
  root,
);
const launch = { settings, relayScript, execPath: process.execPath, mode: 'sandbox' as const, baseEnv: process.env };
const connections: RelayConnection[] = [];

function connect(locate: () => Promise<RelayFile | undefined>): RelayConnection {
  const c = new RelayConnection({
    locate,
    log,
    version: 'test',
    pingIntervalMs: 200,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    toolTimeoutMs: 20_000,
  });
  connections.push(c);
  c.start();
  return c;
}

beforeAll(async () => {
  await build({
    entryPoints: ['src/relay/cli.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: relayScript,
    logLevel: 'error',
  });
});

afterAll(async () => {
  for (const c of connections) c.dispose();
  const info = readRelayFile(stateDir);
  if (info && pidAlive(info.pid)) await proc.stop(stateDir).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe('relay lifecycle and connection', () => {
  it('starts one detached relay, connects as operator, reviews and delivers, survives a restart', async () => {
    const info = await proc.start(launch);
    expect(pidAlive(info.pid)).toBe(true);
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // A second start (another window) finds the running relay instead of starting one.
    expect((await proc.start(launch)).pid).toBe(info.pid);

    const conn = connect(() => findLiveRelay(stateDir));
    await waitFor('connected', () => conn.state === 'connected', 20_000);
    expect(conn.data.status?.review).toBe('required');

    // The demo hires the sandbox agent and its worker submits: the result waits for review.
    await waitFor(
      'a submission waiting for review',
      () => conn.data.reviews.some((s) => s.state === 'awaiting_review'),
      25_000,
    );
    const waiting = conn.data.reviews.find((s) => s.state === 'awaiting_review');
    if (!waiting) throw new Error('no review');
    // review://queue and relay://hirings are separate resources: the hiring's phase follows shortly.
    await waitFor(
      'the hiring to await review',
      () => conn.data.hirings.find((h) => h.hiring.id === waiting.hiringId)?.phase === 'awaiting_review',
      20_000,
    );

    await conn.callTool('approve_submission', { submission_id: waiting.id });
    await waitFor(
      'the approved hiring to be done',
      () => conn.data.hirings.find((h) => h.hiring.id === waiting.hiringId)?.phase === 'done',
      25_000,
    );

    // A tool failure is a sentence, not a crash.
    await expect(conn.callTool('approve_submission', { submission_id: 'no-such-submission' })).rejects.toThrow(
      RelayToolError,
    );

    // Stop: relay.json goes, the process exits, the connection notices.
    expect(await proc.stop(stateDir)).toBe(true);
    expect(pidAlive(info.pid)).toBe(false);
    expect(readRelayFile(stateDir)).toBeUndefined();
    await waitFor('the connection to notice', () => conn.state !== 'connected', 20_000);
    await expect(conn.callTool('claim_hiring', { hiring_id: 'x' })).rejects.toThrow(RelayNotConnectedError);
    expect(await proc.stop(stateDir)).toBe(false);

    // Start again: the connection comes back by itself (new port, same tokens).
    const again = await proc.start(launch);
    expect(again.pid).not.toBe(info.pid);
    conn.wake();
    await waitFor('reconnected', () => conn.state === 'connected', 20_000);
    expect(conn.info?.url).toBe(again.url);
  });

  it('reports a wrong operator token as an error, never connecting', async () => {
    const info = await proc.start(launch);
    const conn = connect(async () => ({ ...info, operatorToken: 'rop_wrong_token_for_test' }));
    await waitFor('an error', () => conn.lastError !== undefined, 20_000);
    expect(conn.state).not.toBe('connected');
    expect(conn.lastError).toMatch(/401|unauthori[sz]ed|API key|token/i);
    expect(conn.lastError).not.toContain('rop_wrong_token_for_test');
  });

  it('explains a relay that exits at once', async () => {
    const bad = normalizeSettings(
      {
        ...settings,
        address: 'not-an-address',
        stateDir: join(root, 'bad'),
        workspaceFolder: join(root, 'ws'),
      } as never,
      root,
    );
    await expect(proc.start({ ...launch, settings: bad })).rejects.toThrow(/exited at once[\s\S]*listen/i);
  });
});
