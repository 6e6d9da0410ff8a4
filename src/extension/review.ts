// Human review of what an attached agent submitted. Output mode: a read-only
// document (scheme agrenting-review:) with the output and artifacts. Push mode:
// the changes of the hiring's branch against its base commit, as a multi-file
// diff whose left side comes from `git show <baseSha>:<path>` (scheme agrenting-git:).
import * as vscode from 'vscode';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HiringView, Submission, WorkspaceRef } from '../relay/types';
import { taskTitle } from '../shared/hiring';
import type { RelayConnection } from './relay-connection';
import { changeLabel, parseNameStatus, withUntracked, type ChangedFile } from './view-models/diff-files';
import { submissionWhat } from './view-models/hiring-item';
import { reviewDocument } from './view-models/review-doc';

const run = promisify(execFile);
export const REVIEW_SCHEME = 'agrenting-review';
export const GIT_SCHEME = 'agrenting-git';

async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd: dir,
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout;
}

/** The files changed in the workspace since the base commit, committed or not. */
export async function changedFiles(ws: WorkspaceRef): Promise<ChangedFile[]> {
  const tracked = parseNameStatus(await git(ws.dir, ['diff', '--name-status', '-M', ws.baseSha]));
  const untracked = await git(ws.dir, ['ls-files', '--others', '--exclude-standard']);
  return withUntracked(tracked, untracked);
}

function gitUri(dir: string, sha: string, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: GIT_SCHEME, path: `/${path}`, query: JSON.stringify({ dir, sha }) });
}

export class ReviewViewer implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly connection: RelayConnection) {
    const reviewProvider: vscode.TextDocumentContentProvider = {
      onDidChange: this.changed.event,
      provideTextDocumentContent: (uri) => this.reviewText(uri),
    };
    const gitProvider: vscode.TextDocumentContentProvider = {
      provideTextDocumentContent: async (uri) => {
        const { dir, sha } = JSON.parse(uri.query) as { dir: string; sha: string };
        if (!sha) return '';
        try {
          return await git(dir, ['show', `${sha}:${uri.path.slice(1)}`]);
        } catch {
          return ''; // the file did not exist at the base commit
        }
      },
    };
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(REVIEW_SCHEME, reviewProvider),
      vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, gitProvider),
    );
    const off = connection.onData(() => {
      for (const doc of vscode.workspace.textDocuments) {
        if (doc.uri.scheme === REVIEW_SCHEME) this.changed.fire(doc.uri);
      }
    });
    this.disposables.push({ dispose: off });
  }

  private reviewText(uri: vscode.Uri): string {
    const id = uri.path.replace(/^\/(Review-)?/, '').replace(/\.md$/, '');
    const s = this.connection.data.reviews.find((x) => x.id === id);
    if (!s) {
      return `# Submission ${id}\n\nThis submission is no longer waiting for review (approved, rejected or delivered).\n`;
    }
    return reviewDocument(s, this.viewOf(s));
  }

  private viewOf(s: Submission): HiringView | undefined {
    return this.connection.data.hirings.find((v) => v.hiring.id === s.hiringId);
  }

  /** Opens a submission the way it is best reviewed, then offers Approve / Reject. */
  async open(s: Submission): Promise<void> {
    const view = this.viewOf(s);
    const ws = view?.workspace;
    if (s.kind === 'result' && view && view.hiring.delivery_mode === 'push' && ws) {
      await this.openChanges(s, view, ws);
    } else {
      const doc = await vscode.workspace.openTextDocument(
        vscode.Uri.from({ scheme: REVIEW_SCHEME, path: `/Review-${s.id}.md` }),
      );
      await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
      await vscode.window.showTextDocument(doc, { preview: true });
    }
    const pick = await vscode.window.showInformationMessage(
      `Review the ${submissionWhat(s)}, then approve it for the client or reject it with feedback.`,
      'Approve',
      'Reject…',
    );
    if (pick === 'Approve') await vscode.commands.executeCommand('agrenting.approveSubmission', s.id);
    if (pick === 'Reject…') await vscode.commands.executeCommand('agrenting.rejectSubmission', s.id);
  }

  private async openChanges(s: Submission, view: HiringView, ws: WorkspaceRef): Promise<void> {
    const files = await changedFiles(ws);
    const title = `Review: ${taskTitle(view.hiring, 50)} (${ws.branch} vs ${ws.baseBranch || ws.baseSha.slice(0, 7)})`;
    if (files.length === 0) {
      void vscode.window.showWarningMessage(
        `The branch ${ws.branch} has no changes against its base; the agent may not have written anything yet.`,
      );
      return;
    }
    const empty = (p: string) => gitUri(ws.dir, '', p);
    const entries = files.map((f): [vscode.Uri, vscode.Uri, vscode.Uri] => {
      const file = vscode.Uri.file(join(ws.dir, f.path));
      const original = f.kind === 'added' ? empty(f.path) : gitUri(ws.dir, ws.baseSha, f.basePath);
      const modified = f.kind === 'deleted' ? empty(f.path) : file;
      return [file, original, modified];
    });
    try {
      await vscode.commands.executeCommand('vscode.changes', title, entries);
    } catch {
      // Older hosts without the multi-file diff: one diff editor per file.
      for (const [i, [, original, modified]] of entries.slice(0, 10).entries()) {
        await vscode.commands.executeCommand('vscode.diff', original, modified, `${changeLabel(files[i])} (${s.id})`, {
          preview: false,
        });
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
