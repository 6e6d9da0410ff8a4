// Runners end to end against the sandbox marketplace: the fake agent CLI answers, edits a repository,
// fails, hangs, floods, prints its environment and talks to the client through the relay's MCP.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { accepted, hireAndSee, quiet, startWorld, type World } from '../relay/helpers';
import { waitFor } from '../support/wait';
import { FAKE_AGENT, FAST, fakeRunner, pidAlive } from './helpers';

const HOME = process.env.HOME ?? '/tmp';
const AGENT_CLI_KEY = 'sk-fake-agent-cli-key-0123456789';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ log: quiet() });
});
afterAll(async () => {
  await sandbox.close();
});

async function world(
  runners: NonNullable<Parameters<typeof startWorld>[0]>['runners'],
  review: 'required' | 'off' = 'required',
): Promise<World> {
  return startWorld({
    sandbox,
    review,
    runners,
    runnerTiming: FAST,
    reconcileMs: 0,
    env: {
      PATH: process.env.PATH,
      HOME,
      LANG: 'C.UTF-8',
      FAKE_CLI_KEY: AGENT_CLI_KEY,
      UNLISTED_VAR: 'not-for-the-child',
    },
  });
}

const run = (w: World, id: string) => w.relay.getHiring(w.operator, id).run;
/** The run once it has ended (its state is written just after its submission appears). */
const ended = (w: World, id: string) =>
  waitFor('the run to end', () => {
    const r = run(w, id);
    return r && r.state !== 'running' && r.state !== 'starting' ? r : undefined;
  });

describe('output mode', () => {
  let w: World;
  beforeAll(async () => {
    w = await world([
      fakeRunner('answer', { maxAttempts: 2 }),
      {
        name: 'by-file',
        command: [process.execPath, FAKE_AGENT, 'answer', '--prompt-file', '{promptFile}'],
        prompt: 'file',
      },
      { name: 'by-arg', command: [process.execPath, FAKE_AGENT, 'answer', '--prompt', '{prompt}'], prompt: 'argument' },
    ]);
  });
  afterAll(async () => {
    await w.close();
  });

  it('runs the agent, submits OUTPUT.md and out/ for review, re-runs with the feedback on reject, delivers once approved', async () => {
    const id = await hireAndSee(w);
    const started = await w.relay.startRun!(w.operator, id);
    expect(started).toMatchObject({ runner: 'answer', attempt: 1, maxAttempts: 2 });
    expect(w.relay.getHiring(w.operator, id).claimedBy).toBe('runner:answer');

    const first = await waitFor('the first submission', () =>
      w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
    );
    expect(await ended(w, id)).toMatchObject({ state: 'succeeded', exitCode: 0, attempt: 1 });
    expect(first.kind).toBe('result');
    expect(JSON.stringify(first.result?.output)).toContain('slugify');
    expect(first.result?.artifacts?.map((a) => a.name)).toContain('notes.txt');
    // Nothing reached the platform before review.
    expect(accepted(w, id)).toBe(0);

    // The log and the progress shown to the client are redacted.
    const log = w.relay.runLog!(w.operator, id);
    expect(log).toContain('fake agent (answer) read a prompt');
    expect(log).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123');
    await waitFor('progress chunks upstream', () => (sandbox.hiring(id)?.chunks.length ?? 0) > 0);
    expect(JSON.stringify(sandbox.hiring(id)?.chunks)).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123');
    expect(w.relay.status().runs).toEqual([
      expect.objectContaining({ hiring_id: id, runner: 'answer', state: 'succeeded' }),
    ]);

    await w.relay.reject(w.operator, first.id, 'Handle accents too.');
    const second = await waitFor('the re-run submission', () =>
      w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
    );
    expect(await ended(w, id)).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(JSON.stringify(second.result?.output)).toContain('Revised after feedback: - Handle accents too.');

    await w.relay.approve(w.operator, second.id);
    await waitFor('completion upstream', () => sandbox.hiring(id)?.status === 'completed');
    expect(accepted(w, id)).toBe(1);
    expect(String((sandbox.hiring(id)?.output as { text?: string }).text)).toContain('Revised after feedback');
  });

  it.each(['by-file', 'by-arg'])('gives the prompt %s', async (runner) => {
    const id = await hireAndSee(w, { task_description: `Write slugify (${runner})` });
    await w.relay.startRun!(w.operator, id, runner);
    await waitFor('the submission', () => w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id));
    const chars = Number(/read a prompt of (\d+) characters/.exec(w.relay.runLog!(w.operator, id))?.[1]);
    expect(chars).toBeGreaterThan(200);
  });

  it('stops re-running at maxAttempts and says so on the run', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'answer');
    for (let attempt = 1; attempt <= 2; attempt++) {
      const sub = await waitFor(`submission ${attempt}`, () =>
        w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
      );
      await w.relay.reject(w.operator, sub.id, `Not yet (${attempt}).`);
    }
    await waitFor('the limit noted', () => run(w, id)?.reason?.includes('will not try again'));
    expect(run(w, id)?.attempt).toBe(2);
    expect(w.relay.reviewQueue(w.operator).some((s) => s.hiringId === id)).toBe(false);
  });

  it('refuses a hiring another handler took, and an unknown runner', async () => {
    const id = await hireAndSee(w);
    await w.relay.claim(w.worker, id);
    await expect(w.relay.startRun!(w.operator, id)).rejects.toThrow(/taken by alice/);
    await expect(w.relay.startRun!(w.operator, id, 'nope')).rejects.toThrow(/no runner "nope"/);
    await expect(w.relay.startRun!(w.worker, id)).rejects.toThrow(/Only the operator/);
  });
});

