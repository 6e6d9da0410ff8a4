// Starts ping-upstream.ts in its own process and talks to it over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './util';

export interface PingProbe {
  url: string;
  subscribed: Promise<void>;
  record(): void;
  report(): Promise<{ samples: number[]; unanswered: number }>;
  close(): Promise<void>;
}

interface ProbeMessage {
  ready?: boolean;
  url?: string;
  subscribed?: boolean;
  samples?: number[];
  unanswered?: number;
}

export async function startPingProbe(intervalMs = 20): Promise<PingProbe> {
  const child: ChildProcess = fork(join(ROOT, 'bench', 'support', 'ping-upstream.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, PING_INTERVAL_MS: String(intervalMs) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  const next = (pick: (m: ProbeMessage) => boolean) =>
    new Promise<ProbeMessage>((res, rej) => {
      const onMsg = (m: ProbeMessage) => {
        if (!pick(m)) return;
        child.off('message', onMsg);
        res(m);
      };
      child.on('message', onMsg);
      void exit.then(() => rej(new Error('the ping upstream exited')));
    });
  const ready = await next((m) => m.ready === true);
  const subscribed = next((m) => m.subscribed === true).then(() => undefined);
  subscribed.catch(() => undefined);
  return {
    url: String(ready.url),
    subscribed,
    record: () => child.send({ cmd: 'record' }),
    async report() {
      const r = next((m) => Array.isArray(m.samples));
      child.send({ cmd: 'report' });
      const m = await r;
      return { samples: m.samples ?? [], unanswered: m.unanswered ?? 0 };
    },
    async close() {
      child.kill('SIGTERM');
      await exit;
    },
  };
}
