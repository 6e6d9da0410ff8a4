// The HTTP+SSE transport of MCP 2024-11-05 as Agrenting serves it:
// `GET /mcp/sse` opens the stream, `POST /mcp/messages/<id>` carries client
// messages. The POST answers 202 (documented) or 200 with the response in the
// body as well as on the stream (the `postAnswer` knob). Expired sessions
// answer 404 or 410 (`sessionExpiry`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { errorEnvelope } from '../shared/protocol';
import { requireAgent } from './auth';
import type { SandboxContext } from './context';
import { delay, readBody, sendError, sendJson } from './http';
import { handleNotification, handleRequest } from './mcp-handlers';

export const SSE_PATH = '/mcp/sse';
export const MESSAGES_PREFIX = '/mcp/messages/';

function originOf(req: IncomingMessage, ctx: SandboxContext): string {
  const host = req.headers.host;
  return host ? `http://${host}` : ctx.baseUrl();
}

export function openStream(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): void {
  const agent = requireAgent(ctx, req, res);
  if (!agent) return;
  ctx.sessions.open(res, agent.view.id, originOf(req, ctx));
}

function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', id: null, error: { code, message } });
}

export async function handlePost(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  sessionId: string,
): Promise<void> {
  const agent = requireAgent(ctx, req, res);
  if (!agent) return;
  const found = ctx.sessions.lookup(sessionId);
  if (found.kind === 'expired') {
    return sendJson(
      res,
      found.status,
      errorEnvelope(
        found.status === 410 ? 'GONE' : 'NOT_FOUND',
        `MCP session ${sessionId} has expired; open a new one with GET /mcp/sse.`,
      ),
    );
  }
  if (found.kind === 'unknown') {
    return sendError(res, 'NOT_FOUND', `Unknown MCP session ${sessionId}; open one with GET /mcp/sse.`);
  }
  const session = found.session;
  if (session.agentId !== agent.view.id) {
    return sendError(res, 'FORBIDDEN', 'This MCP session belongs to another agent.');
  }

  let raw: unknown;
  try {
    raw = JSON.parse(await readBody(req));
  } catch (e) {
    return rpcError(res, 400, -32700, `Parse error: ${(e as Error).message}`);
  }
  const batch = Array.isArray(raw);
  const messages: JSONRPCMessage[] = [];
  for (const item of batch ? (raw as unknown[]) : [raw]) {
    const parsed = JSONRPCMessageSchema.safeParse(item);
    if (!parsed.success) return rpcError(res, 400, -32600, 'Invalid Request: not a JSON-RPC 2.0 message');
    messages.push(parsed.data);
  }
  session.touch();
  agent.view.last_seen_at = session.lastSeenAt.toISOString();

  const requests = messages.filter((m) => 'method' in m && 'id' in m);
  for (const m of messages) {
    if ('method' in m && !('id' in m)) handleNotification(session, m);
    else if (!('method' in m)) {
      session.answer(m.id ?? '', 'result' in m ? m.result : undefined, 'error' in m ? m.error : undefined);
    }
  }
  if (requests.length === 0) {
    await delay(ctx.knobs.latencyMs);
    res.writeHead(202).end();
    return;
  }
  const inBody = ctx.knobs.postAnswer === 'body';
  if (!inBody) res.writeHead(202).end();
  const responses = requests.map((m) =>
    handleRequest(ctx, session, m as Extract<JSONRPCMessage, { method: string; id: unknown }>),
  );
  await delay(ctx.knobs.latencyMs);
  for (const r of responses) session.send(r);
  if (inBody) sendJson(res, 200, batch ? responses : responses[0]);
}
