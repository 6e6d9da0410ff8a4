// Runners from VS Code: Run with Agent… hands a hiring to a runner the relay knows (a
// coding-agent CLI it starts), Stop Run ends one. The agent's work then comes back to the
// review queue like any other submission.
import * as vscode from 'vscode';
import type { HiringView } from '../../relay/types';
import { taskTitle } from '../../shared/hiring';
import { isRunActive, runDescription, runnerPicks } from '../view-models/runner';
import { resolveHiring, type Target } from './targets';
import { command, type CommandContext } from './context';

/** A runner may take a hiring nobody has claimed, or one a runner already holds (to run it again). */
const RUNNABLE = ['new', 'claimed'] as const;

async function runWithAgent(ctx: CommandContext, target: Target, runner?: string): Promise<void> {
  const view = await resolveHiring(ctx.connection, target, RUNNABLE, 'Hand which hiring to a coding agent?');
  if (!view) return;
  const picks = runnerPicks(ctx.connection.data.status);
  if (picks.length === 0) {
    const open = await vscode.window.showInformationMessage(
      'Agrenting: the relay has no runner. Set agrenting.runner.command (e.g. ["claude", "-p"]) and restart the ' +
        'relay, or add "runners" to the relay config.',
      'Open Settings',
    );
    if (open) await vscode.commands.executeCommand('workbench.action.openSettings', 'agrenting.runner');
    return;
  }
  const name =
    runner ??
    (picks.length === 1
      ? picks[0].name
      : (
          await vscode.window.showQuickPick(picks, {
            placeHolder: `Which agent works "${taskTitle(view.hiring, 60)}"?`,
            matchOnDescription: true,
          })
        )?.name);
  if (!name) return;
  await ctx.connection.callTool('start_run', { hiring_id: view.hiring.id, runner: name });
  void vscode.window.showInformationMessage(
    `Agrenting: ${name} is working on "${taskTitle(view.hiring, 60)}". Its result will wait for your review.`,
  );
}

async function stopRun(ctx: CommandContext, target: Target): Promise<void> {
  const running = (v: HiringView) => v.run !== undefined && isRunActive(v.run.state);
  const view = await resolveHiring(ctx.connection, target, RUNNABLE, 'Stop the run on which hiring?', false, {
    only: running,
    onlyWhat: 'no agent is running',
  });
  if (!view) return;
  if (!running(view)) {
    throw new Error(
      `No run is working on "${taskTitle(view.hiring, 60)}"${view.run ? ` (${runDescription(view.run)})` : ''}.`,
    );
  }
  await ctx.connection.callTool('stop_run', { hiring_id: view.hiring.id });
  void vscode.window.showInformationMessage(
    `Agrenting: stopped ${view.run?.runner ?? 'the run'} on "${taskTitle(view.hiring, 60)}". Nothing was submitted.`,
  );
}

export function registerRunCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    command(ctx, 'agrenting.runWithAgent', (target, runner) =>
      runWithAgent(ctx, target as Target, typeof runner === 'string' ? runner : undefined),
    ),
    command(ctx, 'agrenting.stopRun', (target) => stopRun(ctx, target as Target)),
  ];
}
