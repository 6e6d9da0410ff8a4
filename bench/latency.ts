// Hiring latency: from the sandbox dispatching a hiring (after its availability
// probe, the moment it notifies the agent) to a downstream subscriber of the
// relay having read it from hiring://pending. Bursts of 1, 100 and 1 000
// hirings; the same bursts with the relay's upstream link used on its own,
// straight against the sandbox, give the baseline and the relay's cost as a ratio.
// Both subscribers run in their own processes; the sandbox runs in this one.
import type { Sandbox } from '../src/sandbox';
import { row, summarize, type BenchRow } from './stats';
import { startDirectLink } from './support/direct-link';
import { startRelayProcess } from './support/relay-process';
import { benchSandbox, dispatchClock, dispatched, size, subscribedSession, tempDir, waitFor } from './support/util';
import { PendingWatcher } from './support/watcher';

interface BurstPlan {
  burst: number;
  runs: number;
}

/** One subscriber path: when it first saw each hiring, a way to wait for a set, and its process's CPU. */
interface Path {
  firstSeen: Map<string, number>;
  waitForAll(ids: string[]): Promise<void>;
  /** CPU time used by the subscriber's process (relay, or the standalone link), ms. */
  cpuMs(): number;
}

async function hireBurst(
  sandbox: Sandbox,
  agentId: string,
  n: number,
  label: string,
): Promise<{ ids: string[]; failed: number }> {
  const hirings = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      sandbox.hire(agentId, { task_description: `${label} ${i}: write a slugify function with tests` }),
    ),
  );
  return dispatched(hirings);
}

interface Measured {
  samples: number[];
  /** Hirings whose availability probe (a ping through this path) was not answered in time. */
  probeFailures: number;
  /** CPU the path's process spent per delivered hiring, ms (independent of other load on the machine). */
  cpuPerHiring: number;
}

async function measure(
  sandbox: Sandbox,
  agentId: string,
  path: Path,
  plan: BurstPlan,
  label: string,
): Promise<Measured> {
  const clock = dispatchClock(sandbox);
  const samples: number[] = [];
  let probeFailures = 0;
  const cpu0 = path.cpuMs();
  try {
    for (let r = 0; r < plan.runs; r++) {
      const { ids, failed } = await hireBurst(sandbox, agentId, plan.burst, `${label} run ${r}`);
      probeFailures += failed;
      await path.waitForAll(ids);
      for (const id of ids) {
        const t0 = clock.at.get(id);
        const t1 = path.firstSeen.get(id);
        if (t0 !== undefined && t1 !== undefined) samples.push(t1 - t0);
      }
    }
  } finally {
    clock.stop();
  }
  return { samples, probeFailures, cpuPerHiring: (path.cpuMs() - cpu0) / samples.length };
}

/** `mode` 'full': the subscriber reads all of hiring://pending on each notification; 'since': only what changed. */
async function viaRelay(sandbox: Sandbox, plan: BurstPlan, mode: 'full' | 'since'): Promise<Measured> {
  const agent = sandbox.registerAgent({ name: `latency relay ${mode} ${plan.burst}` });
  const tmp = tempDir('bench-latency-');
  const relay = await startRelayProcess({
    agents: [{ name: 'coder', baseUrl: sandbox.url, apiKey: agent.apiKey }],
    stateDir: tmp.dir,
  });
  let watcher: PendingWatcher | undefined;
  try {
    await waitFor('the relay to subscribe upstream', () => subscribedSession(sandbox, agent.id));
    watcher = await PendingWatcher.connect(relay.url, relay.workerToken('coder'), 'bench-latency', mode);
    const w = watcher;
    return await measure(
      sandbox,
      agent.id,
      { firstSeen: w.firstSeen, waitForAll: (ids) => w.waitForAll(ids), cpuMs: () => relay.cpuMs() },
      plan,
      'relay',
    );
  } finally {
    await watcher?.close();
    await relay.stop();
    tmp.remove();
  }
}

async function direct(sandbox: Sandbox, plan: BurstPlan, kind: 'link' | 'sdk'): Promise<Measured> {
  const agent = sandbox.registerAgent({ name: `latency direct ${kind} ${plan.burst}` });
  const link = startDirectLink(sandbox.url, agent.apiKey, kind);
  try {
    await waitFor('the direct link to subscribe', () => subscribedSession(sandbox, agent.id));
    return await measure(
      sandbox,
      agent.id,
      { firstSeen: link.firstSeen, waitForAll: (ids) => link.waitForAll(ids), cpuMs: () => link.cpuMs() },
      plan,
      'direct',
    );
  } finally {
    await link.close();
  }
}

export async function benchLatency(): Promise<BenchRow[]> {
  const plans: BurstPlan[] = [
    { burst: 1, runs: size(50, 10) },
    { burst: 100, runs: size(3, 1) },
    { burst: size(1000, 200), runs: 1 },
  ];
  const sandbox = await benchSandbox();
  const rows: BenchRow[] = [];
  try {
    for (const plan of plans) {
      const viaR = await viaRelay(sandbox, plan, 'full');
      const viaC = await viaRelay(sandbox, plan, 'since');
      const viaD = await direct(sandbox, plan, 'link');
      const viaS = await direct(sandbox, plan, 'sdk');
      const relay = summarize(viaR.samples);
      const changes = summarize(viaC.samples);
      const base = summarize(viaD.samples);
      const sdk = summarize(viaS.samples);
      const extra = (m: Measured) =>
        `; ${m.cpuPerHiring.toFixed(2)} ms CPU/hiring${m.probeFailures ? `; ${m.probeFailures} hirings failed: probe ping unanswered in 3 s` : ''}`;
      const what =
        plan.burst === 1
          ? `burst of 1 (×${plan.runs})`
          : `burst of ${plan.burst}${plan.runs > 1 ? ` (×${plan.runs})` : ''}`;
      const target = (s: typeof relay) => (plan.burst === 100 ? { target: 'p99 < 50 ms', met: s.p99 < 50 } : {});
      rows.push(
        row('latency', `hiring → relay subscriber, ${what}`, 'ms', relay, {
          ...target(relay),
          note: `n=${relay.n}${extra(viaR)}; reads all of hiring://pending per notification`,
        }),
        row('latency', `hiring → relay subscriber reading ?since, ${what}`, 'ms', changes, {
          ...target(changes),
          note: `n=${changes.n}${extra(viaC)}; reads hiring://pending?since=<cursor>`,
        }),
      );
      rows.push(
        row('latency', `hiring → direct link (baseline), ${what}`, 'ms', base, { note: `n=${base.n}${extra(viaD)}` }),
      );
      rows.push(
        row('latency', `hiring → MCP SDK client (baseline), ${what}`, 'ms', sdk, {
          note: `n=${sdk.n}${extra(viaS)}; SSEClientTransport straight to the sandbox`,
        }),
      );
      const ratio = (name: string, from: typeof relay, to: typeof relay): BenchRow => ({
        group: 'latency',
        name: `${name}, ${what}`,
        unit: 'ratio',
        median: from.median / to.median,
        p99: from.p99 / to.p99,
        max: from.max / to.max,
        note: 'ratio of the figures above',
      });
      rows.push(
        ratio('relay / direct', relay, base),
        ratio('relay ?since / direct', changes, base),
        ratio('relay / SDK client', relay, sdk),
      );
    }
  } finally {
    await sandbox.close();
  }
  return rows;
}
