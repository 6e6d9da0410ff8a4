// `agrenting-relay register`: registers an agent on Agrenting with the user's
// token (read from an environment variable, never from the command line) and
// stores the agent key where the user chooses. The key is printed only with
// --print-key.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { registerSecret } from '../shared/redact';
import { ConfigError, DEFAULT_BASE_URL } from './config';
import { RegistrationError, registerAgent, storeAgentKey } from './register';

export const REGISTER_USAGE = `Usage: agrenting-relay register --user-token-env VAR --name NAME [options]

Registers an agent on Agrenting and stores its API key (shown once by the platform).

  --user-token-env VAR     environment variable holding your ap_... user token (required)
  --name NAME              the agent's name (required)
  --upstream URL           Agrenting base URL (default https://agrenting.com, env AGRENTING_BASE_URL)
  --description TEXT       what the agent does
  --capability C           a capability (repeatable; default coding)
  --price P                base price in USD (default 10.00)
  --key-file FILE          where to store the agent key (mode 0600), for "apiKeyFile" in a config
  --key-env-file FILE      or: add AGRENTING_API_KEY=<key> to this env file (mode 0600)
  --print-key              also print the key (otherwise it is never shown)
  --bridge                 register for webhook delivery (the legacy Bridge Worker path)
  --callback-url URL       with --bridge: the webhook inbox URL
  --worker-matrix-id M     with --bridge: the HiClaw worker's Matrix id

With --bridge, a webhook secret the platform returns is stored beside the key
(<key file>.webhook-secret, or AGRENTING_WEBHOOK_SECRET in the env file), for
"webhookSecretFile" / "webhookSecretEnv" in the bridge config.
(The option is not called --env-file: Node 20 takes that flag for itself.)
`;

export interface RegisterArgs {
  userTokenEnv: string;
  name: string;
  upstream?: string;
  description?: string;
  capabilities: string[];
  price?: string;
  keyFile?: string;
  envFile?: string;
  printKey: boolean;
  bridge: boolean;
  callbackUrl?: string;
  workerMatrixId?: string;
}

export function parseRegisterArgs(argv: string[]): RegisterArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        'user-token-env': { type: 'string' },
        name: { type: 'string' },
        upstream: { type: 'string' },
        description: { type: 'string' },
        capability: { type: 'string', multiple: true },
        price: { type: 'string' },
        'key-file': { type: 'string' },
        'key-env-file': { type: 'string' },
        'print-key': { type: 'boolean' },
        bridge: { type: 'boolean' },
        'callback-url': { type: 'string' },
        'worker-matrix-id': { type: 'string' },
      },
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}. Run agrenting-relay register --help.`);
  }
  if (values.help) return 'help';
  if (!values['user-token-env']) {
    throw new ConfigError(
      'register needs --user-token-env VAR: the environment variable that holds your ap_... user token.',
    );
  }
  if (!values.name) throw new ConfigError('register needs --name NAME for the new agent.');
  if (!values.bridge && (values['callback-url'] || values['worker-matrix-id'])) {
    throw new ConfigError('--callback-url and --worker-matrix-id only apply with --bridge.');
  }
  if (values.bridge && !values['callback-url']) {
    throw new ConfigError('--bridge needs --callback-url URL (where Agrenting posts hirings).');
  }
  if (!values['key-file'] && !values['key-env-file'] && !values['print-key']) {
    throw new ConfigError(
      'Say where the agent key goes: --key-file FILE or --key-env-file FILE (recommended), or --print-key. The platform shows it only once.',
    );
  }
  if (values['key-file'] && values['key-env-file']) {
    throw new ConfigError('Give either --key-file or --key-env-file, not both.');
  }
  return {
    userTokenEnv: values['user-token-env'],
    name: values.name,
    upstream: values.upstream,
    description: values.description,
    capabilities: values.capability ?? ['coding'],
    price: values.price,
    keyFile: values['key-file'],
    envFile: values['key-env-file'],
    printKey: values['print-key'] ?? false,
    bridge: values.bridge ?? false,
    callbackUrl: values['callback-url'],
    workerMatrixId: values['worker-matrix-id'],
  };
}

/** Runs the subcommand; returns the exit code. */
export async function runRegister(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const args = parseRegisterArgs(argv);
  if (args === 'help') {
    out(REGISTER_USAGE);
    return 0;
  }
  const token = env[args.userTokenEnv]?.trim();
  if (!token) {
    throw new ConfigError(
      `The environment variable ${args.userTokenEnv} is not set; put your ap_... user token in it.`,
    );
  }
  registerSecret(token);
  const baseUrl = (args.upstream ?? env.AGRENTING_BASE_URL?.trim() ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  let agent;
  try {
    agent = await registerAgent({
      baseUrl,
      userToken: token,
      mode: args.bridge ? 'bridge' : 'mcp',
      name: args.name,
      description: args.description,
      capabilities: args.capabilities,
      base_price: args.price,
      callbackUrl: args.callbackUrl,
      workerMatrixId: args.workerMatrixId,
    });
  } catch (e) {
    if (e instanceof RegistrationError) throw new ConfigError(e.message);
    throw e;
  }
  const where: string[] = [];
  if (args.keyFile) {
    const path = resolve(args.keyFile);
    await storeAgentKey(agent.apiKey, { kind: 'file', path });
    where.push(`key stored in ${path} (use "apiKeyFile": "${path}" in the relay config)`);
    if (agent.webhookSecret) {
      await storeAgentKey(agent.webhookSecret, { kind: 'file', path: `${path}.webhook-secret` });
      where.push(`webhook secret stored in ${path}.webhook-secret (use "webhookSecretFile" in the bridge config)`);
    }
  }
  if (args.envFile) {
    const path = resolve(args.envFile);
    await storeAgentKey(agent.apiKey, { kind: 'env-file', path });
    where.push(`key stored as AGRENTING_API_KEY in ${path}`);
    if (agent.webhookSecret) {
      await storeAgentKey(agent.webhookSecret, { kind: 'env-file', path, variable: 'AGRENTING_WEBHOOK_SECRET' });
      where.push(
        `webhook secret stored as AGRENTING_WEBHOOK_SECRET in ${path} (use "webhookSecretEnv" in the bridge config)`,
      );
    }
  }
  out(`Registered agent "${args.name}" on ${baseUrl}: id ${agent.id}${args.bridge ? ' (webhook delivery)' : ''}\n`);
  for (const w of where) out(`  ${w}\n`);
  // The one place a key is ever shown, and only when asked for.
  if (args.printKey) out(`  api key: ${agent.apiKey}\n`);
  return 0;
}
