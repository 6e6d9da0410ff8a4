// The baseline subscriber for the latency benchmark: the relay's own upstream
// link (createAgentLink) used on its own, straight against the sandbox, in its
// own process — as the relay's link is — so the sandbox's work in the benchmark
// process does not slow it (at 1 000 hirings, sharing one event loop made the
// sandbox's probes time out). Reports, over IPC, each hiring id with the
// absolute time (performance.timeOrigin + now) it first reached the listener.
//
// DIRECT_KIND=sdk uses the official MCP SDK client instead (`Client` over
// `SSEClientTransport`), subscribed to hiring://pending and reading it on each
// notification (one read in flight, one queued), so the relay's cost is also
// measured against code nobody here wrote.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createAgentLink } from '../../src/relay/upstream';
import { createLogger } from '../../src/shared/log';
import { PENDING_URI } from '../../src/shared/protocol';

const baseUrl = process.env.DIRECT_BASE_URL ?? '';
const apiKey = process.env.DIRECT_API_KEY ?? '';
const seen = new Set<string>();

function report(ids: Iterable<string>): void {
  const at = performance.timeOrigin + performance.now();
  const fresh: string[] = [];
  for (const id of ids) {
    if (!seen.has(id)) {
      seen.add(id);
      fresh.push(id);
    }
  }
  if (fresh.length) process.send?.({ seen: fresh, at });
}

async function sdkClient(): Promise<void> {
  const withKey = (init?: RequestInit): RequestInit => ({
    ...init,
    headers: { ...(init?.headers as Record<string, string> | undefined), 'X-API-Key': apiKey },
  });
  const transport = new SSEClientTransport(new URL('/mcp/sse', baseUrl), {
    requestInit: withKey(),
    eventSourceInit: { fetch: (url, init) => fetch(url, withKey(init)) },
  });
  const client = new Client({ name: 'bench-sdk-baseline', version: '1.0.0' });
  let reading = false;
  let again = false;
  const read = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const r = await client.readResource({ uri: PENDING_URI });
        const first = r.contents[0];
        const list = JSON.parse('text' in first && typeof first.text === 'string' ? first.text : '[]') as {
          id: string | number;
        }[];
        report(list.map((h) => String(h.id)));
      } while (again);
    } finally {
      reading = false;
    }
  };
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    if (n.params.uri === PENDING_URI) void read();
  });
  await client.connect(transport);
  await client.subscribeResource({ uri: PENDING_URI });
  await read();
  process.on('disconnect', () => {
    void client.close().then(() => process.exit(0));
  });
}

if (process.env.DIRECT_KIND === 'sdk') {
  sdkClient().catch((e: unknown) => {
    console.error('the SDK baseline client failed:', e);
    process.exit(1);
  });
} else {
  ownLink();
}

function ownLink(): void {
  const link = createAgentLink({
    agent: 'direct',
    baseUrl,
    apiKey,
    log: createLogger('direct', { level: 'error', sink: () => undefined }),
    listener: {
      onHirings: (_agent, list) => report(list.map((h) => String(h.id))),
      onStatus: () => undefined,
    },
  });
  link.start();
  process.on('disconnect', () => {
    void link.stop().then(() => process.exit(0));
  });
}
