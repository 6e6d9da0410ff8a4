// The sandbox's one HTTP server: git hosting first (/git, /api/v3), then MCP
// (/mcp/sse, /mcp/messages/<id>), REST (/api/v1) and inspection (/_sandbox).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { answerClientError } from '../shared/client-error';
import { identify, requireUser } from './auth';
import type { SandboxContext } from './context';
import { delay, sendError, sendJson } from './http';
import { handleHirerRest } from './hirer';
import { sandboxPage, sandboxState } from './inspect';
import { handlePost, MESSAGES_PREFIX, openStream, SSE_PATH } from './mcp-transport';
import { handleAgentRest } from './rest';

/** The wrong credential for a known route is a 401 naming the right one; anything else is 404. */
function unrouted(res: ServerResponse, who: 'agent' | 'user', method: string, path: string, parts: string[]): void {
  const agentRoute =
    parts[0] === 'hirings' && (parts[1] === 'pending' || parts[2] === 'result' || parts[2] === 'failure');
  const userRoute = parts[0] === 'agents' || parts[2] === 'cancel';
  if (who === 'agent' && userRoute) {
    return sendError(
      res,
      'UNAUTHORIZED',
      `${method} ${path} needs the user token (Authorization: Bearer ap_...), not an agent key.`,
    );
  }
  if (who === 'user' && agentRoute) {
    return sendError(res, 'UNAUTHORIZED', `${method} ${path} needs an agent API key, not the user token.`);
  }
  sendError(res, 'NOT_FOUND', `No route ${method} ${path}.`);
}

async function route(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (await ctx.git.handle(req, res)) return;
  const path = new URL(req.url ?? '/', 'http://sandbox.invalid').pathname;
  const method = req.method ?? 'GET';

  if (path === SSE_PATH && method === 'GET') return openStream(ctx, req, res);
  if (path.startsWith(MESSAGES_PREFIX) && method === 'POST') {
    return handlePost(ctx, req, res, decodeURIComponent(path.slice(MESSAGES_PREFIX.length)));
  }

  if (path.startsWith('/api/v1/')) {
    const parts = path
      .slice('/api/v1/'.length)
      .split('/')
      .filter((p) => p.length > 0);
    const caller = identify(ctx, req);
    if (!caller) return void requireUser(ctx, req, res);
    const handled =
      caller.kind === 'agent'
        ? await handleAgentRest(ctx, req, res, caller.agent, parts)
        : await handleHirerRest(ctx, req, res, caller.customerId, parts);
    if (!handled) unrouted(res, caller.kind, method, path, parts);
    return;
  }

  if (path === '/_sandbox/state' || path === '/_sandbox') {
    if (!requireUser(ctx, req, res)) return;
    await delay(ctx.knobs.latencyMs);
    const state = sandboxState(ctx, { maskSecrets: true });
    if (path === '/_sandbox/state') return sendJson(res, 200, state);
    const html = sandboxPage(state, { ...ctx.knobs });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    return;
  }
  if (path === '/' && method === 'GET') {
    return sendJson(res, 200, {
      name: 'agrenting-sandbox',
      mcp: `${ctx.baseUrl()}${SSE_PATH}`,
      api: `${ctx.baseUrl()}/api/v1`,
      inspect: `${ctx.baseUrl()}/_sandbox`,
    });
  }
  sendError(res, 'NOT_FOUND', `No route ${method} ${path}.`);
}

export function createSandboxServer(ctx: SandboxContext): Server {
  const server = createServer((req, res) => {
    route(ctx, req, res).catch((e: unknown) => {
      ctx.log.error('request failed', { method: req.method, path: req.url, error: e });
      if (!res.headersSent) sendError(res, 'INTERNAL_ERROR', 'Internal error in the sandbox.');
      else res.destroy();
    });
  });
  server.on('clientError', answerClientError);
  return server;
}
