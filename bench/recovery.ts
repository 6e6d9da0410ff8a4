// Recovery. (1) The sandbox drops the relay's session (as a platform restart
// would): time until the relay holds a new, subscribed session. (2) An outage:
// a TCP switch in front of the sandbox cuts every connection and refuses new
// ones; hirings created meanwhile still dispatch (the availability probe falls
// back to HEAD callback_url); when the switch is back, time until the relay is
// subscribed again and until its downstream subscriber has every outage hiring.
// Each run uses a fresh relay process with the relay's default timings, so each
// loss is the first after a stable session (as in a relay that has run a while).
import type { Sandbox } from '../src/sandbox';
import { row, summarize, type BenchRow } from './stats';
import { startCallbackServer, startNetSwitch } from '../test/support/net';
import { startRelayProcess, type RelayProcess } from './support/relay-process';
import { benchSandbox, size, subscribedSession, tempDir, waitFor } from './support/util';
import { PendingWatcher } from './support/watcher';

interface RunWorld {
  agentId: string;
  relay: RelayProcess;
  close(): Promise<void>;
}

async function freshRelay(sandbox: Sandbox, baseUrl: string, callbackUrl: string): Promise<RunWorld> {
  const agent = sandbox.registerAgent({ name: 'recovery bench agent', metadata: { callback_url: callbackUrl } });
  const tmp = tempDir('bench-recovery-');
  const relay = await startRelayProcess({
    agents: [{ name: 'coder', baseUrl, apiKey: agent.apiKey }],
    stateDir: tmp.dir,
  });
  await waitFor('the relay to subscribe', () => subscribedSession(sandbox, agent.id));
  return {
    agentId: agent.id,
    relay,
    async close() {
      await relay.stop();
      tmp.remove();
    },
  };
}

async function dropRun(sandbox: Sandbox, callbackUrl: string): Promise<number> {
  const w = await freshRelay(sandbox, sandbox.url, callbackUrl);
  try {
    const old = subscribedSession(sandbox, w.agentId);
    const t0 = performance.now();
    sandbox.dropSessions(w.agentId);
    await waitFor('a new subscribed session', () => subscribedSession(sandbox, w.agentId, old), 60_000, 2);
    return performance.now() - t0;
  } finally {
    await w.close();
  }
}

interface OutageResult {
  resubscribedMs: number;
  deliveredMs: number;
}

async function outageRun(
  sandbox: Sandbox,
  callbackUrl: string,
  outageMs: number,
  hirings: number,
): Promise<OutageResult> {
  const net = await startNetSwitch(sandbox.url);
  const w = await freshRelay(sandbox, net.url, callbackUrl);
  const watcher = await PendingWatcher.connect(w.relay.url, w.relay.workerToken('coder'));
  try {
    const old = subscribedSession(sandbox, w.agentId);
    const tDown = performance.now();
    net.down();
    await waitFor('the sandbox to see the session end', () => !subscribedSession(sandbox, w.agentId), 10_000, 2);
    const ids: string[] = [];
    for (let i = 0; i < hirings; i++) {
      ids.push((await sandbox.hire(w.agentId, { task_description: `Created during the outage ${i}` })).id);
    }
    // The outage lasts a fixed time: that is the scenario, not a synchronisation.
    await waitFor('the end of the outage', () => performance.now() - tDown >= outageMs, outageMs + 5000, 10);
    net.up();
    const tBack = performance.now();
    const resubscribed = waitFor(
      'a new subscribed session',
      () => subscribedSession(sandbox, w.agentId, old),
      120_000,
      2,
    ).then(() => performance.now() - tBack);
    await watcher.waitForAll(ids, 120_000);
    const deliveredMs = performance.now() - tBack;
    return { resubscribedMs: await resubscribed, deliveredMs };
  } finally {
    await watcher.close();
    await w.close();
    await net.close();
  }
}

export async function benchRecovery(): Promise<BenchRow[]> {
  const runs = size(5, 2);
  const outageMs = size(3000, 1000);
  const outageHirings = size(20, 5);
  const sandbox = await benchSandbox();
  const callback = await startCallbackServer();
  try {
    const drops: number[] = [];
    for (let i = 0; i < runs; i++) drops.push(await dropRun(sandbox, callback.url));
    const outages: OutageResult[] = [];
    for (let i = 0; i < runs; i++) outages.push(await outageRun(sandbox, callback.url, outageMs, outageHirings));
    const resub = summarize(outages.map((o) => o.resubscribedMs));
    const delivered = summarize(outages.map((o) => o.deliveredMs));
    return [
      row('recovery', 'session dropped → re-subscribed', 'ms', summarize(drops), {
        note: `n=${runs}, fresh relay each, default backoff`,
      }),
      row('recovery', `outage ${outageMs / 1000} s: sandbox back → re-subscribed`, 'ms', resub, {
        target: '< 2000 ms',
        met: resub.max < 2000,
        note: `n=${runs}`,
      }),
      row(
        'recovery',
        `outage ${outageMs / 1000} s: sandbox back → ${outageHirings} outage hirings delivered`,
        'ms',
        delivered,
        {
          target: '< 2000 ms',
          met: delivered.max < 2000,
          note: `n=${runs}, to the relay's downstream subscriber`,
        },
      ),
    ];
  } finally {
    await callback.close();
    await sandbox.close();
  }
}