describe('failures and stops', () => {
  let w: World;
  beforeAll(async () => {
    w = await world([
      fakeRunner('exit2'),
      fakeRunner('hang', { timeoutMs: 60_000 }),
      fakeRunner('hang-hard'),
      fakeRunner('silent'),
      { name: 'missing', command: ['no-such-agent-cli-here'] },
      fakeRunner('orphan'),
      fakeRunner('slow', { command: [process.execPath, join(__dirname, 'fake-agent.mjs'), 'hang'], timeoutMs: 300 }),
    ]);
  });
  afterAll(async () => {
    await w.close();
  });

  it('turns a non-zero exit into a failure report waiting for review, sending nothing', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'exit2');
    const sub = await waitFor('the failure report', () =>
      w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
    );
    expect(sub.kind).toBe('failure');
    expect(sub.failure?.reason).toMatch(/exited with code 2/);
    expect(await ended(w, id)).toMatchObject({ state: 'failed', exitCode: 2 });
    expect(w.relay.runLog!(w.operator, id)).toContain('boom: the fake agent failed');
    expect(sandbox.hiring(id)?.status).not.toBe('failed');
  });

  it('ends what the agent left running when it exits', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'orphan');
    await waitFor('the submission', () => w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id));
    const pid = Number(readFileSync(join(w.stateDir, 'runs', id, 'work', 'grandchild.pid'), 'utf8'));
    await waitFor('the grandchild to be gone', () => !pidAlive(pid));
  });

  it('says so when the program is not installed', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'missing');
    const sub = await waitFor('the failure report', () =>
      w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
    );
    expect(sub.failure?.reason).toMatch(/"no-such-agent-cli-here" was not found on PATH/);
    expect((await ended(w, id)).state).toBe('failed');
  });

  it('turns an exit without output into a failure report', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'silent');
    const sub = await waitFor('the failure report', () =>
      w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
    );
    expect(sub.failure?.reason).toMatch(/without output/);
  });

  it('stop_run ends the process group with TERM', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'hang');
    const dir = join(w.stateDir, 'runs', id, 'work');
    const pid = Number(await waitFor('the agent running', () => readFileSync(join(dir, 'hang.pid'), 'utf8')));
    const stopped = await w.relay.stopRun!(w.operator, id);
    expect(stopped.state).toBe('stopped');
    expect(pidAlive(pid)).toBe(false);
  });

  it('an agent that ignores TERM is killed after the grace period', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'hang-hard');
    const pid = Number(
      await waitFor('the agent running', () => readFileSync(join(w.stateDir, 'runs', id, 'work', 'hang.pid'), 'utf8')),
    );
    await w.relay.stopRun!(w.operator, id);
    expect(pidAlive(pid)).toBe(false);
  });

  it('a timeout kills the run and proposes a failure', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'slow');
    const sub = await waitFor('the failure report', () =>
      w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
    );
    expect(sub.failure).toMatchObject({ error: 'timeout' });
    expect((await ended(w, id)).state).toBe('failed');
  });

  it("the hiring's deadline passing kills the run and proposes a failure", async () => {
    const id = await hireAndSee(w, {
      task_description: 'quick one',
      deadline_at: new Date(Date.now() + 1500).toISOString(),
    });
    await w.relay.startRun!(w.operator, id, 'hang');
    const sub = await waitFor('the failure report', () =>
      w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
    );
    expect(sub.failure).toMatchObject({ error: 'timeout' });
    expect(sub.failure?.reason).toMatch(/deadline .* passed/);
  });

  it('a hiring cancelled upstream stops its run', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'hang');
    const pid = Number(
      await waitFor('the agent running', () => readFileSync(join(w.stateDir, 'runs', id, 'work', 'hang.pid'), 'utf8')),
    );
    sandbox.cancel(id);
    await waitFor('the run stopped', async () => {
      await w.relay.reconcile();
      return run(w, id)?.state === 'stopped';
    });
    expect(pidAlive(pid)).toBe(false);
  });
});

