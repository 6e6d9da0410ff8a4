// agrenting-relay: the command line. Parses flags (config.ts), opens the log,
// optionally starts the embedded sandbox and the demo, runs the relay until
// SIGINT/SIGTERM, then shuts everything down cleanly (relay.json removed).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { safeError } from '../shared/redact';
import type { Logger } from '../shared/log';
import type { Sandbox } from '../sandbox';
import { ConfigError, USAGE, loadConfig, type RelayConfig } from './config';
import { openRelayLog, type RelayLogging } from './core/log-file';
import { demoRunner, startDemoHirer, startDemoReviewer, type DemoHandle } from './demo';
import { relayFilePath } from './relay-file';
import { startRelay, type Relay, type RelayAgent } from './relay';
import { RELAY_VERSION } from '../shared/version';
import { runRegister } from './cli-register';
import { runDemoAgent } from './runners/demo-agent';
import { startStatusView, type StatusView } from './status-view';
import type { RunnerConfigInput } from './runners/config';
import type { Caller } from './types';

const SANDBOX_AGENT = 'sandbox';
const DEMO_AUTO_REVIEW = 'AGRENTING_DEMO_AUTO_REVIEW';

interface Running {
  relay?: Relay;
  sandbox?: Sandbox;
  demos: DemoHandle[];
  view?: StatusView;
  logging?: RelayLogging;
}

/** The embedded sandbox's marketplace forgets everything on exit, so the relay's journals of the last run are stale. */
function clearSandboxState(stateDir: string): void {
  for (const f of ['hirings.jsonl', 'reviews.jsonl', 'outbox.jsonl']) rmSync(join(stateDir, f), { force: true });
  for (const d of ['workspaces', 'runs']) rmSync(join(stateDir, d), { recursive: true, force: true });
}

async function sandboxAgents(cfg: RelayConfig, run: Running, log: Logger): Promise<RelayAgent[]> {
  clearSandboxState(cfg.stateDir);
  // Loaded only for --sandbox: a relay on the real platform never evaluates the sandbox.
  const { startSandbox } = await import('../sandbox');
  run.sandbox = await startSandbox({ log: log.child('sandbox') });
  const reg = run.sandbox.registerAgent({
    name: 'Sandbox coding agent',
    description: 'A local agent served by agrenting-relay',
    capabilities: ['coding'],
    category: 'coding',
  });
  log.info('sandbox marketplace started', { url: run.sandbox.url, agentId: reg.id });
  return [{ name: SANDBOX_AGENT, baseUrl: run.sandbox.url, apiKey: reg.apiKey, agentId: reg.id }];
}

function banner(relay: Relay, cfg: RelayConfig, sandbox: Sandbox | undefined): string {
  const lines = [
    `agrenting-relay listening on ${relay.url}`,
    `  MCP (Streamable HTTP): ${relay.url}/mcp     legacy SSE: ${relay.url}/mcp/sse`,
    `  tokens for clients:    ${relayFilePath(cfg.stateDir)}`,
    `  log:                   ${join(cfg.stateDir, 'relay.log')}`,
    `  review:                ${cfg.review}`,
  ];
  if (sandbox) lines.push(`  sandbox marketplace:   ${sandbox.url}`);
  return `${lines.join('\n')}\n`;
}

const OPERATOR: Caller = { role: 'operator', name: 'terminal' };

/** The demo's worker is a runner: the demo agent CLI shipped inside this program (`agrenting-relay demo-agent`). */
function demoRunners(): RunnerConfigInput[] {
  return [demoRunner([process.execPath, __filename, 'demo-agent'])];
}

/** The demo's terminal takes single keys, so a person can finish the life cycle without VS Code. */
function listenForKeys(relay: Relay, log: Logger, quit: () => void): void {
  process.stdin.setRawMode(true);
  process.stdin.resume();
  process.stdin.on('data', (buf: Buffer) => {
    const k = buf.toString();
    if (k === 'q' || k === '\u0003') return quit();
    const oldest = relay.reviewQueue(OPERATOR)[0];
    if (!oldest || (k !== 'a' && k !== 'r')) return;
    const decided =
      k === 'a'
        ? relay.approve(OPERATOR, oldest.id)
        : relay.reject(OPERATOR, oldest.id, 'Demo review: please add a unit test for the empty input.');
    decided.catch((e: unknown) =>
      log.warn('the review decision failed', { submission: oldest.id, error: safeError(e).message }),
    );
  });
}

