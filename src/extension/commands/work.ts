// Working a hiring by hand: Claim, Start Work, Submit Result, Report Failure,
// Send Message, Open Hiring. Each takes a tree node, an id, or nothing (QuickPick).
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import type { HiringView } from '../../relay/types';
import { FAILURE_ERRORS, LIMITS, type FailureError } from '../../shared/protocol';
import { LOCAL_PHASES } from '../../shared/constants';
import { buildOutputSubmission, type OutputFile } from '../../relay/delivery/output';
import { readSettings } from '../settings';
import { draftHiringId, draftText, isSentDraft, stripDraftHeader } from '../view-models/output-draft';
import { SEND_BUTTON, confirmSend, sendOutcome, type Outgoing } from '../view-models/send-confirm';
import { parseHiringView, parseSubmission, parseWorkspaceResult } from '../view-models/parse';
import { taskTitle } from '../../shared/hiring';
import type { RelayToolInput } from '../../shared/tools';
import { ACTIVE, resolveHiring, type Target } from './targets';
import { command, type CommandContext } from './context';

type SubmitInput = RelayToolInput['submit_hiring_result'];

const title = (v: HiringView) => `"${taskTitle(v.hiring, 60)}"`;

async function claim(ctx: CommandContext, view: HiringView): Promise<HiringView> {
  const result = await ctx.connection.callTool('claim_hiring', { hiring_id: view.hiring.id });
  try {
    return parseHiringView(result);
  } catch {
    return { ...view, phase: 'claimed' };
  }
}

async function openWorkspace(dir: string): Promise<void> {
  const uri = vscode.Uri.file(dir);
  const openIn = readSettings().openIn;
  if (openIn === 'addToWorkspace') {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.some((f) => f.uri.fsPath === uri.fsPath)) {
      vscode.workspace.updateWorkspaceFolders(folders.length, 0, { uri });
    }
    await vscode.commands.executeCommand('workbench.view.explorer');
    return;
  }
  await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: openIn === 'newWindow' });
}

