// What the sandbox recorded, for tests and people: `GET /_sandbox/state` (JSON)
// and `GET /_sandbox` (a small HTML page). Agent keys never appear; over HTTP
// repository tokens are masked too.
import { splitUrlCredentials } from '../shared/hiring';
import type { SandboxContext } from './context';
import { escapeHtml } from '../shared/html';
import type { SandboxHiring, SandboxState } from './types';

const MASK = '[secret]';

function maskHiring(h: SandboxHiring): SandboxHiring {
  const hiring = structuredClone(h.hiring);
  if (hiring.repo_access_token) hiring.repo_access_token = MASK;
  if (typeof hiring.task_input.repo_access_token === 'string') hiring.task_input.repo_access_token = MASK;
  // The hirer may have given the token inside the URL (the tutorial's form).
  if (typeof hiring.repo_url === 'string') hiring.repo_url = splitUrlCredentials(hiring.repo_url).url;
  if (typeof hiring.task_input.repo_url === 'string') {
    hiring.task_input.repo_url = splitUrlCredentials(hiring.task_input.repo_url).url;
  }
  return { ...h, hiring };
}

/** A bridge agent's callback header carries its webhook key ("Authorization: ApiKey <key>"). */
function maskAgent<A extends { metadata?: Record<string, unknown> }>(agent: A): A {
  if (typeof agent.metadata?.callback_auth_header !== 'string') return agent;
  const [name] = agent.metadata.callback_auth_header.split(':');
  return { ...agent, metadata: { ...agent.metadata, callback_auth_header: `${name}: ${MASK}` } };
}

export function sandboxState(ctx: SandboxContext, opts: { maskSecrets: boolean }): SandboxState {
  const agents = ctx.store.allAgents().map((a) => structuredClone(a.view));
  const hirings = ctx.store.all().map((r) => ctx.store.view(r));
  return {
    url: ctx.baseUrl(),
    hirings: opts.maskSecrets ? hirings.map(maskHiring) : hirings,
    agents: opts.maskSecrets ? agents.map(maskAgent) : agents,
    balances: ctx.store.ledger.view(
      [ctx.customerId],
      agents.map((a) => a.id),
    ),
    probes: ctx.store.probes.map((p) => ({ ...p })),
    webhooks: ctx.store.webhooks.map((w) => ({ ...w })),
    deliveries: ctx.store.deliveries.map((d) => ({ ...d })),
    sessions: ctx.sessions.views(),
    idempotency: ctx.idempotency.list(),
  };
}

function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '<p><em>none</em></p>';
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c ?? '')}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export function sandboxPage(state: SandboxState, knobs: object): string {
  const b = state.balances;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Agrenting sandbox</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}code{background:#f3f3f3;padding:1px 4px}</style>
</head><body><h1>Agrenting sandbox</h1><p>Base URL <code>${escapeHtml(state.url)}</code>. JSON: <code>/_sandbox/state</code>.</p>
<h2>Agents</h2>${table(
    ['id', 'name', 'callback_url', 'earned'],
    state.agents.map((a) => [a.id, a.name, a.metadata.callback_url ?? '', b.agents[a.id] ?? '0.00']),
  )}
<h2>Hirings</h2>${table(
    ['id', 'agent', 'status', 'mode', 'price', 'task', 'messages', 'chunks', 'deliveries', 'probe', 'failed_reason'],
    state.hirings.map((h) => [
      h.id,
      h.agentId,
      h.status,
      h.deliveryMode,
      h.price,
      h.hiring.task_description.slice(0, 80),
      h.messages.length,
      h.chunks.length,
      h.deliveries.map((d) => `${d.tool}/${d.via}/${d.outcome}`).join(', '),
      h.probe ? `${h.probe.method}:${h.probe.ok ? 'ok' : 'failed'}` : '',
      h.failedReason ?? '',
    ]),
  )}
<h2>Sessions</h2>${table(
    ['id', 'agent', 'opened', 'initialized', 'subscriptions'],
    state.sessions.map((s) => [s.id, s.agentId, s.openedAt, s.initialized, s.subscriptions.join(' ')]),
  )}
<h2>Balances</h2>${table(['account', 'balance'], [...Object.entries(b.customers).map(([k, v]) => [`hirer ${k}`, v]), ['escrow', b.escrow]])}
<h2>Webhook deliveries</h2>${table(
    ['hiring', 'attempt', 'status', 'ok', 'duplicate', 'error', 'at'],
    state.webhooks.map((w) => [w.hiringId, w.attempt, w.status ?? '', w.ok, w.duplicate, w.error ?? '', w.at]),
  )}
<h2>Knobs</h2>${table(['knob', 'value'], Object.entries(knobs))}
</body></html>`;
}
