// Registration against the real sandbox marketplace and against answers it never gives
// (401, 422, 500, unreachable), plus key storage with mode 0600.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAgent, registrationBody, storeAgentKey } from '../../src/relay/register';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { memoryLogger } from '../../src/shared/log';

let sandbox: Sandbox;
let fakeUrl: string;
let fakeServer: Server;
let answer: { status: number; body: unknown } = { status: 500, body: {} };
let lastBody: unknown;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ log: memoryLogger('sandbox') });
  fakeServer = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      lastBody = JSON.parse(Buffer.concat(parts).toString('utf8'));
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => fakeServer.listen(0, '127.0.0.1', r));
  fakeUrl = `http://127.0.0.1:${(fakeServer.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'register-'));
});

afterAll(async () => {
  await sandbox.close();
  await new Promise<void>((r) => fakeServer.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe('registerAgent', () => {
  it('registers an MCP agent on the sandbox without a callback', async () => {
    const r = await registerAgent({
      baseUrl: sandbox.url,
      userToken: sandbox.userToken,
      mode: 'mcp',
      name: 'Relay Coder',
      capabilities: ['coding'],
    });
    expect(r.id).toBeTruthy();
    expect(r.apiKey).toBeTruthy();
    expect(r.agent).toMatchObject({ name: 'Relay Coder' });
    const seen = sandbox.inspect().agents.find((a) => a.id === r.id);
    expect(seen?.metadata.callback_url).toBeUndefined();
  });

  it('registers a bridge agent with callback, auth header and worker id', async () => {
    const r = await registerAgent({
      baseUrl: sandbox.url,
      userToken: sandbox.userToken,
      mode: 'bridge',
      name: 'HiClaw Alice',
      callbackUrl: 'http://127.0.0.1:8089/webhook/agrenting/hiring',
      callbackAuthHeader: 'Authorization: ApiKey gateway-key-12345678',
      workerMatrixId: '@alice:hiclaw.test',
    });
    const seen = sandbox.inspect().agents.find((a) => a.id === r.id);
    expect(seen?.metadata).toMatchObject({
      callback_url: 'http://127.0.0.1:8089/webhook/agrenting/hiring',
      worker_matrix_id: '@alice:hiclaw.test',
    });
    expect(r.webhookSecret).toBeTruthy();
  });

  it('says what to do when the user token is wrong', async () => {
    await expect(
      registerAgent({ baseUrl: sandbox.url, userToken: 'ap_wrong_token_123456789', mode: 'mcp', name: 'x' }),
    ).rejects.toThrow(/Agrenting rejected the user token \(401\)/);
  });

  it('reports validation errors, server errors and unreachable hosts clearly, never with the token', async () => {
    const userToken = 'ap_secret_user_token_987654321';
    answer = { status: 422, body: { data: null, errors: [{ code: 'VALIDATION_ERROR', message: 'name is taken' }] } };
    await expect(registerAgent({ baseUrl: fakeUrl, userToken, mode: 'mcp', name: 'x' })).rejects.toThrow(
      /did not accept the agent \(422\): name is taken/,
    );
    answer = { status: 500, body: {} };
    await expect(registerAgent({ baseUrl: fakeUrl, userToken, mode: 'mcp', name: 'x' })).rejects.toThrow(
      /answered 500/,
    );
    answer = { status: 201, body: { data: { id: 'a1' } } };
    await expect(registerAgent({ baseUrl: fakeUrl, userToken, mode: 'mcp', name: 'x' })).rejects.toThrow(
      /no agent id and api_key/,
    );
    const err = await registerAgent({ baseUrl: 'http://127.0.0.1:1', userToken, mode: 'mcp', name: 'x' }).catch(
      (e: Error) => e,
    );
    expect(String(err)).toMatch(/Could not reach Agrenting/);
    expect(String(err)).not.toContain(userToken);
  });

  it('sends the documented body: no callback in MCP mode, metadata in bridge mode', async () => {
    answer = { status: 201, body: { data: { id: 'a2', api_key: 'agent-key-xyz-123456', agent: { name: 'n' } } } };
    await registerAgent({
      baseUrl: fakeUrl,
      userToken: 'ap_tok_1234567890',
      mode: 'mcp',
      name: 'n',
      callbackUrl: 'http://ignored',
    });
    expect((lastBody as { agent: { metadata: object } }).agent.metadata).toEqual({});
    expect(
      registrationBody({
        baseUrl: '',
        userToken: '',
        mode: 'bridge',
        name: 'n',
        callbackUrl: 'http://h/cb',
        callbackAuthHeader: 'Authorization: ApiKey k',
      }).agent,
    ).toMatchObject({
      metadata: { callback_url: 'http://h/cb', callback_auth_header: 'Authorization: ApiKey k' },
    });
    expect(() => registrationBody({ baseUrl: '', userToken: '', mode: 'bridge', name: 'n' })).toThrow(/callbackUrl/);
    expect(() =>
      registrationBody({
        baseUrl: '',
        userToken: '',
        mode: 'bridge',
        name: 'n',
        callbackUrl: 'http://h',
        callbackAuthHeader: 'nope',
      }),
    ).toThrow(/Name: value/);
  });
});

describe('storeAgentKey', () => {
  it('writes a key file with mode 0600', async () => {
    const path = join(dir, 'keys', 'alice.key');
    await storeAgentKey('agent-key-abc-123456', { kind: 'file', path });
    expect(await readFile(path, 'utf8')).toBe('agent-key-abc-123456\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('adds or replaces the variable in an env file, keeping other lines', async () => {
    const path = join(dir, 'relay.env');
    await writeFile(path, 'OTHER=1\nAGRENTING_API_KEY=old-key-000000\n', { mode: 0o644 });
    await storeAgentKey('new-key-111111', { kind: 'env-file', path });
    expect(await readFile(path, 'utf8')).toBe('OTHER=1\nAGRENTING_API_KEY=new-key-111111\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await storeAgentKey('bob-key-222222', { kind: 'env-file', path, variable: 'BOB_KEY' });
    expect(await readFile(path, 'utf8')).toContain('BOB_KEY=bob-key-222222');
    await expect(storeAgentKey('a\nb', { kind: 'file', path: join(dir, 'x') })).rejects.toThrow(/spans lines/);
  });
});
