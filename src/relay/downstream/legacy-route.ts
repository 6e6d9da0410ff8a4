// Legacy HTTP+SSE with Agrenting's paths: GET /mcp/sse opens a session,
// POST /mcp/messages/<id> carries its messages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../types';
import { readJsonBody, sendJson } from './http';
import { LegacySseTransport } from './legacy-sse';
import type { RouteDeps } from './route-deps';
import type { DownstreamSession } from './sessions';

export const LEGACY_SSE_PATH = '/mcp/sse';
export const LEGACY_MESSAGES_PREFIX = '/mcp/messages/';

export class LegacyRoute {
  constructor(private readonly deps: RouteDeps) {}

  async open(res: ServerResponse, caller: Caller): Promise<void> {
    const subscriptions = new Set<string>();
    const transport = new LegacySseTransport(res, {
      keepAliveMs: this.deps.keepAliveMs,
      maxBufferedBytes: this.deps.maxBufferedBytes,
      endpointFor: (id) => `${LEGACY_MESSAGES_PREFIX}${id}`,
      onStalled: (bytes) => this.deps.stalled(transport.sessionId, bytes),
    });
    const server = this.deps.newServer(caller, subscriptions);
    const session: DownstreamSession = {
      id: transport.sessionId,
      kind: 'legacy',
      transport,
      caller,
      server,
      subscriptions,
      lastSeenAt: Date.now(),
      openStreams: 1,
    };
    server.onclose = () => this.deps.registry.remove(session.id);
    server.onerror = (err) => this.deps.log.debug('legacy session error', { session: session.id, error: err });
    this.deps.registry.add(session);
    await server.connect(transport);
    // The client may have gone before the stream was set up; then 'close' has already fired.
    if (res.destroyed) await transport.close();
  }

  async post(req: IncomingMessage, res: ServerResponse, caller: Caller, sessionId: string): Promise<void> {
    const session = this.deps.findSession(sessionId, caller, 'legacy', res);
    if (!session) return;
    const body = await readJsonBody(req, res, this.deps.maxBodyBytes);
    if (!body) return;
    session.lastSeenAt = Date.now();
    const answer = await session.transport.handlePost(body.value, { requestInfo: { headers: req.headers } });
    if (res.destroyed) return;
    if (answer.body === undefined) res.writeHead(answer.status).end();
    else sendJson(res, answer.status, answer.body);
  }
}
