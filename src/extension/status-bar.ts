// The status bar item: relay and upstream state, what is waiting; a click shows details.
import * as vscode from 'vscode';
import type { RelayConnection } from './relay-connection';
import { statusBarModel, type StatusInput } from './view-models/status-bar';
import { activeRunCount } from './view-models/runner';

export function statusInput(connection: RelayConnection, configured?: boolean): StatusInput {
  const { hirings, reviews, status } = connection.data;
  return {
    connection: connection.state,
    ...(connection.lastError ? { lastError: connection.lastError } : {}),
    ...(connection.info ? { relayUrl: connection.info.url } : {}),
    ...(connection.state === 'connected' && status ? { status } : {}),
    newHirings: hirings.filter((h) => h.phase === 'new').length,
    reviewsWaiting: reviews.filter((s) => s.state === 'awaiting_review').length,
    runsActive: activeRunCount(status, hirings),
    ...(configured === undefined ? {} : { configured }),
  };
}

export class RelayStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly offs: (() => void)[];
  private configured: boolean | undefined;

  constructor(private readonly connection: RelayConnection) {
    this.item = vscode.window.createStatusBarItem('agrenting.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Agrenting';
    this.item.command = 'agrenting.showStatus';
    this.offs = [connection.onState(() => this.update()), connection.onData(() => this.update())];
    this.update();
    this.item.show();
  }

  update(): void {
    const m = statusBarModel(statusInput(this.connection, this.configured));
    this.item.text = m.text;
    const tooltip = new vscode.MarkdownString(m.tooltip, true);
    tooltip.isTrusted = false;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: m.accessibilityLabel, role: 'button' };
    this.item.backgroundColor = m.severity ? new vscode.ThemeColor(`statusBarItem.${m.severity}Background`) : undefined;
  }

  /** Whether an agent key or the sandbox is set up (changes the offline wording). */
  setConfigured(configured: boolean): void {
    this.configured = configured;
    this.update();
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.item.dispose();
  }
}
