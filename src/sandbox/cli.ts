// agrenting-sandbox: run the local Agrenting look-alike, or talk to a running one.
//   agrenting-sandbox [--port N] [--host H] [--user-token T] [--knob name=value ...]
//   agrenting-sandbox register --url U --user-token T [--name N] [--callback-url URL]
//   agrenting-sandbox hire --url U --user-token T --agent ID [--mode push] [--price 25.00] "task"
import { parseArgs } from 'node:util';
import { createLogger } from '../shared/log';
import { DEFAULT_KNOBS, KnobError, parseKnobAssignment, type Knobs } from './knobs';
import { startSandbox } from './index';
import { RELAY_VERSION } from '../shared/version';

const USAGE = `Usage:
  agrenting-sandbox [--port N] [--host H] [--user-token T] [--git-root DIR] [--knob name=value ...] [--no-rate-limit]
  agrenting-sandbox register --url URL --user-token T [--name NAME] [--callback-url URL] [--callback-auth-header "Name: value"] [--worker-matrix-id ID]
  agrenting-sandbox hire --url URL --user-token T --agent ID [--mode output|push] [--price 25.00] [--capability coding] [--repo-url URL] [--message TEXT] "task description"

--url and --user-token default to $AGRENTING_SANDBOX_URL and $AGRENTING_USER_TOKEN.
Knobs: ${Object.keys(DEFAULT_KNOBS).join(', ')}`;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`agrenting-sandbox: ${message}\n`);
  process.exit(2);
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'user-token': { type: 'string' },
      'git-root': { type: 'string' },
      knob: { type: 'string', multiple: true },
      'no-rate-limit': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return out(USAGE);
  const knobs: Partial<Knobs> = {};
  try {
    for (const k of values.knob ?? []) {
      const [name, value] = parseKnobAssignment(k);
      Object.assign(knobs, { [name]: value });
    }
  } catch (e) {
    if (e instanceof KnobError) fail(e.message);
    throw e;
  }
  if (values['no-rate-limit']) knobs.rateLimitPerMinute = 0;
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number (got ${values.port})`);
  const sandbox = await startSandbox({
    port,
    ...(values.host ? { host: values.host } : {}),
    ...(values['user-token'] ? { userToken: values['user-token'] } : {}),
    ...(values['git-root'] ? { gitRoot: values['git-root'] } : {}),
    knobs,
    log: createLogger('sandbox'),
  });
  out(`Agrenting sandbox listening on ${sandbox.url}`);
  out(`User token: ${sandbox.userToken}`);
  out(`MCP: ${sandbox.url}/mcp/sse   REST: ${sandbox.url}/api/v1   Inspect: ${sandbox.url}/_sandbox`);
  out(`Register an agent: agrenting-sandbox register --url ${sandbox.url} --user-token <token>`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: shutting down\n`);
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function connection(values: { url?: string; 'user-token'?: string }): { url: string; token: string } {
  const url = values.url ?? process.env.AGRENTING_SANDBOX_URL;
  const token = values['user-token'] ?? process.env.AGRENTING_USER_TOKEN;
  if (!url) fail('--url is required (or set AGRENTING_SANDBOX_URL)');
  if (!token) fail('--user-token is required (or set AGRENTING_USER_TOKEN)');
  return { url: url.replace(/\/+$/, ''), token };
}

async function post(url: string, token: string, body: unknown): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    fail(`cannot reach the sandbox at ${url}: ${(e as Error).message}`);
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const errors = json.errors as { message?: string }[] | undefined;
    fail(`the sandbox answered ${res.status}: ${errors?.[0]?.message ?? res.statusText}`);
  }
  return (json.data ?? {}) as Record<string, unknown>;
}

async function register(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      'user-token': { type: 'string' },
      name: { type: 'string' },
      'callback-url': { type: 'string' },
      'callback-auth-header': { type: 'string' },
      'worker-matrix-id': { type: 'string' },
    },
  });
  const { url, token } = connection(values);
  const metadata = {
    ...(values['callback-url'] ? { callback_url: values['callback-url'] } : {}),
    ...(values['callback-auth-header'] ? { callback_auth_header: values['callback-auth-header'] } : {}),
    ...(values['worker-matrix-id'] ? { worker_matrix_id: values['worker-matrix-id'] } : {}),
  };
  const data = await post(`${url}/api/v1/agents`, token, {
    agent: { name: values.name ?? 'sandbox-agent', capabilities: ['coding'], metadata },
  });
  out(`Agent id: ${String(data.id)}`);
  out(`API key: ${String(data.api_key)}   (shown once)`);
  out(`Webhook secret: ${String(data.webhook_secret)}`);
}

async function hire(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'user-token': { type: 'string' },
      agent: { type: 'string' },
      mode: { type: 'string' },
      price: { type: 'string' },
      capability: { type: 'string' },
      'repo-url': { type: 'string' },
      message: { type: 'string' },
    },
  });
  const { url, token } = connection(values);
  if (!values.agent) fail('--agent is required');
  const task = positionals.join(' ').trim();
  if (!task) fail('the task description is required, e.g. "Add a dark-mode toggle"');
  if (values.mode && values.mode !== 'push' && values.mode !== 'output') fail('--mode must be output or push');
  const data = await post(`${url}/api/v1/agents/${encodeURIComponent(values.agent)}/hire`, token, {
    task_description: task,
    capability_requested: values.capability ?? 'coding',
    ...(values.price ? { price: values.price } : {}),
    delivery_mode: values.mode ?? 'output',
    ...(values['repo-url'] ? { repo_url: values['repo-url'] } : {}),
    ...(values.message ? { client_message: values.message } : {}),
  });
  out(
    `Hiring ${String(data.id)}: ${String(data.status)}${data.failed_reason ? ` (${String(data.failed_reason)})` : ''}`,
  );
  if (data.repo_url ?? (data.task_input as Record<string, unknown> | undefined)?.repo_url) {
    out(`Repository: ${String(data.repo_url ?? (data.task_input as Record<string, unknown>).repo_url)}`);
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'hire') return hire(rest);
  if (command === 'register') return register(rest);
  if (command === 'help') return out(USAGE);
  if (command === '--version' || command === '-v') return out(RELAY_VERSION);
  return serve(process.argv.slice(2));
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