async function startPush(ctx: CommandContext, view: HiringView): Promise<void> {
  const id = view.hiring.id;
  const existing = view.workspace?.dir;
  if (existing && existsSync(existing)) return openWorkspace(existing);
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Agrenting: preparing the workspace for ${title(view)}`,
      cancellable: false,
    },
    async (progress) => {
      progress.report({ message: 'cloning the repository…' });
      return ctx.connection.callTool('prepare_workspace', { hiring_id: id }, (message) => {
        if (message) progress.report({ message });
      });
    },
  );
  const ws = parseWorkspaceResult(result);
  if (!ws) {
    throw new Error(
      `The relay prepared hiring ${id} but did not say where the workspace is. See 'Agrenting: Show Relay Log'.`,
    );
  }
  ctx.output.appendLine(`[extension] workspace for ${id}: ${ws.dir} (branch ${ws.branch})`);
  await openWorkspace(ws.dir);
}

async function startOutput(view: HiringView): Promise<void> {
  const id = view.hiring.id;
  const open = vscode.workspace.textDocuments.find((d) => draftHiringId(d.getText()) === id);
  const doc =
    open ?? (await vscode.workspace.openTextDocument({ language: 'markdown', content: draftText(view.hiring) }));
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  if (!open) {
    const end = doc.positionAt(doc.getText().length);
    editor.selection = new vscode.Selection(end, end);
  }
}

async function startWork(ctx: CommandContext, target: Target): Promise<void> {
  let view = await resolveHiring(ctx.connection, target, ['new', 'claimed'], 'Start work on which hiring?');
  if (!view) return;
  if (view.phase === 'new') view = await claim(ctx, view);
  if (view.hiring.delivery_mode === 'push') await startPush(ctx, view);
  else await startOutput(view);
}

type Source = 'editor' | 'selection' | 'files';

async function pickSource(): Promise<Source | undefined> {
  const editor = vscode.window.activeTextEditor;
  const items: (vscode.QuickPickItem & { source: Source })[] = [];
  if (editor) {
    items.push({
      label: '$(file) Active editor',
      description: editor.document.isUntitled ? 'untitled' : basename(editor.document.fileName),
      detail: 'Submit the whole text of the editor',
      source: 'editor',
    });
    if (!editor.selection.isEmpty) {
      items.push({ label: '$(selection) Selection', detail: 'Submit only the selected text', source: 'selection' });
    }
  }
  items.push({ label: '$(files) Files…', detail: 'Choose files to attach as artifacts', source: 'files' });
  if (items.length === 1) return 'files';
  return (await vscode.window.showQuickPick(items, { placeHolder: 'What should the result be?' }))?.source;
}

async function outputArgs(view: HiringView): Promise<SubmitInput | undefined> {
  const id = view.hiring.id;
  const source = await pickSource();
  if (!source) return undefined;
  if (source === 'files') {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: true,
      openLabel: 'Submit',
      title: `Files for ${title(view)}`,
    });
    if (!uris || uris.length === 0) return undefined;
    const files: OutputFile[] = await Promise.all(
      uris.map(async (u) => ({
        name: basename(u.fsPath),
        content: Buffer.from(await vscode.workspace.fs.readFile(u)),
      })),
    );
    return buildOutputSubmission({ hiringId: id, files });
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const doc = editor.document;
  const raw = source === 'selection' ? doc.getText(editor.selection) : doc.getText();
  const content = stripDraftHeader(raw);
  if (content.trim() === '') throw new Error(`The result of hiring ${id} is empty: write it in the editor first.`);
  const name = doc.isUntitled ? undefined : basename(doc.fileName);
  return buildOutputSubmission({
    hiringId: id,
    text: { content, language: doc.languageId, ...(name ? { name } : {}) },
  });
}

async function pushArgs(view: HiringView): Promise<SubmitInput | undefined> {
  const summary = await vscode.window.showInputBox({
    title: `Submit ${title(view)}`,
    prompt:
      'Summary of the change for the client (also the commit message). The relay commits and pushes the branch when the result is delivered.',
    placeHolder: 'Fixed the login redirect and added tests',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? 'A summary is required.' : undefined),
  });
  if (summary === undefined) return undefined;
  return {
    hiring_id: view.hiring.id,
    output: { summary: summary.trim() },
    push: { summary: summary.trim(), commitMessage: summary.trim().split('\n')[0] },
  };
}

/**
 * The operator's own result or failure report: confirmed once in a modal, then
 * submitted and approved at once. Review is for agents' output; a person who just
 * chose to send something should not have to approve it again.
 */
async function sendToClient<N extends 'submit_hiring_result' | 'report_hiring_failure'>(
  ctx: CommandContext,
  view: HiringView,
  tool: N,
  args: RelayToolInput[N],
  out: Outgoing,
): Promise<boolean> {
  const ask = confirmSend(view, out);
  const answer = await vscode.window.showWarningMessage(ask.message, { modal: true, detail: ask.detail }, SEND_BUTTON);
  if (answer !== SEND_BUTTON) return false;
  const id = view.hiring.id;
  const done = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Agrenting: sending ${out.kind === 'failure' ? 'the failure report' : 'the result'} of ${title(view)}`,
      cancellable: false,
    },
    async (progress) => {
      progress.report({ message: 'submitting…' });
      const submitted = parseSubmission(await ctx.connection.callTool(tool, args));
      // With review off the relay sends it by itself.
      if (submitted.state !== 'awaiting_review') return submitted;
      progress.report({
        message:
          view.hiring.delivery_mode === 'push' && out.kind === 'result'
            ? 'committing and pushing…'
            : 'sending to the client…',
      });
      try {
        return parseSubmission(
          await ctx.connection.callTool('approve_submission', { submission_id: submitted.id }, (message) => {
            if (message) progress.report({ message });
          }),
        );
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new Error(
          `Hiring ${id}: submission ${submitted.id} was saved but not sent (${why}). It waits under "Awaiting review": approve it there to send it.`,
        );
      }
    },
  );
  ctx.output.appendLine(`[extension] ${tool} for ${id}: submission ${done.id} ${done.state}`);
  const outcome = sendOutcome(view, done);
  if (!outcome.ok) throw new Error(outcome.message);
  void vscode.window.showInformationMessage(outcome.message);
  return true;
}

