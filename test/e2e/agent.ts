// An attached agent as a real one talks to the relay: an MCP SDK client on
// <relay>/mcp with a worker token. The e2e suite uses it to claim and submit
// hirings that the person in VS Code then reviews.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

export interface RelayHiringResource {
  id: string;
  status?: string;
  relay?: {
    phase?: string;
    claimedBy?: string;
    submissions?: string[];
    relayMessages?: { from: string; content: string }[];
    workspace?: { dir: string; branch: string };
  };
}

export interface AttachedAgent {
  claim(hiringId: string): Promise<unknown>;
  submit(hiringId: string, output: Record<string, unknown> | string): Promise<{ id: string; state: string }>;
  /** review://queue as this worker sees it (its own agent's submissions). */
  reviews(): Promise<{ id: string; hiringId: string; state: string }[]>;
  /** hiring://{id} as the relay serves it to this worker (relay-local messages included). */
  hiring(hiringId: string): Promise<RelayHiringResource>;
  close(): Promise<void>;
}

function text(res: unknown): string {
  const r = CallToolResultSchema.parse(res);
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export async function attachAgent(relayUrl: string, workerToken: string): Promise<AttachedAgent> {
  const transport = new StreamableHTTPClientTransport(new URL(`${relayUrl}/mcp`), {
    requestInit: { headers: { 'X-API-Key': workerToken } },
  });
  const client = new Client({ name: 'e2e-attached-agent', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown>): Promise<unknown> => {
    const res = await client.callTool({ name, arguments: args });
    const body = text(res);
    if (res.isError) throw new Error(`${name} failed: ${body}`);
    return JSON.parse(body) as unknown;
  };
  const read = async (uri: string): Promise<unknown> => {
    const res = await client.readResource({ uri });
    const first = res.contents[0];
    if (!first || !('text' in first) || typeof first.text !== 'string') throw new Error(`${uri} returned no text`);
    return JSON.parse(first.text) as unknown;
  };
  return {
    claim: (hiringId) => call('claim_hiring', { hiring_id: hiringId }),
    submit: async (hiringId, output) =>
      (await call('submit_hiring_result', { hiring_id: hiringId, output })) as { id: string; state: string },
    hiring: async (hiringId) => (await read(`hiring://${hiringId}`)) as RelayHiringResource,
    reviews: async () => (await read('review://queue')) as { id: string; hiringId: string; state: string }[],
    async close() {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}
