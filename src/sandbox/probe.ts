// The availability probe run on each hire (§5): `ping` over the agent's live
// SSE sessions (first answer within the budget wins), else `HEAD callback_url`
// (any 2xx), else the agent is unavailable.
import type { SandboxContext } from './context';
import type { AgentRecord } from './store';
import type { ProbeResult } from './types';

async function pingSessions(
  ctx: SandboxContext,
  agentId: string,
): Promise<{ ok: boolean; detail: string } | undefined> {
  const sessions = ctx.sessions.forAgent(agentId);
  if (sessions.length === 0) return undefined;
  if (ctx.knobs.ping === 'never') {
    return { ok: true, detail: `${sessions.length} live session(s); ping disabled by the ping=never knob` };
  }
  const budget = ctx.knobs.probeBudgetMs;
  try {
    const winner = await Promise.any(sessions.map((s) => s.request('ping', undefined, budget).then(() => s.id)));
    return { ok: true, detail: `session ${winner} answered ping` };
  } catch {
    return { ok: false, detail: `no live session answered ping within ${budget} ms` };
  }
}

async function headCallback(url: string, budgetMs: number): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(budgetMs) });
    return { ok: res.status >= 200 && res.status < 300, detail: `HEAD callback_url answered ${res.status}` };
  } catch (e) {
    const err = e as Error;
    const why = err.name === 'TimeoutError' ? `no answer within ${budgetMs} ms` : err.message;
    return { ok: false, detail: `HEAD callback_url failed: ${why}` };
  }
}

export async function probeAgent(ctx: SandboxContext, agent: AgentRecord, hiringId: string): Promise<ProbeResult> {
  const base = { hiringId, agentId: agent.view.id };
  const ping = await pingSessions(ctx, agent.view.id);
  const details: string[] = [];
  if (ping) {
    if (ping.ok) {
      return record(ctx, {
        ...base,
        method: ctx.knobs.ping === 'never' ? 'session' : 'ping',
        ok: true,
        detail: ping.detail,
      });
    }
    details.push(ping.detail);
  }
  const callback = agent.view.metadata.callback_url;
  if (typeof callback === 'string' && callback.length > 0) {
    const head = await headCallback(callback, ctx.knobs.headProbeBudgetMs);
    if (head.ok) return record(ctx, { ...base, method: 'head', ok: true, detail: head.detail });
    details.push(head.detail);
    return record(ctx, { ...base, method: 'head', ok: false, detail: details.join('; ') });
  }
  if (!ping) details.push('no live MCP session and no callback_url');
  return record(ctx, { ...base, method: ping ? 'ping' : 'none', ok: false, detail: details.join('; ') });
}

function record(ctx: SandboxContext, r: Omit<ProbeResult, 'at'>): ProbeResult {
  const result = { ...r, at: new Date().toISOString() };
  ctx.store.recordProbe(result);
  return result;
}
