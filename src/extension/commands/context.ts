// What every command needs, and one way to register a command so that each
// failure becomes an error message a person can act on (never a secret).
import * as vscode from 'vscode';
import { safeError } from '../../shared/redact';
import type { HiringPanels } from '../detail/hiring-panel';
import type { RelayConnection } from '../relay-connection';
import type { RelayController } from '../relay-controller';
import type { ReviewViewer } from '../review';
import type { AgentKeyStore } from '../secrets';
import type { RelayStatusBar } from '../status-bar';

export interface CommandContext {
  extension: vscode.ExtensionContext;
  connection: RelayConnection;
  controller: RelayController;
  keys: AgentKeyStore;
  output: vscode.OutputChannel;
  panels: HiringPanels;
  reviews: ReviewViewer;
  statusBar?: RelayStatusBar;
}

/** Registers a command whose errors are shown (redacted) and logged to the output channel. */
export function command(
  ctx: CommandContext,
  id: string,
  handler: (...args: unknown[]) => Promise<unknown>,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await handler(...args);
    } catch (e) {
      const err = safeError(e);
      ctx.output.appendLine(`[extension] ${id} failed: ${err.message}`);
      void vscode.window.showErrorMessage(`Agrenting: ${err.message}`);
      return undefined;
    }
  });
}
