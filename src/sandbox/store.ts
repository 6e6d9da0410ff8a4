// The sandbox's marketplace state: agents (with their keys), hirings and their
// history (deliveries, probe, webhooks, chunks), and the escrow ledger. Every
// change to a hiring is announced on `events` ('hiring') so MCP sessions can
// notify subscribers and tests can wait on it.
import { EventEmitter } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { isActiveStatus, isTerminalStatus } from '../shared/protocol';
import { registerSecret } from '../shared/redact';
import { authHeader } from './http';
import { Ledger } from './money';
import type {
  AgentInput,
  AgentView,
  Chunk,
  DeliveryAttempt,
  PlatformHiring,
  PlatformMessage,
  ProbeResult,
  SandboxHiring,
  StoredArtifact,
  WebhookAttempt,
} from './types';

export interface AgentRecord {
  view: AgentView;
  apiKey: string;
  webhookSecret: string;
}

export interface HiringRecord {
  hiring: PlatformHiring;
  cents: number;
  artifacts: StoredArtifact[];
  chunks: Chunk[];
  deliveries: DeliveryAttempt[];
  probe?: ProbeResult;
  webhooks: WebhookAttempt[];
  clientIdempotencyKey?: string;
  /** False until the availability probe passed: the agent neither sees nor hears of it before. */
  dispatched: boolean;
}

export type HiringChange = 'created' | 'status' | 'message' | 'chunk';

export interface HiringEvent {
  id: string;
  agentId: string;
  status: string;
  change: HiringChange;
  /** Whether the agent has been given this hiring (only then are its sessions notified). */
  dispatched: boolean;
}

const now = () => new Date().toISOString();

export class MarketStore {
  readonly events = new EventEmitter();
  readonly ledger: Ledger;
  private readonly agents = new Map<string, AgentRecord>();
  private readonly byKey = new Map<string, string>();
  private readonly hirings = new Map<string, HiringRecord>();
  readonly probes: ProbeResult[] = [];
  readonly webhooks: WebhookAttempt[] = [];
  readonly deliveries: DeliveryAttempt[] = [];

  constructor(startingCents: () => number) {
    this.ledger = new Ledger(startingCents);
    // Tests and benchmarks attach many listeners (one per session, per waiter).
    this.events.setMaxListeners(0);
  }

  addAgent(input: AgentInput, ownerId: string, basePrice: string): AgentRecord {
    const id = randomUUID();
    const apiKey = `agk_${randomBytes(24).toString('base64url')}`;
    const { webhook_secret: givenSecret, ...metadata } = input.metadata ?? {};
    const webhookSecret =
      typeof givenSecret === 'string' && givenSecret.length > 0 ? givenSecret : randomBytes(24).toString('base64url');
    registerSecret(apiKey);
    registerSecret(webhookSecret);
    registerSecret(authHeader(metadata.callback_auth_header)?.[1]);
    const view: AgentView = {
      id,
      name: input.name ?? `agent-${id.slice(0, 8)}`,
      description: input.description ?? '',
      capabilities: input.capabilities ?? ['coding'],
      category: input.category ?? 'coding',
      pricing_model: input.pricing_model ?? 'fixed',
      base_price: basePrice,
      provider: input.provider ?? null,
      model: input.model ?? null,
      owner_id: ownerId,
      metadata,
      created_at: now(),
      last_seen_at: null,
    };
    const record = { view, apiKey, webhookSecret };
    this.agents.set(id, record);
    this.byKey.set(apiKey, id);
    return record;
  }

  agent(id: string): AgentRecord | undefined {
    return this.agents.get(id);
  }

  agentByKey(key: string | undefined): AgentRecord | undefined {
    const id = key === undefined ? undefined : this.byKey.get(key);
    return id === undefined ? undefined : this.agents.get(id);
  }

  allAgents(): AgentRecord[] {
    return [...this.agents.values()];
  }

  addHiring(record: HiringRecord): void {
    this.hirings.set(record.hiring.id, record);
    this.ledger.hold(record.hiring.customer_id, record.cents);
    this.announce(record, 'created');
  }

  get(id: string): HiringRecord | undefined {
    return this.hirings.get(id);
  }

  all(): HiringRecord[] {
    return [...this.hirings.values()];
  }

