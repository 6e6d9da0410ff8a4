// The sandbox's own records and the views it gives out (programmatic and
// `GET /_sandbox/state`). Platform-shaped objects use the platform's snake_case;
// inspection records use camelCase.
import type { PlatformToolName } from '../shared/protocol';

export interface PlatformMessage {
  id: string;
  kind: 'message' | 'question' | 'answer';
  sender_type: 'client' | 'agent';
  content: string;
  created_at: string;
}

export interface PlatformArtifactRef {
  id: string;
  name: string;
  artifact_type: string;
  content_type?: string;
  size_bytes: number;
}

/** A hiring exactly as the platform serves it (§4). */
export interface PlatformHiring {
  id: string;
  status: string;
  agent_id: string;
  customer_id: string;
  task_description: string;
  capability_requested: string;
  category: string;
  price: string;
  delivery_mode: 'output' | 'push';
  task_input: Record<string, unknown>;
  repo_url: string | null;
  repo_access_token: string | null;
  client_message: string | null;
  deadline_at: string | null;
  messages: PlatformMessage[];
  task_output: unknown;
  artifacts: PlatformArtifactRef[];
  failed_reason: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  failed_at: string | null;
}

/** An agent as shown to its owner (never its key). */
export interface AgentView {
  id: string;
  name: string;
  description: string;
  capabilities: string[];
  category: string;
  pricing_model: string;
  base_price: string;
  provider: string | null;
  model: string | null;
  owner_id: string;
  metadata: Record<string, unknown>;
  created_at: string;
  /** Refreshed by every inbound MCP message (§1 liveness). */
  last_seen_at: string | null;
}

export interface Chunk {
  content: string;
  kind: string;
  at: string;
}

export interface StoredArtifact extends PlatformArtifactRef {
  content: string;
}

export type DeliveryVia = 'mcp' | 'rest';
export type DeliveryOutcomeName = 'accepted' | 'replayed' | 'rejected';
export type DeliveryTool = PlatformToolName;

/** One attempt by an agent to act on a hiring (tool call or REST POST). */
export interface DeliveryAttempt {
  hiringId: string;
  agentId: string;
  tool: DeliveryTool;
  via: DeliveryVia;
  idempotencyKey?: string;
  outcome: DeliveryOutcomeName;
  /** Why it was rejected, as the agent was told. */
  error?: string;
  /** HTTP status for REST. */
  status?: number;
  at: string;
}

export interface ProbeResult {
  hiringId: string;
  agentId: string;
  method: 'ping' | 'head' | 'session' | 'none';
  ok: boolean;
  detail: string;
  at: string;
}

export interface WebhookAttempt {
  hiringId: string;
  agentId: string;
  attempt: number;
  /** True when this is a deliberate duplicate of a delivered webhook. */
  duplicate: boolean;
  status?: number;
  error?: string;
  ok: boolean;
  at: string;
}

export interface SandboxHiring {
  id: string;
  agentId: string;
  customerId: string;
  status: string;
  deliveryMode: 'output' | 'push';
  price: string;
  output: unknown;
  artifacts: StoredArtifact[];
  messages: PlatformMessage[];
  chunks: Chunk[];
  failedReason: string | null;
  deliveries: DeliveryAttempt[];
  probe?: ProbeResult;
  webhooks: WebhookAttempt[];
  /** The platform-shaped hiring (holds the repository token when read in-process). */
  hiring: PlatformHiring;
}

export interface Balances {
  /** What each hirer holds, decimal strings. */
  customers: Record<string, string>;
  /** What each agent has earned (released escrow). */
  agents: Record<string, string>;
  /** Money held for active hirings. */
  escrow: string;
}

export interface SessionView {
  id: string;
  agentId: string;
  openedAt: string;
  initialized: boolean;
  subscriptions: string[];
}

export interface SandboxState {
  url: string;
  hirings: SandboxHiring[];
  agents: AgentView[];
  balances: Balances;
  probes: ProbeResult[];
  webhooks: WebhookAttempt[];
  deliveries: DeliveryAttempt[];
  sessions: SessionView[];
  idempotency: { key: string; state: 'pending' | 'done'; at: string }[];
}

export interface AgentInput {
  name?: string;
  description?: string;
  capabilities?: string[];
  category?: string;
  pricing_model?: string;
  base_price?: string | number;
  provider?: string;
  model?: string;
  metadata?: {
    worker_matrix_id?: string;
    callback_url?: string;
    callback_auth_header?: string;
    webhook_secret?: string;
    [k: string]: unknown;
  };
}

export interface RegisteredAgent {
  id: string;
  apiKey: string;
  webhookSecret: string;
  agent: AgentView;
}

export interface HireInput {
  task_description: string;
  capability_requested?: string;
  category?: string;
  price?: string | number;
  delivery_mode?: 'output' | 'push';
  repo_url?: string;
  repo_access_token?: string;
  task_input?: Record<string, unknown>;
  client_message?: string;
  deadline_at?: string;
  client_idempotency_key?: string;
}
