// Getting an agent connected: set its key, register a new one with a user token,
// or try the sandbox; and hand attached agents their MCP configuration.
import * as vscode from 'vscode';
import { registerAgent, RegistrationError } from '../../relay/register';
import { readRelayFile } from '../../relay/relay-file';
import { registerSecret } from '../../shared/redact';
import { readSettings } from '../settings';
import { mcpConfigText } from '../view-models/mcp-config';
import { command, type CommandContext } from './context';
import { refreshContext } from './relay-commands';

const USER_TOKEN = 'agrenting.userToken';

async function applyNewKey(ctx: CommandContext): Promise<void> {
  await ctx.controller.setMode('live');
  await refreshContext(ctx);
  const running = ctx.connection.info !== undefined;
  if (running) {
    const pick = await vscode.window.showInformationMessage(
      'Agrenting: the agent key is stored. Restart the relay to use it? (Every VS Code window shares it.)',
      'Restart Relay',
      'Later',
    );
    if (pick === 'Restart Relay') await ctx.controller.restart('live');
  } else {
    await ctx.controller.start('live');
  }
}

async function setAgentKey(ctx: CommandContext): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'Agrenting: Set Agent Key',
    prompt: 'The API key of your Agrenting agent. It is stored in VS Code secret storage, never in settings.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) =>
      v.trim() === '' ? 'Paste the agent key.' : /\s/.test(v.trim()) ? 'An agent key has no spaces.' : undefined,
  });
  if (key === undefined) return;
  registerSecret(key.trim());
  await ctx.keys.set(key.trim());
  await applyNewKey(ctx);
}

async function userToken(ctx: CommandContext): Promise<string | undefined> {
  const stored = await ctx.extension.secrets.get(USER_TOKEN);
  if (stored) {
    registerSecret(stored);
    return stored;
  }
  const token = await vscode.window.showInputBox({
    title: 'Agrenting: Register Agent (1/3)',
    prompt:
      'Your Agrenting user token (starts with ap_, from Settings › API Keys). Asked once; kept in secret storage.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? 'Paste your user token.' : undefined),
  });
  if (token === undefined) return undefined;
  registerSecret(token.trim());
  await ctx.extension.secrets.store(USER_TOKEN, token.trim());
  return token.trim();
}

async function register(ctx: CommandContext): Promise<void> {
  const token = await userToken(ctx);
  if (!token) return;
  const name = await vscode.window.showInputBox({
    title: 'Agrenting: Register Agent (2/3)',
    prompt: 'A name for the agent, as clients will see it.',
    value: 'my-coding-agent',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? 'A name is required.' : undefined),
  });
  if (name === undefined) return;
  const mode = await vscode.window.showQuickPick(
    [
      {
        label: 'MCP',
        description: 'recommended',
        detail: 'Hirings arrive over the relay’s MCP session with Agrenting. Nothing to expose to the internet.',
        mode: 'mcp' as const,
      },
      {
        label: 'Bridge',
        description: 'webhooks',
        detail: 'Agrenting POSTs hirings to a public URL of yours (the legacy HiClaw bridge path).',
        mode: 'bridge' as const,
      },
    ],
    { title: 'Agrenting: Register Agent (3/3)', placeHolder: 'How should hirings reach the agent?' },
  );
  if (!mode) return;
  let callbackUrl: string | undefined;
  if (mode.mode === 'bridge') {
    callbackUrl = await vscode.window.showInputBox({
      title: 'Agrenting: webhook URL',
      prompt: 'The public https URL that forwards to the relay’s webhook inbox.',
      ignoreFocusOut: true,
      validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'Enter an http(s) URL.'),
    });
    if (callbackUrl === undefined) return;
  }
  const baseUrl = readSettings().baseUrl;
  try {
    const agent = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Agrenting: registering "${name.trim()}" on ${baseUrl}…`,
      },
      () =>
        registerAgent({
          baseUrl,
          userToken: token,
          mode: mode.mode,
          name: name.trim(),
          ...(callbackUrl ? { callbackUrl: callbackUrl.trim() } : {}),
        }),
    );
    registerSecret(agent.apiKey);
    await ctx.keys.set(agent.apiKey);
    void vscode.window.showInformationMessage(
      `Agrenting: registered agent "${name.trim()}" (id ${agent.id}). Its key is in secret storage.`,
    );
    await applyNewKey(ctx);
  } catch (e) {
    if (e instanceof RegistrationError && e.status === 401) {
      await ctx.extension.secrets.delete(USER_TOKEN);
      throw new Error(
        `Agrenting rejected the user token (401); it was forgotten. Run 'Agrenting: Register Agent' again with a valid ap_ token.`,
      );
    }
    throw e;
  }
}

async function useSandbox(ctx: CommandContext): Promise<void> {
  await ctx.controller.setMode('sandbox');
  await refreshContext(ctx);
  const title = 'Agrenting: starting the sandbox relay (local marketplace with demo hirings)…';
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () =>
    ctx.controller.restart('sandbox'),
  );
  void vscode.commands.executeCommand('agrenting.hirings.focus');
}

async function copyMcpConfig(): Promise<void> {
  const info = readRelayFile(readSettings().stateDir);
  if (!info) {
    throw new Error("No relay is running, so there is no token to hand out. Run 'Agrenting: Start Relay' first.");
  }
  const agents = Object.keys(info.workerTokens);
  if (agents.length === 0) {
    throw new Error('The relay has no agents yet. Set an agent key or use the sandbox, then try again.');
  }
  const agent =
    agents.length === 1
      ? agents[0]
      : await vscode.window.showQuickPick(agents, { placeHolder: 'Config for which agent?' });
  if (!agent) return;
  await vscode.env.clipboard.writeText(mcpConfigText({ url: info.url, agent, workerToken: info.workerTokens[agent] }));
  void vscode.window.showInformationMessage(
    `Agrenting: MCP config for agent "${agent}" copied (Claude Code command, mcpServers JSON and .vscode/mcp.json). It holds the agent's relay token: keep it private.`,
  );
}

export function registerSetupCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    command(ctx, 'agrenting.setAgentKey', () => setAgentKey(ctx)),
    command(ctx, 'agrenting.registerAgent', () => register(ctx)),
    command(ctx, 'agrenting.useSandbox', () => useSandbox(ctx)),
    command(ctx, 'agrenting.copyMcpConfig', () => copyMcpConfig()),
  ];
}
