// The MCP SDK client, loaded on first use instead of with the extension: building
// its schemas costs tens of milliseconds, which would otherwise count against the
// window's startup (activation). The first connection waits for it instead.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResultSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

export interface McpSdk {
  Client: typeof Client;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  StreamableHTTPError: typeof StreamableHTTPError;
  CallToolResultSchema: typeof CallToolResultSchema;
  ResourceUpdatedNotificationSchema: typeof ResourceUpdatedNotificationSchema;
}

let loading: Promise<McpSdk> | undefined;

export function loadMcpSdk(): Promise<McpSdk> {
  // A turn later: activation returns first, then the SDK is evaluated.
  loading ??= new Promise<void>((r) => setImmediate(r)).then(async () => {
    const [client, http, types] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
      import('@modelcontextprotocol/sdk/types.js'),
    ]);
    return {
      Client: client.Client,
      StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
      StreamableHTTPError: http.StreamableHTTPError,
      CallToolResultSchema: types.CallToolResultSchema,
      ResourceUpdatedNotificationSchema: types.ResourceUpdatedNotificationSchema,
    };
  });
  return loading;
}
