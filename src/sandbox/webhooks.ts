// Legacy "Bridge Worker" delivery (§7): each accepted hiring is POSTed to the
// agent's callback_url with its callback_auth_header and an X-Webhook-Signature
// (base64 HMAC-SHA256 of the raw body). Non-2xx and network errors are retried
// with doubling backoff, so receivers see duplicates — and a knob adds more.
import { createHmac } from 'node:crypto';
import { HEADER } from '../shared/protocol';
import type { Logger } from '../shared/log';
import { safeError } from '../shared/redact';
import type { Knobs } from './knobs';
import { authHeader } from './http';
import { FaultDice } from './limits';
import type { AgentRecord, HiringRecord, MarketStore } from './store';

export function signWebhook(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

export function webhookPayload(agent: AgentRecord, r: HiringRecord, baseUrl: string): Record<string, unknown> {
  const h = r.hiring;
  return {
    hiring_id: h.id,
    agent_id: h.agent_id,
    worker_matrix_id: agent.view.metadata.worker_matrix_id ?? null,
    task: { description: h.task_description },
    customer_id: h.customer_id,
    price: h.price,
    capability: h.capability_requested,
    task_input: h.task_input,
    client_message: h.client_message,
    deadline_at: h.deadline_at,
    callback: `${baseUrl}/api/v1/hirings/${h.id}/result`,
    timestamp: new Date().toISOString(),
  };
}

export class WebhookSender {
  private readonly inFlight = new Set<AbortController>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly duplicateDice: FaultDice;
  private closed = false;

  constructor(
    private readonly store: MarketStore,
    private readonly knobs: Knobs,
    private readonly baseUrl: () => string,
    private readonly log: Logger,
  ) {
    this.duplicateDice = new FaultDice(() => knobs.faultSeed + 7);
  }

  /** Starts delivery in the background; a no-op for agents without callback_url. */
  deliver(agent: AgentRecord, r: HiringRecord): void {
    const url = agent.view.metadata.callback_url;
    if (typeof url !== 'string' || url.length === 0) return;
    const body = JSON.stringify(webhookPayload(agent, r, this.baseUrl()));
    void this.attempt(agent, r.hiring.id, url, body, 1, false);
  }

  close(): void {
    this.closed = true;
    for (const c of this.inFlight) c.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async attempt(
    agent: AgentRecord,
    hiringId: string,
    url: string,
    body: string,
    n: number,
    duplicate: boolean,
  ): Promise<void> {
    if (this.closed) return;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [HEADER.webhookSignature]: signWebhook(body, agent.webhookSecret),
    };
    const auth = authHeader(agent.view.metadata.callback_auth_header);
    if (auth) headers[auth[0]] = auth[1];
    const abort = new AbortController();
    this.inFlight.add(abort);
    const timeout = setTimeout(() => abort.abort(), this.knobs.webhookTimeoutMs);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: abort.signal });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      error = abort.signal.aborted ? `no answer within ${this.knobs.webhookTimeoutMs} ms` : safeError(e).message;
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(abort);
    }
    if (this.closed) return;
    const ok = status !== undefined && status >= 200 && status < 300;
    this.store.recordWebhook({
      hiringId,
      agentId: agent.view.id,
      attempt: n,
      duplicate,
      ...(status !== undefined ? { status } : {}),
      ...(error ? { error } : {}),
      ok,
      at: new Date().toISOString(),
    });
    if (ok) {
      if (!duplicate && this.duplicateDice.roll(this.knobs.webhookDuplicateRate)) {
        void this.attempt(agent, hiringId, url, body, n + 1, true);
      }
      return;
    }
    if (duplicate || n > this.knobs.webhookRetries) {
      if (!duplicate) this.log.warn('webhook delivery gave up', { hiring: hiringId, attempts: n, status, error });
      return;
    }
    const wait = this.knobs.webhookBackoffMs * 2 ** (n - 1);
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(agent, hiringId, url, body, n + 1, false);
    }, wait);
    this.timers.add(t);
  }
}
