// Runners: from the hirer creating a hiring on the sandbox to the relay's runner having started the
// agent CLI for it (auto-dispatch; the run's state becomes "running" once the process is spawned).
// The CLI is a one-line node script, so each run ends at once and the next hiring finds the runner free.
import { performance } from 'node:perf_hooks';
import { startRelay, type Relay } from '../src/relay/relay';
import type { Caller } from '../src/relay/types';
import { row, summarize, type BenchRow } from './stats';
import { benchSandbox, quietLogger, size, tempDir, waitFor } from './support/util';

const OPERATOR: Caller = { role: 'operator', name: 'bench' };

export async function benchRunners(): Promise<BenchRow[]> {
  const sandbox = await benchSandbox();
  const agent = sandbox.registerAgent({ name: 'runner bench agent' });
  const tmp = tempDir('bench-runners-');
  let relay: Relay | undefined;
  const samples: number[] = [];
  try {
    relay = await startRelay({
      agents: [{ name: 'coder', baseUrl: sandbox.url, apiKey: agent.apiKey, agentId: agent.id }],
      stateDir: tmp.dir,
      port: 0,
      logger: quietLogger('relay'),
      writeRelayFile: false,
      env: { PATH: process.env.PATH },
      runners: [
        {
          name: 'bench',
          command: [process.execPath, '-e', 'require("fs").writeFileSync("OUTPUT.md", "done")'],
          autoDispatch: true,
        },
      ],
    });
    const r = relay;
    await waitFor('the link to connect', () => r.status().links.every((l) => l.state === 'connected'));
    const running = new Map<string, number>();
    const off = r.subscribe((e) => {
      if (e.type !== 'hiring' || running.has(e.hiringId)) return;
      try {
        if (r.getHiring(OPERATOR, e.hiringId).run?.state === 'running') running.set(e.hiringId, performance.now());
      } catch {
        // Not in the store yet.
      }
    });
    try {
      for (let i = 0; i < size(30, 5); i++) {
        const t0 = performance.now();
        const h = await sandbox.hire(agent.id, { task_description: `runner bench ${i}: write a slugify function` });
        const started = await waitFor(`run of hiring ${h.id}`, () => running.get(h.id));
        samples.push(started - t0);
        await waitFor(`run of hiring ${h.id} to end`, () => r.getHiring(OPERATOR, h.id).run?.state === 'succeeded');
      }
    } finally {
      off();
    }
  } finally {
    await relay?.stop();
    await sandbox.close();
    tmp.remove();
  }
  return [row('runners', 'hiring created → run started (auto-dispatch)', 'ms', summarize(samples))];
}
