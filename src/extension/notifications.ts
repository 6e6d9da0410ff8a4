// Shows notifications for what changed in the relay (new hirings, reviews waiting,
// deliveries confirmed or failed) and for deadlines an hour away, at the level the
// user chose. What deserves a notice is decided in view-models/notify.ts.
import * as vscode from 'vscode';
import type { RelayConnection } from './relay-connection';
import { readSettings } from './settings';
import { allowed, deadlineNotices, diffNotices, snapshotOf, type Notice, type Snapshot } from './view-models/notify';

export class Notifier implements vscode.Disposable {
  private previous: Snapshot | undefined;
  private readonly warned = new Set<string>();
  private readonly off: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly connection: RelayConnection,
    private readonly log: (line: string) => void,
    deadlineCheckMs = 60_000,
  ) {
    this.off = connection.onData(() => this.onData());
    this.timer = setInterval(() => this.checkDeadlines(), deadlineCheckMs);
  }

  private onData(): void {
    const { hirings, reviews } = this.connection.data;
    const notices = diffNotices(this.previous, hirings, reviews);
    this.previous = snapshotOf(hirings, reviews);
    for (const n of notices) this.show(n);
    void vscode.commands.executeCommand(
      'setContext',
      'agrenting.reviewsWaiting',
      reviews.some((s) => s.state === 'awaiting_review'),
    );
    this.checkDeadlines();
  }

  private checkDeadlines(): void {
    const notices = deadlineNotices(this.connection.data.hirings, new Date(), this.warned);
    for (const n of notices) {
      if (n.hiringId) this.warned.add(n.hiringId);
      this.show(n);
    }
  }

  private show(n: Notice): void {
    if (!allowed(n, readSettings().notificationLevel)) return;
    this.log(`notification: ${n.message}`);
    const titles = n.actions.map((a) => a.title);
    const shown =
      n.severity === 'warning'
        ? vscode.window.showWarningMessage(n.message, ...titles)
        : vscode.window.showInformationMessage(n.message, ...titles);
    void shown.then((picked) => {
      const action = n.actions.find((a) => a.title === picked);
      if (!action) return;
      const arg =
        action.command === 'agrenting.openReview' || action.command === 'agrenting.approveSubmission'
          ? (n.submissionId ?? n.hiringId)
          : n.hiringId;
      void vscode.commands.executeCommand(action.command, ...(arg ? [arg] : []));
    });
  }

  dispose(): void {
    this.off();
    clearInterval(this.timer);
  }
}
