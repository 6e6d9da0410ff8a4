// Offers the relay to Copilot agent mode as an MCP server (one per agent, with its
// worker token) where VS Code has the MCP server definition API (1.101+). On older
// hosts it does nothing and says why in the output channel. The API is looked up
// at runtime because @types/vscode 1.100 does not declare it.
import * as vscode from 'vscode';
import { readRelayFile } from '../relay/relay-file';
import type { RelayConnection } from './relay-connection';
import { readSettings } from './settings';
import { mcpUrl, serverName } from './view-models/mcp-config';

type McpHttpServerDefinitionCtor = new (
  label: string,
  uri: vscode.Uri,
  headers?: Record<string, string>,
  version?: string,
) => object;

interface McpServerDefinitionProvider {
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<object[]>;
}

interface McpApi {
  lm: {
    registerMcpServerDefinitionProvider?: (id: string, provider: McpServerDefinitionProvider) => vscode.Disposable;
  };
  McpHttpServerDefinition?: McpHttpServerDefinitionCtor;
}

export const MCP_PROVIDER_ID = 'agrenting.relay';

export function registerMcpProvider(connection: RelayConnection, log: (line: string) => void): vscode.Disposable {
  const api = vscode as unknown as McpApi;
  const register =
    'registerMcpServerDefinitionProvider' in vscode.lm ? api.lm.registerMcpServerDefinitionProvider : undefined;
  const Definition = api.McpHttpServerDefinition;
  if (!register || !Definition) {
    log(
      `[extension] VS Code ${vscode.version} has no MCP server definition API (1.101+); Copilot agent mode will not list the relay by itself. Use 'Agrenting: Copy MCP Config for Agents' and paste it into .vscode/mcp.json instead.`,
    );
    return new vscode.Disposable(() => undefined);
  }
  const changed = new vscode.EventEmitter<void>();
  // VS Code asks again when the relay moved or its worker tokens changed (a restart with a new token).
  let last: string | undefined;
  const off = connection.onState(() => {
    const info = connection.info;
    const now = info && JSON.stringify([info.url, info.workerTokens]);
    if (now !== last) {
      last = now;
      changed.fire();
    }
  });
  const provider: McpServerDefinitionProvider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      const info = readRelayFile(readSettings().stateDir);
      if (!info) return [];
      return Object.entries(info.workerTokens).map(
        ([agent, token]) =>
          new Definition(
            `Agrenting relay (${serverName(agent)})`,
            vscode.Uri.parse(mcpUrl(info.url)),
            { 'X-API-Key': token },
            info.version,
          ),
      );
    },
  };
  try {
    const registration = register.call(api.lm, MCP_PROVIDER_ID, provider);
    log('[extension] offered the relay to Copilot agent mode as an MCP server.');
    return vscode.Disposable.from(registration, changed, { dispose: off });
  } catch (e) {
    // Hosts between versions expose the function but refuse the registration; the rest of the extension must still work.
    log(
      `[extension] VS Code ${vscode.version} refused the MCP server definition provider (${e instanceof Error ? e.message : String(e)}); use 'Agrenting: Copy MCP Config for Agents' instead.`,
    );
    off();
    changed.dispose();
    return new vscode.Disposable(() => undefined);
  }
}
