// Activation: wires the relay connection to the sidebar, status bar, notifications,
// detail panels, review and commands. The relay itself is a detached process
// shared by every window; deactivating never stops it.
import * as vscode from 'vscode';
import { createLogger } from '../shared/log';
import { registerRelayCommands, refreshContext } from './commands/relay-commands';
import { registerReviewCommands } from './commands/review-commands';
import { registerRunCommands } from './commands/run-commands';
import { registerSetupCommands } from './commands/setup';
import { registerWorkCommands } from './commands/work';
import type { CommandContext } from './commands/context';
import { HiringPanels } from './detail/hiring-panel';
import { registerMcpProvider } from './mcp-provider';
import { Notifier } from './notifications';
import { RelayConnection } from './relay-connection';
import { RelayController } from './relay-controller';
import { findLiveRelay } from './relay-info';
import { ReviewViewer } from './review';
import { AgentKeyStore } from './secrets';
import { onSettingsChanged, readSettings } from './settings';
import { RelayStatusBar } from './status-bar';
import { HiringsProvider } from './tree/hirings-provider';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Agrenting Relay');
  const log = createLogger('extension', { sink: (line) => output.appendLine(line) });
  const version = (context.extension.packageJSON as { version?: string }).version ?? '0.0.0';
  const keys = new AgentKeyStore(context.secrets);
  // Kept current by the settings listener below, so locating the relay reads no settings.
  let stateDir = readSettings().stateDir;
  let runnerSettings = JSON.stringify(readSettings().runner);
  const connection = new RelayConnection({ locate: () => findLiveRelay(stateDir), log, version });
  const controller = new RelayController(context, connection, keys, output, log);
  const panels = new HiringPanels(context.extensionUri, connection);
  const reviews = new ReviewViewer(connection);
  const statusBar = new RelayStatusBar(connection);
  const ctx: CommandContext = { extension: context, connection, controller, keys, output, panels, reviews, statusBar };

  const setConnectionContext = () => {
    void vscode.commands.executeCommand('setContext', 'agrenting.connected', connection.state === 'connected');
    void vscode.commands.executeCommand('setContext', 'agrenting.connecting', connection.state === 'connecting');
  };
  const offState = connection.onState(() => {
    setConnectionContext();
    log.info(
      `relay connection: ${connection.state}`,
      connection.lastError ? { error: connection.lastError } : undefined,
    );
  });

  context.subscriptions.push(
    output,
    controller,
    new HiringsProvider(connection),
    statusBar,
    new Notifier(connection, (line) => output.appendLine(`[extension] ${line}`)),
    panels,
    reviews,
    ...registerWorkCommands(ctx),
    ...registerReviewCommands(ctx),
    ...registerRunCommands(ctx),
    ...registerRelayCommands(ctx),
    ...registerSetupCommands(ctx),
    registerMcpProvider(connection, (line) => output.appendLine(line)),
    keys.onDidChange(() => void refreshContext(ctx)),
    onSettingsChanged((settings) => {
      const runner = JSON.stringify(settings.runner);
      if (runner !== runnerSettings) {
        runnerSettings = runner;
        if (connection.state === 'connected') void offerRestartForRunner(controller);
      }
      // Only another state folder means another relay; other settings apply on the next start.
      if (settings.stateDir === stateDir) return;
      stateDir = settings.stateDir;
      controller.followLog();
      connection.reconnect();
    }),
    { dispose: offState },
    { dispose: () => connection.dispose() },
  );

  setConnectionContext();
  void refreshContext(ctx);
  connection.start();
  void controller.ensure();
}

/** The runner reaches the relay when the extension starts it: say so, and offer the restart. */
async function offerRestartForRunner(controller: RelayController): Promise<void> {
  const pick = await vscode.window.showInformationMessage(
    'Agrenting: the runner settings apply when the relay restarts.',
    'Restart Relay',
  );
  if (pick) await controller.restart().catch((e: unknown) => controller.report(e, 'restart'));
}

export function deactivate(): void {
  // The relay keeps running for other windows and for hirings that arrive meanwhile.
}
