// A downstream subscriber of the relay, written the way the protocol asks
// (a notification is a signal, never the data): the MCP SDK client subscribes to
// hiring://pending and, on each resources/updated, reads the list — one read in
// flight, at most one more queued — and notes when it first saw each hiring id.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { PENDING_URI, pendingSinceUri } from '../../src/shared/protocol';

export class PendingWatcher {
  /** hiring id → performance.now() when a read first returned it. */
  readonly firstSeen = new Map<string, number>();
  reads = 0;
  private reading = false;
  private dirty = false;
  private readonly waiters = new Set<() => void>();

  private cursor = '';

  private constructor(
    readonly client: Client,
    private readonly transport: StreamableHTTPClientTransport,
    private readonly mode: 'full' | 'since',
  ) {}

  /**
   * `mode` 'full' reads the whole hiring://pending list on each notification (what any MCP client
   * does); 'since' reads hiring://pending?since=<cursor>, only what changed since its last read.
   */
  static async connect(
    relayUrl: string,
    token: string,
    name = 'bench-watcher',
    mode: 'full' | 'since' = 'full',
  ): Promise<PendingWatcher> {
    const transport = new StreamableHTTPClientTransport(new URL(`${relayUrl}/mcp`), {
      requestInit: { headers: { 'X-API-Key': token } },
    });
    const client = new Client({ name, version: '1.0.0' });
    const w = new PendingWatcher(client, transport, mode);
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
        const uri = this.mode === 'since' ? pendingSinceUri(this.cursor) : PENDING_URI;
        const r = await this.client.readResource({ uri }, { timeout: 60_000 });
        const at = performance.now();
        this.reads += 1;
        const first = r.contents[0];
        const body: unknown = JSON.parse(first && 'text' in first ? String(first.text) : '[]');
        let list = body as { id?: unknown }[];
        if (this.mode === 'since') {
          const changes = body as { cursor: string; hirings: { id?: unknown }[] };
          this.cursor = changes.cursor;
          list = changes.hirings;
        }
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
