// The agent-side MCP methods (§2): initialize, resources (hiring://pending,
// hiring://{id}, subscribe), tools (the platform's four), prompts, ping.
import type {
  CallToolResult,
  GetPromptResult,
  InitializeResult,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  ListPromptsResult,
  ListResourcesResult,
  ListResourceTemplatesResult,
  ListToolsResult,
  ReadResourceResult,
} from '@modelcontextprotocol/sdk/types.js';
import {
  hiringUri,
  MCP_PROTOCOL_VERSION,
  parseHiringUri,
  PENDING_URI,
  SYSTEM_PROMPT_NAME,
  TOOL,
} from '../shared/protocol';
import { listedTool } from '../shared/json-schema';
import { PLATFORM_TOOLS } from '../shared/tools';
import { hiringFor, isPlatformTool, runAction } from './actions';
import type { SandboxContext } from './context';
import { isRecord } from '../shared/lenient';
import type { McpSession } from './mcp-session';
import { RELAY_VERSION } from '../shared/version';

const JSONRPC_INVALID_PARAMS = -32602;
const JSONRPC_METHOD_NOT_FOUND = -32601;
const MCP_RESOURCE_NOT_FOUND = -32002;

export const SERVER_INFO = { name: 'agrenting-sandbox', version: RELAY_VERSION };

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function readIdempotencyKey(params: Record<string, unknown> | undefined): string | undefined {
  const m = params?._meta;
  if (!isRecord(m)) return undefined;
  const key = m.idempotency_key ?? m.idempotencyKey;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

function textResult(value: unknown, isError = false): CallToolResult {
  return {
    content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }],
    ...(isError ? { isError: true } : {}),
  };
}

function callTool(ctx: SandboxContext, session: McpSession, params: Record<string, unknown>): CallToolResult {
  const name = typeof params.name === 'string' ? params.name : '';
  if (!isPlatformTool(name)) {
    return textResult(`Unknown tool "${name}". Tools: ${Object.values(TOOL).join(', ')}.`, true);
  }
  const args = params.arguments;
  const result = runAction(ctx.store, session.agentId, name, args);
  const hiringId = isRecord(args) && typeof args.hiring_id === 'string' ? args.hiring_id : '';
  const key = readIdempotencyKey(params);
  ctx.store.recordDelivery({
    hiringId,
    agentId: session.agentId,
    tool: name,
    via: 'mcp',
    ...(key ? { idempotencyKey: key } : {}),
    outcome: result.ok ? 'accepted' : 'rejected',
    ...(result.ok ? {} : { error: result.message }),
    at: new Date().toISOString(),
  });
  return result.ok ? textResult(result.value) : textResult(result.message, true);
}

function readResource(ctx: SandboxContext, session: McpSession, uri: string): ReadResourceResult {
  if (uri === PENDING_URI) {
    const list = ctx.store.active(session.agentId).map((r) => r.hiring);
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(list) }] };
  }
  const id = parseHiringUri(uri);
  if (id === undefined) {
    throw new RpcError(MCP_RESOURCE_NOT_FOUND, `Unknown resource ${uri}. Resources: ${PENDING_URI}, hiring://{id}.`);
  }
  const found = hiringFor(ctx.store, session.agentId, id);
  if (!found.ok) throw new RpcError(MCP_RESOURCE_NOT_FOUND, found.message);
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(found.record.hiring) }] };
}

function requireUri(params: Record<string, unknown>): string {
  if (typeof params.uri !== 'string' || params.uri.length === 0) {
    throw new RpcError(JSONRPC_INVALID_PARAMS, 'params.uri (string) is required');
  }
  return params.uri;
}

function dispatch(ctx: SandboxContext, session: McpSession, method: string, params: Record<string, unknown>): unknown {
  switch (method) {
    case 'initialize':
      return {
        protocolVersion: MCP_PROTOCOL_VERSION,
        capabilities: { tools: {}, resources: { subscribe: true }, prompts: {} },
        serverInfo: SERVER_INFO,
        instructions: 'Subscribe to hiring://pending; read it on every notifications/resources/updated.',
      } satisfies InitializeResult;
    case 'ping':
      return {};
    case 'resources/list':
      return {
        resources: [
          {
            uri: PENDING_URI,
            name: 'Pending hirings',
            mimeType: 'application/json',
            description: 'Active hirings assigned to this agent',
          },
          ...ctx.store
            .active(session.agentId)
            .map((r) => ({ uri: hiringUri(r.hiring.id), name: `Hiring ${r.hiring.id}`, mimeType: 'application/json' })),
        ],
      } satisfies ListResourcesResult;
    case 'resources/templates/list':
      return {
        resourceTemplates: [{ uriTemplate: 'hiring://{id}', name: 'Hiring', mimeType: 'application/json' }],
      } satisfies ListResourceTemplatesResult;
    case 'resources/read':
      return readResource(ctx, session, requireUri(params));
    case 'resources/subscribe':
      session.subscriptions.add(requireUri(params));
      return {};
    case 'resources/unsubscribe':
      session.subscriptions.delete(requireUri(params));
      return {};
    case 'tools/list':
      return {
        tools: PLATFORM_TOOLS.map(listedTool),
      } satisfies ListToolsResult;
    case 'tools/call':
      return callTool(ctx, session, params);
    case 'prompts/list':
      return {
        prompts: [{ name: SYSTEM_PROMPT_NAME, description: "The marketplace's system prompt for agents" }],
      } satisfies ListPromptsResult;
    case 'prompts/get':
      if (params.name !== SYSTEM_PROMPT_NAME) {
        throw new RpcError(
          JSONRPC_INVALID_PARAMS,
          `Unknown prompt "${String(params.name)}". Prompts: ${SYSTEM_PROMPT_NAME}.`,
        );
      }
      return {
        description: "The marketplace's system prompt for agents",
        messages: [{ role: 'user', content: { type: 'text', text: ctx.systemPrompt } }],
      } satisfies GetPromptResult;
    default:
      throw new RpcError(JSONRPC_METHOD_NOT_FOUND, `Method not found: ${method}`);
  }
}

/** Answers one client request; errors become JSON-RPC errors, tool failures `isError` results. */
export function handleRequest(ctx: SandboxContext, session: McpSession, req: JSONRPCRequest): JSONRPCMessage {
  try {
    const result = dispatch(ctx, session, req.method, (req.params ?? {}) as Record<string, unknown>);
    return { jsonrpc: '2.0', id: req.id, result: result as Record<string, unknown> };
  } catch (e) {
    const code = e instanceof RpcError ? e.code : -32603;
    const message = e instanceof RpcError ? e.message : 'Internal error in the sandbox';
    if (!(e instanceof RpcError)) ctx.log.error('MCP request failed', { method: req.method, error: e });
    return { jsonrpc: '2.0', id: req.id, error: { code, message } };
  }
}

/** Both spellings of the initialized notification are accepted (§1 step 3). */
export function handleNotification(session: McpSession, note: JSONRPCNotification): void {
  if (note.method === 'notifications/initialized' || note.method === 'initialized') session.initialized = true;
}