describe('what the child gets and gives', () => {
  let w: World;
  beforeAll(async () => {
    w = await world([
      fakeRunner('env', { env: ['FAKE_CLI_KEY', 'AGRENTING_API_KEY'] }),
      fakeRunner('flood'),
      fakeRunner('ask'),
    ]);
  });
  afterAll(async () => {
    await w.close();
  });

  it('passes an allowlisted environment, with the named key redacted in the log', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'env');
    const sub = await waitFor('the submission', () => w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id));
    const text = JSON.stringify(sub.result?.output);
    const names = /env names: ([A-Z_,a-z0-9]+)/.exec(text)?.[1].split(',') ?? [];
    expect(names).toEqual(
      expect.arrayContaining(['PATH', 'HOME', 'FAKE_CLI_KEY', 'AGRENTING_RELAY_TOKEN', 'AGRENTING_RELAY_URL']),
    );
    expect(names).not.toContain('UNLISTED_VAR');
    expect(names).not.toContain('AGRENTING_API_KEY');
    const log = w.relay.runLog!(w.operator, id);
    expect(log).toContain('FAKE_CLI_KEY=[REDACTED]');
    expect(log).toContain('AGRENTING_RELAY_TOKEN=[REDACTED]');
    expect(log).not.toContain(AGENT_CLI_KEY);
    expect(log).not.toContain(w.apiKey);
    expect(readFileSync(join(w.stateDir, 'runs', id, 'run.log'), 'utf8')).not.toContain(AGENT_CLI_KEY);
  });

  it('survives 50 MB of output: the log keeps its tail, the result is submitted', async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'flood');
    const sub = await waitFor(
      'the submission',
      () => w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
      60_000,
    );
    expect(JSON.stringify(sub.result?.output)).toContain('after the flood');
    expect(w.relay.runLog!(w.operator, id).length).toBeLessThanOrEqual(256 * 1024);
  });

  it("lets the agent ask the client through the relay's MCP with its run token, and nothing more", async () => {
    const id = await hireAndSee(w);
    await w.relay.startRun!(w.operator, id, 'ask');
    await waitFor('the submission', () => w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id));
    await waitFor('the question upstream', () =>
      sandbox.hiring(id)?.messages.some((m) => m.content === 'Which Node version?'),
    );
    const log = w.relay.runLog!(w.operator, id);
    expect(log).toContain('question sent: ok');
    expect(log).toContain('chunk sent: ok');
    expect(log).toContain('approve refused: yes');
    expect(log).toContain('other hiring refused: yes');
  });
});

