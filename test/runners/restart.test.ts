// Runs survive the relay: a run cut short by a stop or crash is started once more from its folder;
// one cut short twice is proposed as a failure; a run that had already submitted is not run again.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { startRelay } from '../../src/relay/relay';
import type { Caller } from '../../src/relay/types';
import { quiet, tempDir } from '../relay/helpers';
import { waitFor } from '../support/wait';
import { FAST, fakeRunner, pidAlive } from './helpers';

let sandbox: Sandbox;
let agent: { id: string; apiKey: string };
beforeAll(async () => {
  sandbox = await startSandbox({ log: quiet() });
  agent = sandbox.registerAgent({ name: 'restart agent' });
});
afterAll(async () => {
  await sandbox.close();
});

const operator: Caller = { role: 'operator', name: 'operator' };

/** The same agent and state dir each time, like the relay started again on the same machine. */
async function open(stateDir: string) {
  const relay = await startRelay({
    agents: [{ name: 'alice', baseUrl: sandbox.url, apiKey: agent.apiKey, agentId: agent.id }],
    stateDir,
    port: 0,
    logger: quiet(),
    env: { PATH: process.env.PATH },
    durable: false,
    outboxBackoff: { baseMs: 20, capMs: 200 },
    runners: [fakeRunner('once')],
    runnerTiming: FAST,
  });
  await waitFor('the link to connect', () => relay.status().links.every((l) => l.state === 'connected'));
  return { relay, operator, close: () => relay.stop() };
}

async function hire(w: Awaited<ReturnType<typeof open>>): Promise<string> {
  const h = await sandbox.hire(agent.id, { task_description: 'Write a slugify function' });
  await waitFor('the hiring in the relay', () =>
    w.relay.listActive(operator).some((v) => String(v.hiring.id) === h.id),
  );
  return h.id;
}

const accepted = (id: string) =>
  (sandbox.hiring(id)?.deliveries ?? []).filter((d) => d.tool === 'submit_hiring_result' && d.outcome === 'accepted')
    .length;

describe('runs across relay restarts', () => {
  it('starts an interrupted run once more in the same folder, and it submits once', async () => {
    const stateDir = tempDir();
    let w = await open(stateDir);
    const id = await hire(w);
    await w.relay.startRun!(w.operator, id);
    const pidFile = join(stateDir, 'runs', id, 'work', 'hang.pid');
    const pid = Number(await waitFor('the agent running', () => readFileSync(pidFile, 'utf8')));
    await w.close();
    expect(pidAlive(pid)).toBe(false);
    const journal = JSON.parse(readFileSync(join(stateDir, 'runs', id, 'run.json'), 'utf8')) as { state: string };
    expect(journal.state).toBe('running');

    w = await open(stateDir);
    try {
      const sub = await waitFor('the submission after the restart', () =>
        w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
      );
      expect(JSON.stringify(sub.result?.output)).toContain('finished after a restart');
      await waitFor('the run to end', () => w.relay.getHiring(w.operator, id).run?.state === 'succeeded');
      expect(w.relay.getHiring(w.operator, id).run).toMatchObject({ state: 'succeeded', attempt: 1 });
      await w.relay.approve(w.operator, sub.id);
      await waitFor('completion upstream', () => sandbox.hiring(id)?.status === 'completed');
      expect(accepted(id)).toBe(1);
    } finally {
      await w.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('a clean stop does not count as a crash; a run cut short twice by crashes becomes a failure report', async () => {
    const stateDir = tempDir();
    let w = await open(stateDir);
    const id = await hire(w);
    await w.relay.startRun!(w.operator, id);
    const pidFile = join(stateDir, 'runs', id, 'work', 'hang.pid');
    const file = join(stateDir, 'runs', id, 'run.json');
    await waitFor('the agent running', () => readFileSync(pidFile, 'utf8'));
    await w.close();
    // Two clean stops in a row: the run starts again each time.
    for (let i = 0; i < 2; i++) {
      rmSync(pidFile);
      w = await open(stateDir);
      await waitFor('the resumed agent running', () => readFileSync(pidFile, 'utf8'));
      await w.close();
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ state: 'running' });
      expect(JSON.parse(readFileSync(file, 'utf8')).restarted).toBeUndefined();
    }
    // As a crash leaves it: "running", already started once more.
    const rec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...rec, restarted: true }));

    w = await open(stateDir);
    try {
      const sub = await waitFor('the failure report', () =>
        w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
      );
      expect(sub.kind).toBe('failure');
      expect(sub.failure?.reason).toMatch(/interrupted twice/);
      await waitFor('the run to be marked failed', () => w.relay.getHiring(w.operator, id).run?.state === 'failed');
    } finally {
      await w.close();
    }
    // Journal says "running" but the submission exists: nothing is run or submitted again.
    const after = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...after, state: 'running', restarted: false, submissionsAtStart: 0 }));
    w = await open(stateDir);
    try {
      await waitFor('the run settled', () => w.relay.getHiring(w.operator, id).run?.state === 'succeeded');
      expect(w.relay.reviewQueue(w.operator).filter((s) => s.hiringId === id)).toHaveLength(1);
    } finally {
      await w.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
