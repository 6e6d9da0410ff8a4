// The hiring detail: one webview panel per hiring, fed the plain DetailModel and
// refreshed whenever the relay's data changes. The webview only renders and posts
// back the command a button names; everything runs through the same commands as
// the palette and the tree.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { RelayConnection } from '../relay-connection';
import { taskTitle } from '../../shared/hiring';
import { detailModel } from '../view-models/detail-model';
import { runLogUri } from '../../shared/protocol';

/** Commands the webview may run; anything else it posts is ignored. */
const WEBVIEW_COMMANDS = new Set([
  'agrenting.startWork',
  'agrenting.claim',
  'agrenting.submitResult',
  'agrenting.reportFailure',
  'agrenting.sendMessage',
  'agrenting.openReview',
  'agrenting.approveSubmission',
  'agrenting.rejectSubmission',
  'agrenting.refresh',
  'agrenting.runWithAgent',
  'agrenting.stopRun',
]);

type FromWebview = { type: 'ready' } | { type: 'command'; command: string } | { type: 'send'; text: string };

function isMessage(m: unknown): m is FromWebview {
  if (!m || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  return (
    t === 'ready' ||
    (t === 'command' && typeof (m as { command?: unknown }).command === 'string') ||
    (t === 'send' && typeof (m as { text?: unknown }).text === 'string')
  );
}

export class HiringPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  /** Run logs followed live for open panels of hirings a runner works (or worked). */
  private readonly runLogs = new Map<string, { text: string; stop: () => void }>();
  private readonly off: () => void;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly connection: RelayConnection,
  ) {
    this.off = connection.onData(() => {
      for (const id of this.panels.keys()) this.post(id);
    });
  }

  show(hiringId: string): void {
    const existing = this.panels.get(hiringId);
    if (existing) {
      existing.reveal();
      this.post(hiringId);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(
      'agrenting.hiring',
      this.titleOf(hiringId),
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        retainContextWhenHidden: false,
        localResourceRoots: [media],
      },
    );
    panel.iconPath = vscode.Uri.joinPath(media, 'agrenting.svg');
    panel.webview.html = this.html(panel.webview, media);
    panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(hiringId, m));
    panel.onDidDispose(() => {
      this.panels.delete(hiringId);
      this.runLogs.get(hiringId)?.stop();
      this.runLogs.delete(hiringId);
    });
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.visible) this.post(hiringId);
    });
    this.panels.set(hiringId, panel);
  }

  private titleOf(id: string): string {
    const view = this.connection.data.hirings.find((v) => v.hiring.id === id);
    // The bare id when there is no task text: taskTitle's own fallback would read "Hiring: Hiring <id>".
    const text = view?.hiring.task_description.trim() ? view.hiring.task_description : id;
    return `Hiring: ${taskTitle({ id, task_description: text }, 40)}`;
  }

  private post(id: string): void {
    const panel = this.panels.get(id);
    if (!panel) return;
    const view = this.connection.data.hirings.find((v) => v.hiring.id === id);
    panel.title = this.titleOf(id);
    if (view?.run && !this.runLogs.has(id)) this.followRunLog(id);
    const extras = {
      runLog: this.runLogs.get(id)?.text,
      canRun: (this.connection.data.status?.runners?.length ?? 0) > 0,
    };
    const message = view
      ? { type: 'update', model: detailModel(view, this.connection.data.reviews, new Date(), extras) }
      : { type: 'missing', id };
    void panel.webview.postMessage(message);
  }

  /** The run's log, live: the relay notifies run://<id>/log as it grows (at a bounded rate). */
  private followRunLog(id: string): void {
    const entry = { text: '', stop: () => undefined as void };
    this.runLogs.set(id, entry);
    entry.stop = this.connection.watchText(runLogUri(id), (text) => {
      if (this.runLogs.get(id) !== entry || text === entry.text) return;
      entry.text = text;
      this.post(id);
    });
  }

  private onMessage(id: string, m: unknown): void {
    if (!isMessage(m)) return;
    if (m.type === 'ready') return this.post(id);
    if (m.type === 'send') {
      void vscode.commands.executeCommand('agrenting.sendMessage', id, m.text);
      return;
    }
    if (WEBVIEW_COMMANDS.has(m.command)) void vscode.commands.executeCommand(m.command, id);
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'detail.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'detail.css'));
    const csp = [
      `default-src 'none'`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${style.toString()}" rel="stylesheet">
<title>Hiring</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading the hiring…</p></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.off();
    for (const l of this.runLogs.values()) l.stop();
    this.runLogs.clear();
    for (const p of this.panels.values()) p.dispose();
    this.panels.clear();
  }
}
