// The relay's lifecycle and status from the palette: start, stop, restart, the
// log, the status details, and Refresh.
import * as vscode from 'vscode';
import { statusInput } from '../status-bar';
import { statusDetails } from '../view-models/status-bar';
import { command, type CommandContext } from './context';

export function registerRelayCommands(ctx: CommandContext): vscode.Disposable[] {
  const { controller, connection, output } = ctx;
  return [
    command(ctx, 'agrenting.relay.start', async () => {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Agrenting: starting the relay…' },
        () => controller.start(),
      );
      await refreshContext(ctx);
    }),
    command(ctx, 'agrenting.relay.stop', async () => {
      const stopped = await controller.stop();
      void vscode.window.showInformationMessage(
        stopped
          ? 'Agrenting: the relay stopped. Hirings keep waiting on Agrenting until it runs again.'
          : 'Agrenting: no relay was running.',
      );
    }),
    command(ctx, 'agrenting.relay.restart', async () => {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Agrenting: restarting the relay…' },
        () => controller.restart(),
      );
      await refreshContext(ctx);
    }),
    command(ctx, 'agrenting.relay.showLog', async () => {
      controller.followLog();
      output.show(true);
    }),
    command(ctx, 'agrenting.refresh', async () => {
      if (connection.state === 'connected') await connection.readAll();
      else connection.wake();
    }),
    command(ctx, 'agrenting.showStatus', async () => {
      const items = statusDetails(statusInput(connection));
      const picked = await vscode.window.showQuickPick(items, {
        title: 'Agrenting relay status',
        placeHolder: 'Pick a row to act on it',
        matchOnDescription: true,
        matchOnDetail: true,
      });
      if (picked?.command) await vscode.commands.executeCommand(picked.command);
    }),
  ];
}

/** Keeps the welcome view's context keys current. */
export async function refreshContext(ctx: CommandContext): Promise<void> {
  const configured = await ctx.controller.configured();
  ctx.statusBar?.setConfigured(configured);
  await vscode.commands.executeCommand('setContext', 'agrenting.configured', configured);
}
