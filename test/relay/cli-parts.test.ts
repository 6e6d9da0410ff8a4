// The CLI's parts: `register` against the sandbox, the terminal status view,
// and the demo hirer + worker driving a whole life cycle on the real relay.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegisterArgs, runRegister } from '../../src/relay/cli-register';
import { DEMO_FEEDBACK, DEMO_TASKS, demoRunner, startDemoHirer, startDemoReviewer } from '../../src/relay/demo';
import { buildDemoAgent } from '../runners/helpers';
import {
  fitToScreen,
  renderStatus,
  startStatusView,
  summaryLine,
  type StatusSnapshot,
} from '../../src/relay/status-view';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { quiet, startWorld, tempDir, type World } from './helpers';
import { waitFor } from '../support/wait';

describe('agrenting-relay register', () => {
  let sandbox: Sandbox;
  const dir = tempDir('relay-register-');
  beforeAll(async () => {
    sandbox = await startSandbox({ log: quiet() });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers an agent, stores the key 0600 and never prints it unless asked', async () => {
    const out: string[] = [];
    const keyFile = join(dir, 'agent.key');
    const code = await runRegister(
      ['--user-token-env', 'MY_TOKEN', '--name', 'Relay agent', '--upstream', sandbox.url, '--key-file', keyFile],
      { MY_TOKEN: sandbox.userToken },
      (t) => out.push(t),
    );
    expect(code).toBe(0);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key.length).toBeGreaterThan(8);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(out.join('')).toMatch(/Registered agent "Relay agent"/);
    expect(out.join('')).not.toContain(key);
    expect(sandbox.inspect().agents.some((a) => a.name === 'Relay agent')).toBe(true);

    const shown: string[] = [];
    await runRegister(
      ['--user-token-env', 'MY_TOKEN', '--name', 'Shown', '--upstream', sandbox.url, '--print-key'],
      { MY_TOKEN: sandbox.userToken },
      (t) => shown.push(t),
    );
    expect(shown.join('')).toMatch(/api key: \S+/);
  });

  it('registers for webhook delivery with --bridge', async () => {
    const envFile = join(dir, 'agent.env');
    await runRegister(
      [
        '--user-token-env',
        'T',
        '--name',
        'Bridge agent',
        '--upstream',
        sandbox.url,
        '--bridge',
        '--callback-url',
        'http://127.0.0.1:1/webhook',
        '--worker-matrix-id',
        '@w:hiclaw',
        '--key-env-file',
        envFile,
      ],
      { T: sandbox.userToken },
      () => undefined,
    );
    const written = readFileSync(envFile, 'utf8');
    expect(written).toMatch(/^AGRENTING_API_KEY=\S+$/m);
    const agent = sandbox.inspect().agents.find((a) => a.name === 'Bridge agent');
    // the webhook secret the platform generated is kept for the bridge's signature check
    expect(written).toMatch(/^AGRENTING_WEBHOOK_SECRET=\S+$/m);
    expect(agent?.metadata).toMatchObject({
      callback_url: 'http://127.0.0.1:1/webhook',
      worker_matrix_id: '@w:hiclaw',
    });
  });

  it('explains every mistake', async () => {
    expect(() => parseRegisterArgs(['--name', 'x', '--key-file', 'k'])).toThrow(/--user-token-env VAR/);
    expect(() => parseRegisterArgs(['--user-token-env', 'T', '--key-file', 'k'])).toThrow(/--name NAME/);
    expect(() => parseRegisterArgs(['--user-token-env', 'T', '--name', 'x'])).toThrow(/Say where the agent key goes/);
    expect(() =>
      parseRegisterArgs(['--user-token-env', 'T', '--name', 'x', '--print-key', '--callback-url', 'u']),
    ).toThrow(/only apply with --bridge/);
    expect(() => parseRegisterArgs(['--user-token-env', 'T', '--name', 'x', '--print-key', '--bridge'])).toThrow(
      /--bridge needs --callback-url/,
    );
    expect(() => parseRegisterArgs(['--wat'])).toThrow(/Unknown option/);
    expect(parseRegisterArgs(['--help'])).toBe('help');
    await expect(
      runRegister(['--user-token-env', 'UNSET', '--name', 'x', '--print-key'], {}, () => undefined),
    ).rejects.toThrow(/UNSET is not set/);
    await expect(
      runRegister(
        ['--user-token-env', 'T', '--name', 'x', '--print-key', '--upstream', sandbox.url],
        { T: 'ap_wrong_token_123456' },
        () => undefined,
      ),
    ).rejects.toThrow(/rejected the user token \(401\)/);
  });
});

function snapshot(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    url: 'http://127.0.0.1:7391',
    stateDir: '/home/u/.agrenting-relay',
    status: {
      version: '0.1.0',
      startedAt: '2026-11-24T10:00:00.000Z',
      review: 'required',
      links: [{ agent: 'alice', state: 'connected', reconnects: 2 }],
      counts: { new: 1, claimed: 0, awaiting_review: 1, delivering: 0, done: 3, failed: 0 },
      reviewsWaiting: 1,
      outboxPending: 0,
    },
    hirings: [],
    reviews: [],
    recent: ['10:00:01 info relay new hirings'],
    ...over,
  };
}

