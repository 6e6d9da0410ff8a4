// Streamable HTTP at /mcp: POST initialize opens a session (Mcp-Session-Id), later
// POSTs carry requests, GET opens the notification stream, DELETE ends the session.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../types';
import { headerOf, readJsonBody, rpcError, sendJson } from './http';
import type { RouteDeps } from './route-deps';
import type { DownstreamSession } from './sessions';

const SESSION_HEADER = 'mcp-session-id';

function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

export class StreamableRoute {
  constructor(private readonly deps: RouteDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
    const sid = headerOf(req, SESSION_HEADER);
    if (req.method === 'POST') {
      const body = await readJsonBody(req, res, this.deps.maxBodyBytes);
      if (!body) return;
      if (sid === undefined) {
        if (!isInitialize(body.value)) {
          sendJson(
            res,
            400,
            rpcError(
              ErrorCode.ConnectionClosed,
              'Bad Request: no Mcp-Session-Id header. Start a session with an initialize request.',
            ),
          );
          return;
        }
        await this.open(req, res, caller, body.value);
        return;
      }
      const session = this.deps.findSession(sid, caller, 'streamable', res);
      if (!session) return;
      session.lastSeenAt = Date.now();
      await session.transport.handleRequest(req, res, body.value);
      return;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (sid === undefined) {
        sendJson(res, 400, rpcError(ErrorCode.ConnectionClosed, 'Bad Request: the Mcp-Session-Id header is required.'));
        return;
      }
      const session = this.deps.findSession(sid, caller, 'streamable', res);
      if (!session) return;
      session.lastSeenAt = Date.now();
      if (req.method === 'GET') {
        session.openStreams += 1;
        res.on('close', () => {
          session.openStreams -= 1;
          session.lastSeenAt = Date.now();
        });
        this.bound(res, session);
      }
      await session.transport.handleRequest(req, res);
      return;
    }
    sendJson(res, 405, rpcError(ErrorCode.ConnectionClosed, 'Method not allowed: use POST, GET or DELETE on /mcp.'), {
      Allow: 'GET, POST, DELETE',
    });
  }

  /**
   * A client that stops reading its notification stream must not hold the relay's memory: past maxBufferedBytes
   * waiting in the socket the stream is cut and the session closed (the client starts a new one).
   */
  private bound(res: ServerResponse, session: DownstreamSession): void {
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    let cut = false;
    res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      if (cut) return false;
      if (res.writableLength > this.deps.maxBufferedBytes) {
        cut = true;
        this.deps.stalled(session.id, res.writableLength);
        res.destroy();
        void session.server.close();
        return false;
      }
      return write(chunk, ...rest);
    }) as typeof res.write;
  }

  private async open(req: IncomingMessage, res: ServerResponse, caller: Caller, body: unknown): Promise<void> {
    const subscriptions = new Set<string>();
    const server = this.deps.newServer(caller, subscriptions);
    let session: DownstreamSession | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      keepAliveMs: this.deps.keepAliveMs,
      onsessioninitialized: (id) => {
        session = {
          id,
          kind: 'streamable',
          transport,
          caller,
          server,
          subscriptions,
          lastSeenAt: Date.now(),
          openStreams: 0,
        };
        this.deps.registry.add(session);
      },
    });
    server.onclose = () => {
      if (session) this.deps.registry.remove(session.id);
    };
    server.onerror = (err) => this.deps.log.debug('streamable session error', { session: session?.id, error: err });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // An initialize the transport refused leaves no session behind.
    if (!session) await server.close();
  }
}
