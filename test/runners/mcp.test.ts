// The runner contract as an MCP client (the VS Code extension) sees it: start_run / stop_run for the
// operator only, relay.run on the hiring, run://{id}/log with updates, runs and runners in relay://status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, key, resourceJson, streamableClient, textOf, type TestClient } from '../downstream/helpers';
import { hireAndSee, startWorld, type World } from '../relay/helpers';
import { waitFor } from '../support/wait';
import { FAST, fakeRunner } from './helpers';

describe('runners over MCP', () => {
  let w: World;
  let op: TestClient;
  let worker: TestClient;
  beforeAll(async () => {
    w = await startWorld({
      runners: [fakeRunner('hang'), fakeRunner('answer')],
      runnerTiming: FAST,
      env: { PATH: process.env.PATH },
    });
    op = await streamableClient(w.relay.url, key(w.relay.tokens.operatorToken));
    worker = await streamableClient(w.relay.url, key(w.relay.tokens.workerTokens.alice));
  });
  afterAll(async () => {
    await op.close();
    await worker.close();
    await w.close();
  });

  it('lists start_run and stop_run for the operator only, and refuses them to a worker', async () => {
    const opTools = (await op.client.listTools()).tools.map((t) => t.name);
    expect(opTools).toEqual(expect.arrayContaining(['start_run', 'stop_run']));
    expect((await worker.client.listTools()).tools.map((t) => t.name)).not.toContain('start_run');
    const id = await hireAndSee(w);
    const refused = await worker.client.callTool({ name: 'start_run', arguments: { hiring_id: id } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/Only the operator can start a run/);
  });

  it('starts a run, shows it on the hiring and in relay://status, follows its log, and stops it', async () => {
    const id = await hireAndSee(w);
    const started = await op.client.callTool({ name: 'start_run', arguments: { hiring_id: id, runner: 'hang' } });
    expect(started.isError).toBeFalsy();
    expect(jsonOf(started)).toMatchObject({ runner: 'hang', attempt: 1, maxAttempts: 3 });
    const uri = `run://${id}/log`;
    await op.client.subscribeResource({ uri });
    await waitFor('the log to show the agent', async () => {
      const r = await op.client.readResource({ uri });
      return String((r.contents[0] as { text?: string }).text).includes('hanging');
    });
    await waitFor('an update for the log', () => op.updates.includes(uri));

    const hiring = resourceJson<{ relay: { run?: { runner: string; state: string } } }>(
      await op.client.readResource({ uri: `hiring://${id}` }),
    );
    expect(hiring.relay.run).toMatchObject({ runner: 'hang', state: 'running' });
    const status = resourceJson<{ runs: unknown[]; runners: unknown[] }>(
      await op.client.readResource({ uri: 'relay://status' }),
    );
    expect(status.runs).toContainEqual(
      expect.objectContaining({ hiring_id: id, runner: 'hang', state: 'running', attempt: 1 }),
    );
    expect(status.runners).toContainEqual({ name: 'hang', autoDispatch: false, maxConcurrent: 1, active: 1 });

    // A worker token does not read run logs.
    await expect(worker.client.readResource({ uri })).rejects.toThrow(/No run|not found/i);

    const stopped = await op.client.callTool({ name: 'stop_run', arguments: { hiring_id: id } });
    expect(jsonOf(stopped)).toMatchObject({ state: 'stopped' });
  });

  it('says clearly when no runner takes the hiring', async () => {
    const id = await hireAndSee(w, { task_description: 'push work', delivery_mode: 'push' });
    await w.relay.claim(w.worker, id);
    const r = await op.client.callTool({ name: 'start_run', arguments: { hiring_id: id, runner: 'answer' } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(new RegExp(`hiring ${id}.*taken by alice`));
  });
});