/** Closes the hiring's untitled draft editors without asking to save them: their text has been sent. */
async function closeSentDrafts(hiringId: string): Promise<void> {
  const drafts = vscode.workspace.textDocuments.filter((d) =>
    isSentDraft({ isUntitled: d.isUntitled, text: d.getText() }, hiringId),
  );
  for (const doc of drafts) {
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
}

async function submitResult(ctx: CommandContext, target: Target): Promise<void> {
  const view = await resolveHiring(
    ctx.connection,
    target,
    ['new', 'claimed'],
    'Submit the result of which hiring?',
    true,
  );
  if (!view) return;
  const args = view.hiring.delivery_mode === 'push' ? await pushArgs(view) : await outputArgs(view);
  if (!args) return;
  const sent = await sendToClient(ctx, view, 'submit_hiring_result', args, { kind: 'result', args });
  if (sent && view.hiring.delivery_mode !== 'push') await closeSentDrafts(view.hiring.id);
}

const FAILURE_TEXT: Record<FailureError, string> = {
  timeout: 'The deadline cannot be met',
  capability_mismatch: 'The task needs something this agent cannot do',
  agent_unresponsive: 'The agent stopped responding',
  other: 'Another reason',
};

async function reportFailure(ctx: CommandContext, target: Target): Promise<void> {
  const view = await resolveHiring(
    ctx.connection,
    target,
    ['new', 'claimed', 'awaiting_review'],
    'Report failure for which hiring?',
  );
  if (!view) return;
  const picked = await vscode.window.showQuickPick(
    FAILURE_ERRORS.filter((e) => e !== 'agent_unresponsive').map((e) => ({
      label: e,
      description: FAILURE_TEXT[e],
      error: e,
    })),
    { placeHolder: `Why can ${title(view)} not be done? The client is refunded.` },
  );
  if (!picked) return;
  const reason = await vscode.window.showInputBox({
    title: `Report failure: ${title(view)}`,
    prompt: 'Explain to the client why the hiring cannot be done.',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? 'A reason is required.' : undefined),
  });
  if (reason === undefined) return;
  const args = { hiring_id: view.hiring.id, reason: reason.trim(), error: picked.error };
  await sendToClient(ctx, view, 'report_hiring_failure', args, {
    kind: 'failure',
    error: picked.error,
    reason: args.reason,
  });
}

async function sendMessage(ctx: CommandContext, target: Target, text?: unknown): Promise<void> {
  const view = await resolveHiring(ctx.connection, target, ACTIVE, 'Send a message about which hiring?');
  if (!view) return;
  const content =
    typeof text === 'string' && text.trim() !== ''
      ? text
      : await vscode.window.showInputBox({
          title: `Message to the client of ${title(view)}`,
          prompt: 'The client sees this message on the hiring.',
          ignoreFocusOut: true,
          validateInput: (v) =>
            v.trim() === ''
              ? 'Write a message.'
              : v.length > LIMITS.maxMessageChars
                ? `At most ${LIMITS.maxMessageChars} characters.`
                : undefined,
        });
  if (content === undefined) return;
  await ctx.connection.callTool('add_hiring_message', {
    hiring_id: view.hiring.id,
    content: content.trim(),
    kind: content.trim().endsWith('?') ? 'question' : 'message',
  });
  void vscode.window.setStatusBarMessage(`Agrenting: message sent for ${title(view)}`, 5000);
}

export function registerWorkCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    command(ctx, 'agrenting.claim', async (target) => {
      const view = await resolveHiring(ctx.connection, target as Target, ['new'], 'Claim which hiring?');
      if (!view) return;
      await claim(ctx, view);
      void vscode.window.showInformationMessage(`Agrenting: claimed ${title(view)}.`);
    }),
    command(ctx, 'agrenting.startWork', (target) => startWork(ctx, target as Target)),
    command(ctx, 'agrenting.submitResult', (target) => submitResult(ctx, target as Target)),
    command(ctx, 'agrenting.reportFailure', (target) => reportFailure(ctx, target as Target)),
    command(ctx, 'agrenting.sendMessage', (target, text) => sendMessage(ctx, target as Target, text)),
    command(ctx, 'agrenting.openHiring', async (target) => {
      const view = await resolveHiring(ctx.connection, target as Target, LOCAL_PHASES, 'Open which hiring?');
      if (view) ctx.panels.show(view.hiring.id);
    }),
  ];
}
