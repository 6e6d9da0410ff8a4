// Delivery with review off. Throughput: a worker submits results for N hirings
// at once over MCP (submit_hiring_result through the relay's outbox); results/s
// until the sandbox has recorded every one completed. End to end: one hiring at a
// time, hire → the worker sees it (notification + read) → submits → the
// platform confirms (status completed).
import type { Sandbox } from '../src/sandbox';
import { row, summarize, type BenchRow } from './stats';
import { startRelayProcess } from './support/relay-process';
import { benchSandbox, dispatched, pool, size, subscribedSession, tempDir, waitFor } from './support/util';
import { PendingWatcher } from './support/watcher';

/** performance.now() when the sandbox recorded each hiring completed. */
function completionClock(sandbox: Sandbox): { at: Map<string, number>; stop(): void } {
  const at = new Map<string, number>();
  const on = (e: { id: string; status: string }) => {
    if (e.status === 'completed' && !at.has(e.id)) at.set(e.id, performance.now());
  };
  sandbox.events.on('hiring', on);
  return { at, stop: () => sandbox.events.off('hiring', on) };
}

const result = (i: number) => ({
  summary: `Done ${i}`,
  code: `export const slugify = (s: string) => s.toLowerCase().replace(/\\W+/g, '-'); // ${i}`,
});

export async function benchDelivery(): Promise<BenchRow[]> {
  const n = size(500, 100);
  const e2eRuns = size(30, 10);
  const sandbox = await benchSandbox();
  const agent = sandbox.registerAgent({ name: 'delivery bench agent' });
  const tmp = tempDir('bench-delivery-');
  const relay = await startRelayProcess({
    agents: [{ name: 'coder', baseUrl: sandbox.url, apiKey: agent.apiKey }],
    stateDir: tmp.dir,
    review: 'off',
  });
  let watcher: PendingWatcher | undefined;
  const done = completionClock(sandbox);
  try {
    await waitFor('the relay to subscribe', () => subscribedSession(sandbox, agent.id));
    watcher = await PendingWatcher.connect(relay.url, relay.workerToken('coder'));
    const w = watcher;

    // Throughput.
    const hirings = await Promise.all(
      Array.from({ length: n }, (_, i) => sandbox.hire(agent.id, { task_description: `Throughput hiring ${i}` })),
    );
    const { ids, failed } = dispatched(hirings);
    await w.waitForAll(ids);
    const callMs: number[] = [];
    const cpu0 = relay.cpuMs();
    const t0 = performance.now();
    await pool(ids, 32, async (id, i) => {
      const c0 = performance.now();
      const r = await w.callTool('submit_hiring_result', { hiring_id: id, output: result(i) });
      callMs.push(performance.now() - c0);
      if (r.isError) throw new Error(`submit for ${id} refused: ${r.text}`);
    });
    await waitFor(`${n} hirings completed on the sandbox`, () => ids.every((id) => done.at.has(id)), 300_000, 5);
    const elapsed = Math.max(...ids.map((id) => done.at.get(id) ?? 0)) - t0;
    const cpuPerResult = (relay.cpuMs() - cpu0) / ids.length;

    // End to end, one at a time.
    const e2e: number[] = [];
    for (let i = 0; i < e2eRuns; i++) {
      const s0 = performance.now();
      const h = await sandbox.hire(agent.id, { task_description: `End-to-end hiring ${i}` });
      if (h.status === 'failed') throw new Error(`hiring ${h.id} failed its availability probe`);
      await w.waitForAll([h.id]);
      const r = await w.callTool('submit_hiring_result', { hiring_id: h.id, output: result(i) });
      if (r.isError) throw new Error(`submit for ${h.id} refused: ${r.text}`);
      await waitFor(`hiring ${h.id} completed`, () => done.at.get(h.id), 60_000, 1);
      e2e.push((done.at.get(h.id) ?? NaN) - s0);
    }
    return [
      {
        group: 'delivery',
        name: `submit throughput, ${n} results through the outbox`,
        unit: 'results/s',
        value: ids.length / (elapsed / 1000),
        note: `${(elapsed / 1000).toFixed(2)} s to all completed upstream, 32 calls in flight, relay CPU ${cpuPerResult.toFixed(1)} ms/result${failed ? `; ${failed} hirings lost their probe` : ''}`,
      },
      row('delivery', 'submit_hiring_result call answered (under the burst)', 'ms', summarize(callMs)),
      row('delivery', 'hire → result confirmed upstream, review off', 'ms', summarize(e2e), {
        note: `n=${e2e.length}, one at a time, MCP worker`,
      }),
    ];
  } finally {
    done.stop();
    await watcher?.close();
    await relay.stop();
    await sandbox.close();
    tmp.remove();
  }
}