async function run(argv: string[]): Promise<number> {
  const cfg = loadConfig(argv);
  if (cfg.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const live: Running = { demos: [] };
  const useView = cfg.demo;
  const tty = process.stdout.isTTY === true;
  // The live view redraws the terminal: logs then go to relay.log only.
  live.logging = openRelayLog(cfg.stateDir, cfg.logLevel, { stderr: !(useView && tty) });
  const log = live.logging.logger;

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (why: string) => {
    shuttingDown ??= (async () => {
      log.info('shutting down', { signal: why });
      // A stuck step must not keep the process alive forever.
      setTimeout(() => process.exit(1), 15_000).unref();
      live.view?.stop();
      if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
      process.stdin.pause();
      for (const d of live.demos) d.stop();
      await live.relay?.stop().catch((e: unknown) => log.error('relay stop failed', { error: safeError(e).message }));
      await live.sandbox?.close().catch(() => undefined);
      live.logging?.close();
    })();
    return shuttingDown;
  };
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(130); // a second Ctrl-C: do not wait any longer
    if (useView && tty) process.stdout.write('\nStopping the relay…\n');
    void shutdown(sig).then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const agents: RelayAgent[] = cfg.sandbox ? await sandboxAgents(cfg, live, log) : cfg.agents;
    let relay: Relay;
    try {
      relay = live.relay = await startRelay({
        agents,
        stateDir: cfg.stateDir,
        workspaceRoot: cfg.workspaceRoot,
        host: cfg.listen.host,
        port: cfg.listen.port,
        review: cfg.review,
        logger: log,
        bridge: cfg.bridge,
        runners: cfg.demo ? [...cfg.runners, ...demoRunners()] : cfg.runners,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new ConfigError(
          `${cfg.listen.host}:${cfg.listen.port} is already in use (is another relay running?). Stop it, or pass --listen 127.0.0.1:<other port>.`,
        );
      }
      throw e;
    }
    if (!(useView && tty)) process.stdout.write(banner(relay, cfg, live.sandbox));

    if (cfg.demo && live.sandbox) {
      const agentId = agents[0].agentId ?? '';
      live.demos.push(startDemoHirer({ market: live.sandbox, agentId, logger: log.child('demo') }));
    }
    const interactive = useView && tty && process.stdin.isTTY === true;
    // Nobody at the keys (a, r) and asked for it: the demo reviews by itself, rejecting once with feedback.
    if (cfg.demo && process.env[DEMO_AUTO_REVIEW] === '1') {
      live.demos.push(startDemoReviewer({ core: relay, logger: log.child('demo') }));
    }
    if (interactive) listenForKeys(relay, log, () => onSignal('SIGINT'));
    if (useView) {
      const logging = live.logging;
      live.view = startStatusView({
        out: process.stdout,
        snapshot: () => ({
          url: relay.url,
          stateDir: cfg.stateDir,
          status: relay.status(),
          hirings: relay.listAll({ role: 'operator', name: 'status' }),
          reviews: relay.reviewQueue({ role: 'operator', name: 'status' }),
          recent: tty ? logging.recent() : [],
          demo: live.demos.map((d) => d.describe()).join('; ') || undefined,
          keys: interactive
            ? 'keys: a approve the oldest review · r reject it with feedback (the agent redoes it) · q quit'
            : undefined,
        }),
      });
      relay.subscribe(() => live.view?.refresh());
    }
  } catch (e) {
    await shutdown('error');
    throw e;
  }
  // Keep running until a signal arrives.
  await new Promise<never>(() => undefined);
  return 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  try {
    if (argv[0] === '--version' || argv[0] === '-v') {
      process.stdout.write(`${RELAY_VERSION}\n`);
      return;
    }
    if (argv[0] === 'demo-agent') {
      process.exitCode = await runDemoAgent();
      return;
    }
    const code = argv[0] === 'register' ? await runRegister(argv.slice(1)) : await run(argv);
    process.exitCode = code;
  } catch (e) {
    const msg = e instanceof ConfigError ? e.message : safeError(e).message;
    process.stderr.write(`agrenting-relay: ${msg}\n`);
    process.exitCode = e instanceof ConfigError ? 2 : 1;
  }
}

void main();
