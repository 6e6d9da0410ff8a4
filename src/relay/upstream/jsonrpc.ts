// What kind of JSON-RPC 2.0 message the platform sent, by its shape alone. The SDK's
// zod guards (isJSONRPCRequest & co.) walk the whole message, the hiring list inside a
// resources/read answer included, and were a fifth of the relay's CPU per hiring; these
// checks read four fields. The rules are JSON-RPC's: a request has an id and a method,
// a notification a method and no id, a result an id and a result object, an error an
// error object with a numeric code and a message.
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResultResponse,
} from '@modelcontextprotocol/sdk/types.js';

export type ClassifiedMessage =
  | { kind: 'request'; msg: JSONRPCRequest }
  | { kind: 'notification'; msg: JSONRPCNotification }
  | { kind: 'result'; msg: JSONRPCResultResponse }
  | { kind: 'error'; msg: JSONRPCErrorResponse };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string | number =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** The message's kind, or undefined when it is not a JSON-RPC 2.0 message. */
export function classifyMessage(value: unknown): ClassifiedMessage | undefined {
  if (!isObject(value) || value.jsonrpc !== '2.0') return undefined;
  const { id, method, params } = value;
  if (params !== undefined && !isObject(params)) return undefined;
  if (typeof method === 'string') {
    if (id === undefined) return { kind: 'notification', msg: value as unknown as JSONRPCNotification };
    return isId(id) ? { kind: 'request', msg: value as unknown as JSONRPCRequest } : undefined;
  }
  if (isObject(value.result)) {
    return isId(id) ? { kind: 'result', msg: value as unknown as JSONRPCResultResponse } : undefined;
  }
  const error = value.error;
  if (isObject(error) && typeof error.code === 'number' && typeof error.message === 'string') {
    return id === undefined || id === null || isId(id)
      ? { kind: 'error', msg: value as unknown as JSONRPCErrorResponse }
      : undefined;
  }
  return undefined;
}

/** Whether the value is a JSON-RPC 2.0 message. */
export function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  return classifyMessage(value) !== undefined;
}
