// The Hirings view: owns its TreeView, rebuilds the plain tree model when the
// relay's data changes (and each minute, so countdowns stay current), redraws
// only when what the tree shows changed (a redraw can swallow a click on a row),
// and keeps the badge on the activity-bar icon at the number of new hirings.
import * as vscode from 'vscode';
import type { RelayConnection } from '../relay-connection';
import { newHiringsBadge, type TreeModel } from '../view-models/tree-model';
import { TreeRefresh } from '../view-models/tree-refresh';
import { AgentNode, GroupNode, HiringNode, type TreeNode } from './nodes';

/** How long VS Code may take to fetch the rows after a redraw, or after showing the view. */
const REDRAW_CHECK_MS = 3000;
const SHOWN_CHECK_MS = 1000;

export class HiringsProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<TreeNode>;
  private model: TreeModel = { kind: 'groups', groups: [] };
  private readonly refresh = new TreeRefresh();
  private badgeValue = -1;
  private empty: boolean | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timer: NodeJS.Timeout;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly connection: RelayConnection) {
    this.view = vscode.window.createTreeView('agrenting.hirings', { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(this.view, this.changed);
    const off = connection.onData(() => this.rebuild(false));
    this.disposables.push({ dispose: off });
    this.timer = setInterval(() => this.rebuild(true), 60_000);
    // Not a redraw on showing (VS Code draws the view then): one now would land under the first click. Only a check that it did.
    this.disposables.push(this.view.onDidChangeVisibility((e) => e.visible && this.watch(SHOWN_CHECK_MS)));
    this.rebuild(true);
  }

  /**
   * Asks VS Code to redraw. While the view is hidden VS Code keeps the request for
   * when it shows the view again; before it first showed it, VS Code fetches the rows itself.
   */
  private redraw(): void {
    this.changed.fire(undefined);
    if (this.view.visible) this.watch(REDRAW_CHECK_MS);
  }

  /** If VS Code has not fetched the current rows after a while (a dropped redraw, a stale view shown again), ask again. */
  private watch(ms: number, tries = 5): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (!this.view.visible || !this.refresh.stale || tries <= 0) return;
      this.changed.fire(undefined);
      this.watch(REDRAW_CHECK_MS, tries - 1);
    }, ms);
  }

  /** `clock`: rebuild even if the relay's data is the same (countdowns). */
  private rebuild(clock: boolean): void {
    const { hirings, reviews, status } = this.connection.data;
    const next = this.refresh.next(
      { hirings, reviews, agents: (status?.links ?? []).map((l) => l.agent) },
      new Date(),
      clock,
    );
    const badge = newHiringsBadge(hirings);
    if (badge.value !== this.badgeValue) {
      this.badgeValue = badge.value;
      this.view.badge = badge.value > 0 ? badge : undefined;
    }
    if (this.empty !== (hirings.length === 0)) {
      this.empty = hirings.length === 0;
      void vscode.commands.executeCommand('setContext', 'agrenting.empty', this.empty);
    }
    if (!next) return;
    this.model = next;
    this.redraw();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.toTreeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      this.refresh.served();
      return this.model.kind === 'agents'
        ? this.model.agents.map((a) => new AgentNode(a))
        : this.model.groups.map((g) => new GroupNode(g));
    }
    if (node instanceof AgentNode || node instanceof GroupNode || node instanceof HiringNode) return node.children();
    return [];
  }

  getParent(): undefined {
    // Reveal is not used; parents are not tracked.
    return undefined;
  }

  dispose(): void {
    clearInterval(this.timer);
    clearTimeout(this.watchdog);
    for (const d of this.disposables) d.dispose();
  }
}
