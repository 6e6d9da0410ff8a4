// The relay's downstream MCP server on loopback: Streamable HTTP at /mcp and
// Agrenting-shaped legacy HTTP+SSE at /mcp/sse + /mcp/messages/<id>. Every
// request passes the Host/Origin check, then is authenticated by its token;
// a session only answers the token that opened it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { answerClientError } from '../../shared/client-error';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../../shared/log';
import { describeCaller, type Caller, type RelayCore } from '../types';
import { TokenRoles, callerKey, hostOriginProblem, type DownstreamTokens } from './auth';
import { rpcError, sendEnvelope, sendJson } from './http';
import { LEGACY_MESSAGES_PREFIX, LEGACY_SSE_PATH, LegacyRoute } from './legacy-route';
import { createMcpServer } from './mcp-server';
import type { RouteDeps } from './route-deps';
import { SessionRegistry, type DownstreamSession } from './sessions';
import { StreamableRoute } from './streamable-route';
import { DEFAULT_RELAY_PORT } from '../../shared/constants';

export const STREAMABLE_PATH = '/mcp';

export interface DownstreamServerOptions {
  core: RelayCore;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7391; 0 picks a free port (tests). */
  port?: number;
  tokens: DownstreamTokens;
  /** Extra Host names (with or without port) the server answers to, beside loopback. */
  allowedHosts?: string[];
  log?: Logger;
  /** Interval of keep-alive comments on SSE streams; 0 turns them off. Default 15 s. */
  keepAliveMs?: number;
  /** Largest request body accepted. Default 64 MiB (50 artifacts of up to 1 MiB fit). */
  maxBodyBytes?: number;
  /** A legacy SSE client with this much unread is dropped. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** A Streamable HTTP session with no open stream and no request for this long is closed. Default 30 min. */
  sessionIdleMs?: number;
}

export interface DownstreamServer {
  /** Base URL, e.g. http://127.0.0.1:7391; MCP lives at `${url}/mcp` and `${url}/mcp/sse`. */
  url: string;
  port: number;
  close(): Promise<void>;
  sessionCount(): number;
}

const UNAUTHORIZED_HINT =
  'Send the relay token as X-API-Key (or Api-Key, or Authorization: Bearer). The tokens are in relay.json in the relay state directory.';

export async function startDownstreamServer(opts: DownstreamServerOptions): Promise<DownstreamServer> {
  const log = opts.log ?? createLogger('downstream');
  const host = opts.host ?? '127.0.0.1';
  const roles = new TokenRoles(opts.tokens);
  const registry = new SessionRegistry(log);
  const idleMs = opts.sessionIdleMs ?? 30 * 60_000;
  let port = 0;

  const findSession = <K extends DownstreamSession['kind']>(
    id: string,
    caller: Caller,
    kind: K,
    res: ServerResponse,
  ) => {
    const s = registry.get(id);
    if (!s || s.kind !== kind) {
      if (kind === 'legacy') {
        sendEnvelope(
          res,
          404,
          'NOT_FOUND',
          `Unknown or expired session ${id}; open a new one with GET ${LEGACY_SSE_PATH}.`,
        );
      } else {
        sendJson(
          res,
          404,
          rpcError(-32001, `Session not found: ${id}. Start a new session with an initialize request.`),
        );
      }
      return undefined;
    }
    if (callerKey(s.caller) !== callerKey(caller)) {
      sendEnvelope(
        res,
        403,
        'FORBIDDEN',
        `Session ${id} belongs to ${describeCaller(s.caller)}; use the token that opened it.`,
      );
      return undefined;
    }
    return s as Extract<DownstreamSession, { kind: K }>;
  };

  const deps: RouteDeps = {
    registry,
    log,
    keepAliveMs: opts.keepAliveMs ?? 15_000,
    maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024 * 1024,
    maxBufferedBytes: opts.maxBufferedBytes ?? 8 * 1024 * 1024,
    newServer: (caller, subscriptions) => createMcpServer({ core: opts.core, caller, subscriptions, log }),
    stalled: (session, bytesWaiting) =>
      log.warn('a client stopped reading its stream; its session is closed', { session, bytesWaiting }),
    findSession,
  };
  const streamable = new StreamableRoute(deps);
  const legacy = new LegacyRoute(deps);

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://relay.invalid').pathname;
    const problem = hostOriginProblem(req.headers, port, opts.allowedHosts);
    if (problem) {
      log.warn('refused request', { method: req.method, path, why: problem });
      return sendEnvelope(res, 403, 'FORBIDDEN', problem);
    }
    const isMcp = path === STREAMABLE_PATH || path === LEGACY_SSE_PATH || path.startsWith(LEGACY_MESSAGES_PREFIX);
    if (!isMcp) {
      return sendEnvelope(
        res,
        404,
        'NOT_FOUND',
        `Nothing at ${path}; MCP is served at ${STREAMABLE_PATH} and ${LEGACY_SSE_PATH}.`,
      );
    }
    const caller = roles.callerFor(req.headers);
    if (!caller) {
      return sendEnvelope(res, 401, 'UNAUTHORIZED', `Missing or unknown relay token. ${UNAUTHORIZED_HINT}`, {
        'WWW-Authenticate': 'Bearer realm="agrenting-relay"',
      });
    }
    if (path === STREAMABLE_PATH) return streamable.handle(req, res, caller);
    if (path === LEGACY_SSE_PATH) {
      if (req.method !== 'GET') {
        return sendEnvelope(res, 405, 'METHOD_NOT_ALLOWED', `Use GET on ${LEGACY_SSE_PATH}.`, { Allow: 'GET' });
      }
      return legacy.open(res, caller);
    }
    const id = decodeURIComponent(path.slice(LEGACY_MESSAGES_PREFIX.length));
    if (req.method !== 'POST' || id === '' || id.includes('/')) {
      return sendEnvelope(
        res,
        405,
        'METHOD_NOT_ALLOWED',
        `POST JSON-RPC messages to ${LEGACY_MESSAGES_PREFIX}<session id>.`,
        { Allow: 'POST' },
      );
    }
    return legacy.post(req, res, caller, id);
  };

  const http = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      log.error('request failed', { method: req.method, url: req.url, error: err });
      if (!res.headersSent) {
        sendEnvelope(res, 500, 'INTERNAL_ERROR', 'The relay failed to handle this request; its log has details.');
      } else if (!res.writableEnded) res.end();
    });
  });
  http.on('clientError', answerClientError);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? DEFAULT_RELAY_PORT, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;

  const unsubscribe = opts.core.subscribe((event) => {
    try {
      registry.publish(event);
    } catch (err) {
      log.error('fan-out failed', { event: event.type, error: err });
    }
  });
  const sweeper = setInterval(() => registry.sweepIdle(idleMs), Math.max(10, Math.min(idleMs, 60_000)));
  sweeper.unref();

  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  log.info('downstream MCP server listening', { url });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    sessionCount: () => registry.size,
    close: () => {
      closing ??= (async () => {
        unsubscribe();
        clearInterval(sweeper);
        await registry.closeAll();
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