describe('push mode', () => {
  let w: World;
  beforeAll(async () => {
    w = await world([fakeRunner('edit', { deliveryModes: ['push'] })]);
  });
  afterAll(async () => {
    await w.close();
  });

  it('runs the agent in the prepared workspace and pushes its edits once approved', async () => {
    const id = await hireAndSee(w, { task_description: 'Add a file', delivery_mode: 'push' });
    await w.relay.startRun!(w.operator, id);
    const sub = await waitFor('the submission', () => w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id));
    expect(sub.push?.summary).toContain('EDITED_BY_AGENT.md');
    await w.relay.reject(w.operator, sub.id, 'Add a revision note.');
    const again = await waitFor('the second submission', () =>
      w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id),
    );
    await w.relay.approve(w.operator, again.id);
    await waitFor('completion upstream', () => sandbox.hiring(id)?.status === 'completed');
    const out = sandbox.hiring(id)?.output as { files_changed?: string[] };
    expect(out.files_changed).toEqual(expect.arrayContaining(['EDITED_BY_AGENT.md', 'REVISION.md']));
    expect(accepted(w, id)).toBe(1);
    // The hooks the agent planted did not run for the relay's commit and push.
    const ws = w.relay.getHiring(w.operator, id).workspace!;
    expect(readdirSync(join(ws.dir, '..')).filter((f) => f.startsWith('HOOK_RAN'))).toEqual([]);
  });
});

describe('auto-dispatch', () => {
  it('never runs more than maxConcurrent at once, even when hirings arrive faster than claims complete', async () => {
    const w = await world([fakeRunner('slow', { autoDispatch: true, maxConcurrent: 2 })]);
    try {
      const hirings = await Promise.all(
        Array.from({ length: 6 }, (_, i) => w.sandbox.hire(w.agentId, { task_description: `burst ${i}` })),
      );
      const ids = hirings.map((h) => h.id);
      await waitFor('every run to end', () => ids.every((id) => run(w, id)?.endedAt !== undefined), 60_000);
      // At no moment did more than two runs overlap (from the runs' own start and end times).
      const spans = ids.map((id) => {
        const r = run(w, id)!;
        return { from: Date.parse(r.startedAt), to: Date.parse(r.endedAt!) };
      });
      const overlap = Math.max(...spans.map((s) => spans.filter((o) => o.from <= s.from && o.to > s.from).length));
      expect(overlap).toBeLessThanOrEqual(2);
      expect(ids.every((id) => run(w, id)?.state === 'succeeded')).toBe(true);
    } finally {
      await w.close();
    }
  });

  it('hands a new hiring to an autoDispatch runner that takes it, and leaves one it does not take', async () => {
    const w = await world([fakeRunner('answer', { autoDispatch: true, deliveryModes: ['output'], minPrice: 10 })]);
    try {
      const cheap = await hireAndSee(w, { task_description: 'cheap', price: '5.00' });
      const id = await hireAndSee(w, { task_description: 'Write a slugify function', price: '20.00' });
      await waitFor('the submission', () => w.relay.reviewQueue(w.operator).find((s) => s.hiringId === id));
      expect(await ended(w, id)).toMatchObject({ runner: 'answer', state: 'succeeded' });
      expect(run(w, cheap)).toBeUndefined();
      expect(w.relay.getHiring(w.operator, cheap).phase).toBe('new');
      expect(w.relay.status().runners).toEqual([{ name: 'answer', autoDispatch: true, maxConcurrent: 1, active: 0 }]);
    } finally {
      await w.close();
    }
  });
});