  byClientKey(customerId: string, key: string): HiringRecord | undefined {
    return this.all().find((r) => r.hiring.customer_id === customerId && r.clientIdempotencyKey === key);
  }

  /** The agent's dispatched active hirings (paid / queued / in_progress), oldest first. */
  active(agentId: string): HiringRecord[] {
    return this.all().filter((r) => r.dispatched && r.hiring.agent_id === agentId && isActiveStatus(r.hiring.status));
  }

  /** Hands the hiring to the agent (probe passed) in the given status; always announced. */
  dispatch(r: HiringRecord, status: string): void {
    r.dispatched = true;
    this.setStatus(r, status);
  }

  setStatus(r: HiringRecord, status: string): void {
    const at = now();
    r.hiring.status = status;
    r.hiring.updated_at = at;
    if (status === 'in_progress' && r.hiring.started_at === null) r.hiring.started_at = at;
    this.announce(r, 'status');
  }

  complete(r: HiringRecord, output: unknown, artifacts: StoredArtifact[]): void {
    const at = now();
    Object.assign(r.hiring, { status: 'completed', task_output: output, completed_at: at, updated_at: at });
    r.artifacts.push(...artifacts);
    r.hiring.artifacts = r.artifacts.map(({ content: _content, ...ref }) => ref);
    this.ledger.release(r.hiring.agent_id, r.cents);
    this.announce(r, 'status');
  }

  /** Failure or cancellation: terminal, escrow refunded to the hirer. */
  endWithRefund(r: HiringRecord, status: 'failed' | 'cancelled', reason: string | null): void {
    if (isTerminalStatus(r.hiring.status)) return;
    const at = now();
    Object.assign(r.hiring, { status, failed_reason: reason, updated_at: at });
    if (status === 'failed') r.hiring.failed_at = at;
    this.ledger.refund(r.hiring.customer_id, r.cents);
    this.announce(r, 'status');
  }

  addMessage(
    r: HiringRecord,
    sender: 'client' | 'agent',
    content: string,
    kind: PlatformMessage['kind'],
  ): PlatformMessage {
    const message: PlatformMessage = { id: randomUUID(), kind, sender_type: sender, content, created_at: now() };
    r.hiring.messages.push(message);
    r.hiring.updated_at = message.created_at;
    this.announce(r, 'message');
    return message;
  }

  addChunk(r: HiringRecord, content: string, kind: string): Chunk {
    const chunk = { content, kind, at: now() };
    r.chunks.push(chunk);
    this.announce(r, 'chunk');
    return chunk;
  }

  recordDelivery(attempt: DeliveryAttempt): void {
    this.deliveries.push(attempt);
    this.hirings.get(attempt.hiringId)?.deliveries.push(attempt);
    this.events.emit('delivery', attempt);
  }

  recordProbe(result: ProbeResult): void {
    this.probes.push(result);
    const r = this.hirings.get(result.hiringId);
    if (r) r.probe = result;
    this.events.emit('probe', result);
  }

  recordWebhook(attempt: WebhookAttempt): void {
    this.webhooks.push(attempt);
    this.hirings.get(attempt.hiringId)?.webhooks.push(attempt);
    this.events.emit('webhook', attempt);
  }

  view(r: HiringRecord): SandboxHiring {
    const h = r.hiring;
    return {
      id: h.id,
      agentId: h.agent_id,
      customerId: h.customer_id,
      status: h.status,
      deliveryMode: h.delivery_mode,
      price: h.price,
      output: h.task_output,
      artifacts: r.artifacts.map((a) => ({ ...a })),
      messages: h.messages.map((m) => ({ ...m })),
      chunks: r.chunks.map((c) => ({ ...c })),
      failedReason: h.failed_reason,
      deliveries: r.deliveries.map((d) => ({ ...d })),
      ...(r.probe ? { probe: { ...r.probe } } : {}),
      webhooks: r.webhooks.map((w) => ({ ...w })),
      hiring: structuredClone(h),
    };
  }

  private announce(r: HiringRecord, change: HiringChange): void {
    const event: HiringEvent = {
      id: r.hiring.id,
      agentId: r.hiring.agent_id,
      status: r.hiring.status,
      change,
      dispatched: r.dispatched,
    };
    this.events.emit('hiring', event);
  }
}