describe('the status view', () => {
  it('shows runners and their runs when runners are configured', () => {
    const base = snapshot();
    const snap = snapshot({
      status: {
        ...base.status,
        runners: [{ name: 'claude', autoDispatch: true, maxConcurrent: 2, active: 1 }],
        runs: [
          {
            hiring_id: 'h-1234567890',
            runner: 'claude',
            state: 'running',
            attempt: 2,
            startedAt: '2026-11-24T10:01:02.000Z',
          },
        ],
      },
    });
    const text = renderStatus(snap, { width: 100 }).join('\n');
    expect(text).toMatch(/Runs\s+1 running · claude \(auto\) 1\/2/);
    expect(text).toMatch(/▶ running claude on h-123456 attempt 2 · since 10:01:02/);
    expect(summaryLine(snap)).toContain(' runs=1 ');
    expect(renderStatus(base, { width: 100 }).join('\n')).not.toContain('Runs');
  });

  it('shows links, phases, reviews, the MCP URL and how to attach, without tokens', () => {
    const text = renderStatus(snapshot(), { width: 100 }).join('\n');
    expect(text).toContain('http://127.0.0.1:7391/mcp');
    expect(text).toMatch(/alice\s+● connected/);
    expect(text).toContain('in review 1');
    expect(text).toContain('done 3');
    expect(text).toMatch(/Review\s+1 waiting/);
    expect(text).toContain('relay.json');
    expect(text).toContain('10:00:01 info relay new hirings');
  });

  it('prints a plain line when not a TTY, only when something changed', () => {
    const out = new PassThrough();
    let data = '';
    out.on('data', (d: Buffer) => (data += d.toString()));
    let snap = snapshot();
    const view = startStatusView({ out, snapshot: () => snap, plainIntervalMs: 10 });
    expect(data).toContain(summaryLine(snap));
    snap = snapshot({ status: { ...snap.status, reviewsWaiting: 0 } });
    return waitFor('a second line', () => data.split('\n').filter(Boolean).length >= 2).then(() => {
      view.stop();
      expect(data).toContain('reviews=0');
      expect(data).not.toContain('\x1b[');
    });
  });

  it('redraws in place on a screen of its own on a TTY, and gives the screen back on stop', async () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 90, rows: 30 });
    let data = '';
    out.on('data', (d: Buffer) => (data += d.toString()));
    const view = startStatusView({ out, snapshot: () => snapshot(), intervalMs: 10 });
    const ESC = String.fromCharCode(27);
    expect(data.startsWith(`${ESC}[?1049h`)).toBe(true);
    await waitFor('two redraws from the top left', () => data.split(`${ESC}[H`).length >= 3);
    view.stop();
    expect(data.endsWith(`${ESC}[?1049l`)).toBe(true);
  });

  it('fits every line to the terminal so nothing wraps, and the block to its height', () => {
    const long = `${'x'.repeat(200)}`;
    const coloured = `\x1b[32m${'y'.repeat(50)}\x1b[0m`;
    const fitted = fitToScreen([long, coloured, 'a', 'b', 'c'], 80, 4);
    expect(fitted).toHaveLength(3);
    expect(fitted[0]).toHaveLength(79);
    // short enough: kept with its colours
    expect(fitted[1]).toBe(coloured);
  });
});

describe('the demo', () => {
  let w: World;
  const dir = tempDir('relay-demo-');
  beforeAll(async () => {
    const script = await buildDemoAgent(dir);
    w = await startWorld({
      review: 'required',
      runners: [demoRunner([process.execPath, script], 0)],
      runnerTiming: { graceMs: 300, chunkIntervalMs: 50, logEventMs: 20 },
      env: { PATH: process.env.PATH, AGRENTING_DEMO_STEP_MS: '0' },
    });
  });
  afterAll(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts output and push hirings; the demo agent runs the output ones, which are rejected once, redone and approved', async () => {
    const hirer = startDemoHirer({ market: w.sandbox, agentId: w.agentId, intervalMs: 10, total: 4, logger: quiet() });
    const reviewer = startDemoReviewer({ core: w.relay, logger: quiet() });
    try {
      await waitFor('four hirings in the relay', () => w.relay.listAll(w.operator).length === 4);
      const all = w.relay.listAll(w.operator);
      expect(all.map((v) => v.hiring.delivery_mode).sort()).toEqual(['output', 'output', 'push', 'push']);
      const outputs = all.filter((v) => v.hiring.delivery_mode === 'output').map((v) => String(v.hiring.id));
      await waitFor(
        'both output hirings completed upstream',
        () => outputs.every((id) => w.sandbox.hiring(id)?.status === 'completed'),
        30_000,
      );
      expect(hirer.describe()).toContain('all 4');
      for (const id of outputs) {
        await waitFor('the run to end', () => w.relay.getHiring(w.operator, id).run?.state === 'succeeded');
        const view = w.relay.getHiring(w.operator, id);
        expect(view.run).toMatchObject({ runner: 'demo-agent', attempt: 2, state: 'succeeded' });
        expect(view.relayMessages.filter((m) => m.from === 'review').map((m) => m.content)).toEqual([DEMO_FEEDBACK]);
        const output = w.sandbox.hiring(id)?.output as { text?: string };
        expect(output.text).toContain(`Revised after review: ${DEMO_FEEDBACK}`);
        expect(w.sandbox.hiring(id)?.artifacts.map((a) => a.name)).toEqual(
          expect.arrayContaining(['solution.ts', 'solution.test.ts']),
        );
      }
      expect(reviewer.describe()).toContain('rejected 2');
      // Push hirings are left for a person.
      expect(
        w.relay
          .listAll(w.operator)
          .filter((v) => v.hiring.delivery_mode === 'push')
          .every((v) => v.phase === 'new'),
      ).toBe(true);
      expect(DEMO_TASKS.length).toBeGreaterThanOrEqual(4);
    } finally {
      hirer.stop();
      reviewer.stop();
    }
  });
});
