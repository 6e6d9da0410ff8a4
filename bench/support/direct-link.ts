// Starts direct-link-child.ts and collects its first-seen times, converted to
// this process's performance.now() clock.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { cpuMsOf } from './relay-process';
import { ROOT, waitFor } from './util';

export interface DirectLink {
  firstSeen: Map<string, number>;
  waitForAll(ids: string[], timeoutMs?: number): Promise<void>;
  /** CPU time the link's process used so far, ms. */
  cpuMs(): number;
  close(): Promise<void>;
}

/** `kind` 'link': the relay's own upstream link; 'sdk': the official MCP SDK client (SSEClientTransport). */
export function startDirectLink(baseUrl: string, apiKey: string, kind: 'link' | 'sdk' = 'link'): DirectLink {
  const child = fork(join(ROOT, 'bench', 'support', 'direct-link-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DIRECT_BASE_URL: baseUrl, DIRECT_API_KEY: apiKey, DIRECT_KIND: kind },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  const firstSeen = new Map<string, number>();
  child.on('message', (m: { seen?: string[]; at?: number }) => {
    if (!m.seen || typeof m.at !== 'number') return;
    const local = m.at - performance.timeOrigin;
    for (const id of m.seen) if (!firstSeen.has(id)) firstSeen.set(id, local);
  });
  return {
    firstSeen,
    async waitForAll(ids, timeoutMs = 120_000) {
      await waitFor(
        `${ids.length} hirings on the direct link`,
        () => ids.every((id) => firstSeen.has(id)),
        timeoutMs,
        2,
      );
    },
    cpuMs: () => (child.pid === undefined ? NaN : cpuMsOf(child.pid)),
    async close() {
      if (child.connected) child.disconnect();
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killer);
    },
  };
}
