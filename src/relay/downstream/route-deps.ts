// What the two transport routes share with the server that owns them.
import type { ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Logger } from '../../shared/log';
import type { Caller } from '../types';
import type { DownstreamSession, SessionRegistry } from './sessions';

export interface RouteDeps {
  registry: SessionRegistry;
  log: Logger;
  keepAliveMs: number;
  maxBodyBytes: number;
  maxBufferedBytes: number;
  newServer(caller: Caller, subscriptions: Set<string>): Server;
  /** Says (once) that a session's client stopped reading its stream, which is then closed. */
  stalled(sessionId: string, bytesWaiting: number): void;
  /**
   * The session with this id and kind, opened by this same caller; otherwise answers the request
   * itself (404 unknown session, 403 another token's session) and returns undefined.
   */
  findSession<K extends DownstreamSession['kind']>(
    id: string,
    caller: Caller,
    kind: K,
    res: ServerResponse,
  ): Extract<DownstreamSession, { kind: K }> | undefined;
}
