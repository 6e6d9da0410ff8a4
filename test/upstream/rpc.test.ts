// RpcSession over an in-memory Transport: dedupe, server requests, retries of a ping answer.
import { describe, expect, it } from 'vitest';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { memoryLogger } from '../../src/shared/log';
import { HttpError } from '../../src/relay/upstream/errors';
import { RpcSession } from '../../src/relay/upstream/rpc';

class MemoryTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  sent: JSONRPCMessage[] = [];
  failures: Error[] = [];
  async start(): Promise<void> {}
  async send(message: JSONRPCMessage): Promise<void> {
    const f = this.failures.shift();
    if (f) throw f;
    this.sent.push(message);
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
  deliver(m: JSONRPCMessage): void {
    this.onmessage?.(m);
  }
}

const flush = () => new Promise((r) => setImmediate(r));

describe('RpcSession', () => {
  it('settles a request once when its response arrives twice', async () => {
    const t = new MemoryTransport();
    const log = memoryLogger();
    const rpc = new RpcSession(t, log);
    const p = rpc.request('resources/read', { uri: 'hiring://pending' }, 1000);
    await flush();
    const id = (t.sent[0] as { id: number }).id;
    t.deliver({ jsonrpc: '2.0', id, result: { contents: [] } });
    t.deliver({ jsonrpc: '2.0', id, result: { contents: ['second'] } });
    await expect(p).resolves.toEqual({ contents: [] });
    expect(log.lines.filter((l) => l.includes('dropped a response'))).toHaveLength(1);
  });

  it('answers a ping again when the first POST failed on the network', async () => {
    const t = new MemoryTransport();
    const rpc = new RpcSession(t, memoryLogger());
    t.failures.push(new Error('socket hang up'));
    t.deliver({ jsonrpc: '2.0', id: 'srv-9', method: 'ping' });
    await flush();
    await flush();
    expect(t.sent).toEqual([{ jsonrpc: '2.0', id: 'srv-9', result: {} }]);
    expect(rpc.pingsAnswered).toBe(1);
  });

  it('does not retry a ping answer the platform refused over HTTP', async () => {
    const t = new MemoryTransport();
    const log = memoryLogger();
    const rpc = new RpcSession(t, log);
    t.failures.push(new HttpError(500, 'boom'));
    t.deliver({ jsonrpc: '2.0', id: 'srv-10', method: 'ping' });
    await flush();
    await flush();
    expect(t.sent).toEqual([]);
    expect(rpc.pingsAnswered).toBe(0);
    expect(log.lines.some((l) => l.includes('could not answer a server request'))).toBe(true);
  });

  it('passes notifications on and survives a throwing handler', async () => {
    const t = new MemoryTransport();
    const log = memoryLogger();
    const rpc = new RpcSession(t, log);
    const got: string[] = [];
    rpc.onNotification = (n) => {
      got.push(n.method);
      throw new Error('handler bug');
    };
    t.deliver({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'hiring://pending' } });
    expect(got).toEqual(['notifications/resources/updated']);
    expect(log.lines.some((l) => l.includes('notification handler failed'))).toBe(true);
  });
});
