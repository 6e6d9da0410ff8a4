// A downstream subscriber of the relay, written the way the protocol asks
// (a notification is a signal, never the data): the MCP SDK client subscribes to
// hiring://pending and, on each resources/updated, reads the list — one read in
// flight, at most one more queued — and notes when it first saw each hiring id.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { PENDING_URI } from '../../src/shared/protocol';

export class PendingWatcher {
  /** hiring id → performance.now() when a read first returned it. */
  readonly firstSeen = new Map<string, number>();
  reads = 0;
  private reading = false;
  private dirty = false;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly client: Client,
    private readonly transport: StreamableHTTPClientTransport,
  ) {}

  static async connect(relayUrl: string, token: string, name = 'bench-watcher'): Promise<PendingWatcher> {
    const transport = new StreamableHTTPClientTransport(new URL(`${relayUrl}/mcp`), {
      requestInit: { headers: { 'X-API-Key': token } },
    });
    const client = new Client({ name, version: '1.0.0' });
    const w = new PendingWatcher(client, transport);
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      if (n.params.uri === PENDING_URI) w.kick();
    });
    await client.connect(transport);
    await client.subscribeResource({ uri: PENDING_URI });
    w.kick();
    return w;
  }

  /** Resolves once every id has been seen (or rejects after the deadline). */
  waitForAll(ids: Iterable<string>, timeoutMs = 120_000): Promise<void> {
    const want = [...ids];
    const done = () => want.every((id) => this.firstSeen.has(id));
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `the relay's subscriber saw ${want.filter((id) => this.firstSeen.has(id)).length}/${want.length} hirings within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<{ isError?: boolean; text: string }> {
    const r = await this.client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
    const content = r.content as { type: string; text?: string }[];
    return { isError: r.isError === true, text: content[0]?.text ?? '' };
  }

  async close(): Promise<void> {
    await this.transport.terminateSession().catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }

  private kick(): void {
    if (this.reading) {
      this.dirty = true;
      return;
    }
    this.reading = true;
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    try {
      do {
        this.dirty = false;
        const r = await this.client.readResource({ uri: PENDING_URI }, { timeout: 60_000 });
        const at = performance.now();
        this.reads += 1;
        const first = r.contents[0];
        const list = JSON.parse(first && 'text' in first ? String(first.text) : '[]') as { id?: unknown }[];
        for (const h of list) if (typeof h.id === 'string' && !this.firstSeen.has(h.id)) this.firstSeen.set(h.id, at);
        for (const w of [...this.waiters]) w();
      } while (this.dirty);
    } catch {
      // A failed read is retried on the next notification; waiters time out if none comes.
    } finally {
      this.reading = false;
    }
  }
}
