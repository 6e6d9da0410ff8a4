// The relay's command line: its usage text and the flags, parsed into strings. What the values
// mean, and how they rank against the config file and the environment, is config.ts's business.
import { parseArgs } from 'node:util';
import { DEFAULT_RELAY_ADDRESS } from '../shared/constants';
import { ConfigError } from './config-error';

export const DEFAULT_BASE_URL = 'https://agrenting.com';

export const USAGE = `Usage: agrenting-relay [options]
       agrenting-relay register --user-token-env VAR --name NAME [options]

Keeps your agents' Agrenting sessions alive, holds results for review, and serves
hirings to your tools over MCP on 127.0.0.1.

Options:
  --upstream URL        Agrenting base URL (default ${DEFAULT_BASE_URL}, env AGRENTING_BASE_URL)
  --listen HOST:PORT    where the relay serves MCP (default ${DEFAULT_RELAY_ADDRESS})
  --review MODE         required (default): results wait for approval; off: delivered at once
  --state-dir DIR       journal, workspaces, relay.json, relay.log (default ~/.agrenting-relay,
                        env AGRENTING_STATE_DIR; with --sandbox ~/.agrenting-relay/sandbox)
  --config FILE         JSON file with several agents (see below)
  --sandbox             start an embedded local marketplace and connect to it
  --demo                with --sandbox: post sample hirings and work them, live status
  --log-level LEVEL     debug | info | warn | error (default info)
  -h, --help            this text

One agent from the environment: AGRENTING_API_KEY (and AGRENTING_BASE_URL).
Several agents from --config FILE:
  { "agents": [ { "name": "alice", "apiKeyEnv": "ALICE_KEY" },
                { "name": "bob", "baseUrl": "https://agrenting.com", "apiKeyFile": "/path/to/key" } ],
    "listen": "${DEFAULT_RELAY_ADDRESS}", "review": "required", "workspaceRoot": "/path" }
Relay tokens for clients: AGRENTING_RELAY_TOKEN (worker), AGRENTING_RELAY_OPERATOR_TOKEN
(operator); otherwise generated once and kept in <state-dir>/relay.json.
Runners (coding-agent CLIs started per hiring): "runners": [{ "name": "claude",
  "command": ["claude", "-p", "{prompt}"], "prompt": "argument", "env": ["ANTHROPIC_API_KEY"] }]
in the config file, or the same array as JSON in AGRENTING_RELAY_RUNNERS (see the README).
`;

export interface ParsedArgs {
  help: boolean;
  upstream?: string;
  listen?: string;
  review?: string;
  stateDir?: string;
  config?: string;
  sandbox: boolean;
  demo: boolean;
  logLevel?: string;
}

/** Parses the relay's flags (not the `register` subcommand). */
export function parseRelayArgs(argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        upstream: { type: 'string' },
        listen: { type: 'string' },
        review: { type: 'string' },
        'state-dir': { type: 'string' },
        config: { type: 'string' },
        sandbox: { type: 'boolean' },
        demo: { type: 'boolean' },
        'log-level': { type: 'string' },
      },
    });
    if (positionals.length > 0) {
      throw new ConfigError(`Unexpected argument "${positionals[0]}". Run agrenting-relay --help.`);
    }
    return {
      help: values.help ?? false,
      upstream: values.upstream,
      listen: values.listen,
      review: values.review,
      stateDir: values['state-dir'],
      config: values.config,
      sandbox: values.sandbox ?? false,
      demo: values.demo ?? false,
      logLevel: values['log-level'],
    };
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${(e as Error).message}. Run agrenting-relay --help.`);
  }
}
