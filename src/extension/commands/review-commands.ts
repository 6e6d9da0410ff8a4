// Human review: open a waiting submission, approve it (it goes to the client), or
// reject it with feedback (it goes to the agent only).
import * as vscode from 'vscode';
import { submissionWhat } from '../view-models/hiring-item';
import { parseSubmission } from '../view-models/parse';
import { command, type CommandContext } from './context';
import { resolveSubmission, type Target } from './targets';

export function registerReviewCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    command(ctx, 'agrenting.openReview', async (target) => {
      const s = await resolveSubmission(ctx.connection, target as Target, 'Review which submission?');
      if (s) await ctx.reviews.open(s);
    }),
    command(ctx, 'agrenting.approveSubmission', async (target) => {
      const s = await resolveSubmission(ctx.connection, target as Target, 'Approve which submission?');
      if (!s) return;
      const done = parseSubmission(await ctx.connection.callTool('approve_submission', { submission_id: s.id }));
      void vscode.window.showInformationMessage(
        `Agrenting: approved the ${submissionWhat(s)}; ${done.state === 'delivered' ? 'the client has it' : 'the relay is delivering it to the client'}.`,
      );
    }),
    command(ctx, 'agrenting.rejectSubmission', async (target, text) => {
      const s = await resolveSubmission(ctx.connection, target as Target, 'Reject which submission?');
      if (!s) return;
      const feedback =
        typeof text === 'string' && text.trim() !== ''
          ? text
          : await vscode.window.showInputBox({
              title: `Reject the ${submissionWhat(s)}`,
              prompt: 'Feedback for the agent: what should it change? The client never sees this.',
              ignoreFocusOut: true,
              validateInput: (v) => (v.trim() === '' ? 'Tell the agent what to change.' : undefined),
            });
      if (feedback === undefined) return;
      await ctx.connection.callTool('reject_submission', { submission_id: s.id, feedback: feedback.trim() });
      void vscode.window.showInformationMessage(
        `Agrenting: rejected the ${submissionWhat(s)}; your feedback is on its way to the agent.`,
      );
    }),
  ];
}
