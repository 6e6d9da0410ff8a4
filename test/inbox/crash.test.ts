// kill -9 in the middle of a stream of writes loses nothing that was acknowledged,
// and never causes a second, different delivery of a result.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HiringStore } from '../../src/relay/inbox/store';
import { Outbox } from '../../src/relay/inbox/outbox';
import type { DeliveryOutcome, OutboxEntry } from '../../src/relay/types';
import { quietLogger, tempDir } from './helpers';
import { waitFor } from '../support/wait';

const root = path.resolve(__dirname, '../..');
const child = path.join(__dirname, 'fixtures', 'crash-child.ts');
const t = tempDir('crash-');
afterAll(() => t.cleanup());

/** Runs the child until it has acknowledged at least `acks` writes, then SIGKILLs it. */
function runAndKill(round: number, acks: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, t.dir, String(round)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let buf = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const l of parts) if (l.startsWith('ack ')) lines.push(l);
      if (lines.length >= acks && !p.killed) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(lines);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('kill -9 while writing', () => {
  it('loses nothing acknowledged and delivers each result once', async () => {
    const acked = { hiring: new Set<string>(), chunk: new Set<string>(), outbox: new Set<string>() };
    for (let round = 1; round <= 3; round++) {
      const lines = await runAndKill(round, 150 + round * 97);
      for (const l of lines) {
        const [, kind, id] = l.split(' ');
        acked[kind as keyof typeof acked].add(id);
      }
    }
    expect(acked.hiring.size).toBeGreaterThan(100);

    const logger = quietLogger();
    const store = await HiringStore.open(t.dir, { logger });
    for (const id of acked.hiring) expect(store.get(id), `hiring ${id}`).toBeDefined();
    for (const id of acked.chunk) expect(store.get(id)?.chunks.length, `chunk of ${id}`).toBe(1);

    // Finish the deliveries with the same platform rules the child used.
    const platformFile = path.join(t.dir, 'platform.log');
    const platformLines = () => {
      try {
        return readFileSync(platformFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    const sent = new Set(platformLines().map((l) => l.split(' ')[0]));
    const resent: OutboxEntry[] = [];
    const outbox = await Outbox.open(t.dir, {
      logger,
      send: async (e): Promise<DeliveryOutcome> => {
        resent.push(e);
        if (sent.has(e.key)) return { kind: 'already-done', message: 'hiring is completed' };
        sent.add(e.key);
        return { kind: 'confirmed' };
      },
    });
    for (const key of acked.outbox) expect(outbox.entries.get(key), `outbox ${key}`).toBeDefined();
    await waitFor('pending deliveries to finish', () => outbox.entries.pendingCount() === 0);
    for (const key of acked.outbox) expect(outbox.entries.get(key)?.state).toBe('confirmed');
    // One key per hiring's result, ever: no second, different delivery.
    const keysByHiring = new Map<string, Set<string>>();
    for (const l of platformLines()) {
      const [key, hiringId] = l.split(' ');
      keysByHiring.set(hiringId, (keysByHiring.get(hiringId) ?? new Set()).add(key));
    }
    for (const e of outbox.entries.list()) {
      keysByHiring.set(e.hiringId, (keysByHiring.get(e.hiringId) ?? new Set()).add(e.key));
    }
    for (const [hiringId, keys] of keysByHiring) expect(keys.size, `keys of ${hiringId}`).toBe(1);
    // A resend after the crash only ever happens for an entry that was recorded as attempted or never sent.
    for (const e of resent) expect(e.key).toMatch(/^submission-s-/);
    await outbox.close();
    await store.close();
  }, 60_000);
});
