// The Hirings view: owns its TreeView, rebuilds the plain tree model whenever the
// relay's data changes (and each minute, so countdowns stay current), and keeps
// the badge on the activity-bar icon at the number of new hirings.
import * as vscode from 'vscode';
import type { RelayConnection } from '../relay-connection';
import { buildTree, newHiringsBadge, type TreeModel } from '../view-models/tree-model';
import { AgentNode, GroupNode, HiringNode, type TreeNode } from './nodes';

export class HiringsProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<TreeNode>;
  private model: TreeModel = { kind: 'groups', groups: [] };
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly connection: RelayConnection) {
    this.view = vscode.window.createTreeView('agrenting.hirings', { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(this.view, this.changed);
    const off = connection.onData(() => this.rebuild());
    this.disposables.push({ dispose: off });
    this.timer = setInterval(() => this.rebuild(), 60_000);
    this.rebuild();
  }

  rebuild(): void {
    const { hirings, reviews, status } = this.connection.data;
    this.model = buildTree(hirings, reviews, new Date(), (status?.links ?? []).map((l) => l.agent));
    const badge = newHiringsBadge(hirings);
    this.view.badge = badge.value > 0 ? badge : undefined;
    void vscode.commands.executeCommand('setContext', 'agrenting.empty', hirings.length === 0);
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.toTreeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      return this.model.kind === 'agents' ? this.model.agents.map((a) => new AgentNode(a)) : this.model.groups.map((g) => new GroupNode(g));
    }
    if (node instanceof AgentNode || node instanceof GroupNode || node instanceof HiringNode) return node.children();
    return [];
  }

  getParent(): undefined {
    // Reveal is not used; parents are not tracked.
    return undefined;
  }

  /** The node of a hiring, for commands that reveal it. */
  findHiring(id: string): HiringNode | undefined {
    const groups = this.model.kind === 'agents' ? this.model.agents.flatMap((a) => a.groups) : this.model.groups;
    for (const g of groups) {
      const h = g.hirings.find((x) => x.id === id);
      if (h) return new HiringNode(h);
    }
    return undefined;
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
