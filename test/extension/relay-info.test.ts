import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { findLiveRelay, mcpAnswers, pidAlive, waitForRelay } from '../../src/extension/relay-info';
import { LogTail } from '../../src/extension/log-tail';
import { registerSecret } from '../../src/shared/redact';

let server: Server;
let url: string;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'agr-ext-'));
  dirs.push(d);
  return d;
};
const relayJson = (dir: string, pid: number, u = url) =>
  writeFileSync(
    join(dir, 'relay.json'),
    JSON.stringify({
      url: u,
      pid,
      version: '0.1.0',
      startedAt: new Date().toISOString(),
      operatorToken: 'rop_test_operator',
      workerTokens: { default: 'rwk_test_worker' },
    }),
  );

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(401).end('{"error":"unauthorized"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('finding a running relay', () => {
  it('treats any HTTP answer at /mcp as alive, a closed port as not', async () => {
    expect(await mcpAnswers(url)).toBe(true);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await mcpAnswers(`http://127.0.0.1:${port}`, 500)).toBe(false);
  });

  it('needs relay.json, a live pid and an answering endpoint', async () => {
    const dir = tmp();
    expect(await findLiveRelay(dir)).toBeUndefined();
    relayJson(dir, process.pid);
    expect((await findLiveRelay(dir))?.url).toBe(url);
    relayJson(dir, 2 ** 22 + 12345); // no such pid
    expect(await findLiveRelay(dir)).toBeUndefined();
    writeFileSync(join(dir, 'relay.json'), '{ not json');
    expect(await findLiveRelay(dir)).toBeUndefined();
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(-1)).toBe(false);
  });

  it('waits for relay.json to appear, and gives up at the deadline', async () => {
    const dir = tmp();
    const waiting = waitForRelay(dir, { deadlineMs: 10_000, intervalMs: 20 });
    relayJson(dir, process.pid);
    expect((await waiting)?.pid).toBe(process.pid);
    expect(await waitForRelay(tmp(), { deadlineMs: 50, intervalMs: 10 })).toBeUndefined();
    await expect(
      waitForRelay(tmp(), { deadlineMs: 10_000, intervalMs: 10, abort: () => new Error('child exited') }),
    ).rejects.toThrow('child exited');
  });
});

describe('log tail', () => {
  it('hands over new lines only, redacted, and survives truncation', async () => {
    const dir = tmp();
    const file = join(dir, 'relay.log');
    const seen: string[] = [];
    const tail = new LogTail(file, (lines) => seen.push(...lines), { backlogBytes: 1024 });
    await tail.poll(); // file missing: nothing
    expect(seen).toEqual([]);
    registerSecret('sk-very-secret-agent-key');
    writeFileSync(file, 'one\ntwo with sk-very-secret-agent-key\npart');
    await tail.poll();
    expect(seen).toEqual(['one', 'two with [REDACTED]']);
    appendFileSync(file, 'ial\nthree\n');
    await tail.poll();
    expect(seen).toEqual(['one', 'two with [REDACTED]', 'partial', 'three']);
    writeFileSync(file, 'fresh\n');
    await tail.poll();
    expect(seen.at(-1)).toBe('fresh');
  });
});
