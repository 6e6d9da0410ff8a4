// How the extension starts a relay: the command line, the environment and the
// small config file that carries the workspace folder. Pure, so it is tested.
import { join } from 'node:path';
import { RUNNERS_ENV, runnerFromSettings } from './view-models/runner';
import type { ExtensionSettings } from './settings-model';

export interface LaunchInput {
  settings: ExtensionSettings;
  /** Absolute path of dist/relay.js inside the extension. */
  relayScript: string;
  /** The node-compatible executable (the extension host's process.execPath). */
  execPath: string;
  mode: 'live' | 'sandbox';
  /** Only for live mode. */
  agentKey?: string;
  /** The extension host's environment, passed on without the relay's own variables. */
  baseEnv: NodeJS.ProcessEnv;
}

export interface LaunchPlan {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Written before starting: no secret in it, the key travels in the environment. */
  configFile: { path: string; content: string };
  /** The log the relay writes itself (tailed into the output channel). */
  logFile: string;
  /** Where the child's stdout/stderr go: its console summary and any startup error. */
  consoleFile: string;
}

export const LAUNCH_CONFIG_NAME = 'vscode-relay.json';

export class LaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchError';
  }
}

export function launchPlan(input: LaunchInput): LaunchPlan {
  const { settings } = input;
  if (input.mode === 'live' && !input.agentKey) {
    throw new LaunchError(
      "No agent key is set. Run 'Agrenting: Set Agent Key' or 'Agrenting: Register Agent', or try 'Agrenting: Use Sandbox'.",
    );
  }
  const configPath = join(settings.stateDir, LAUNCH_CONFIG_NAME);
  const config = {
    agents: [{ name: 'default', apiKeyEnv: 'AGRENTING_API_KEY' }],
    workspaceRoot: settings.workspaceFolder,
  };
  const args = [
    input.relayScript,
    '--state-dir',
    settings.stateDir,
    '--listen',
    settings.address,
    '--review',
    settings.reviewRequired ? 'required' : 'off',
    '--upstream',
    settings.baseUrl,
    '--config',
    configPath,
  ];
  if (input.mode === 'sandbox') args.push('--sandbox', '--demo');
  const env: NodeJS.ProcessEnv = { ...input.baseEnv };
  // Never pass on keys or tokens the extension host happened to inherit.
  for (const k of [
    RUNNERS_ENV,
    'AGRENTING_API_KEY',
    'AGRENTING_RELAY_TOKEN',
    'AGRENTING_RELAY_OPERATOR_TOKEN',
    'AGRENTING_STATE_DIR',
  ]) {
    delete env[k];
  }
  env.ELECTRON_RUN_AS_NODE = '1';
  env.AGRENTING_BASE_URL = settings.baseUrl;
  if (input.mode === 'live' && input.agentKey) env.AGRENTING_API_KEY = input.agentKey;
  const runner = runnerFromSettings(settings.runner);
  if (runner.kind === 'invalid') throw new LaunchError(runner.message);
  // The relay reads its runners from the config file and this variable; the CLI's key stays in the
  // user's environment, passed through by name (runner.env), never written here.
  if (runner.kind === 'ok') env[RUNNERS_ENV] = JSON.stringify([runner.runner]);
  return {
    command: input.execPath,
    args,
    env,
    configFile: { path: configPath, content: `${JSON.stringify(config, null, 2)}\n` },
    logFile: join(settings.stateDir, 'relay.log'),
    consoleFile: join(settings.stateDir, 'relay.out.log'),
  };
}
