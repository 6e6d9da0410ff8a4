// Requests Node's HTTP parser refuses never reach a handler; each of our servers still
// answers them with a JSON error a person can read, and keeps serving.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index';
import { startTestRelay, type TestRelay } from '../downstream/helpers';

function raw(url: string, text: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

let sandbox: Sandbox;
let relay: TestRelay;
beforeAll(async () => {
  sandbox = await startSandbox();
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.server.close();
  await sandbox.close();
});

describe('requests the HTTP parser refuses', () => {
  it.each([
    ['the sandbox', () => sandbox.url],
    ["the relay's MCP server", () => relay.server.url],
  ])('%s answers oversized headers and broken HTTP with a JSON error', async (_name, url) => {
    const huge = await raw(
      url(),
      `GET /mcp/sse HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toContain('"message":"The request headers are too large."');
    const broken = await raw(url(), 'NOT HTTP AT ALL\r\n\r\n');
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    expect(broken).toContain('"code":"VALIDATION_ERROR"');
  });
});
