import { describe, expect, it } from 'vitest';
import {
  JSONRPCMessageSchema,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
} from '@modelcontextprotocol/sdk/types.js';
import { classifyMessage, isJsonRpcMessage } from '../../src/relay/upstream/jsonrpc';

// The SDK's zod schemas are the reference: the structural checks must agree with them.
const samples: unknown[] = [
  { jsonrpc: '2.0', id: 1, method: 'ping' },
  { jsonrpc: '2.0', id: 'a', method: 'ping', params: {} },
  { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'hiring://pending' } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 7, result: {} },
  { jsonrpc: '2.0', id: 'x', result: { contents: [{ uri: 'hiring://pending', text: '[]' }] } },
  { jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'Method not found' } },
  { jsonrpc: '2.0', id: 3, error: { code: -32000, message: 'boom', data: { why: 1 } } },
  { jsonrpc: '1.0', id: 1, method: 'ping' },
  { id: 1, method: 'ping' },
  { jsonrpc: '2.0', id: 1 },
  { jsonrpc: '2.0', id: 1, result: 'text' },
  { jsonrpc: '2.0', id: 1, result: null },
  { jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } },
  { jsonrpc: '2.0', id: 1, error: { code: 1 } },
  { jsonrpc: '2.0', id: { nested: true }, method: 'ping' },
  { jsonrpc: '2.0', id: null, method: 'ping' },
  { jsonrpc: '2.0', method: 5 },
  { jsonrpc: '2.0', method: 'm', params: 'not an object' },
  { jsonrpc: '2.0', method: 'm', params: [1, 2] },
  null,
  'text',
  42,
  [],
  [{ jsonrpc: '2.0', id: 1, method: 'ping' }],
];

describe('classifyMessage (upstream JSON-RPC shapes without zod)', () => {
  it.each(samples.map((s) => [JSON.stringify(s), s]))('agrees with the SDK schema on %s', (_name, sample) => {
    expect(isJsonRpcMessage(sample)).toBe(JSONRPCMessageSchema.safeParse(sample).success);
  });

  it('names the same kind as the SDK guards', () => {
    for (const sample of samples) {
      const c = classifyMessage(sample);
      const sdkKind = isJSONRPCRequest(sample)
        ? 'request'
        : isJSONRPCNotification(sample)
          ? 'notification'
          : isJSONRPCResultResponse(sample)
            ? 'result'
            : isJSONRPCErrorResponse(sample)
              ? 'error'
              : undefined;
      expect(c?.kind, JSON.stringify(sample)).toBe(sdkKind);
    }
  });

  it('keeps the message itself (no copy) so ids and params arrive as sent', () => {
    const m = { jsonrpc: '2.0', id: 9, method: 'ping', params: { x: 1 } };
    expect(classifyMessage(m)?.msg).toBe(m);
  });
});
