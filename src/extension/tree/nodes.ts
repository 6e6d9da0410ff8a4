// One small class per kind of node in the Hirings view. Each wraps its plain
// model from view-models/tree-model.ts and knows how to become a TreeItem.
import * as vscode from 'vscode';
import type { AgentModel, GroupModel, HiringModel, ReviewModel } from '../view-models/tree-model';

export class ReviewNode {
  readonly kind = 'review';
  constructor(readonly model: ReviewModel) {}
  get hiringId(): string {
    return this.model.hiringId;
  }
  get submissionId(): string {
    return this.model.submissionId;
  }
  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.model.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.model.id;
    item.description = this.model.description;
    item.contextValue = this.model.contextValue;
    item.iconPath = new vscode.ThemeIcon('git-pull-request-draft', new vscode.ThemeColor('charts.yellow'));
    item.tooltip = `Open ${this.model.label.toLowerCase()} for review`;
    item.accessibilityInformation = { label: `${this.model.label}, waiting for your review`, role: 'treeitem' };
    item.command = { command: 'agrenting.openReview', title: 'Open Submission for Review', arguments: [this] };
    return item;
  }
}

export class HiringNode {
  readonly kind = 'hiring';
  constructor(readonly model: HiringModel) {}
  get hiringId(): string {
    return this.model.id;
  }
  children(): ReviewNode[] {
    return this.model.reviews.map((r) => new ReviewNode(r));
  }
  toTreeItem(): vscode.TreeItem {
    const state =
      this.model.reviews.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(this.model.label, state);
    item.id = this.model.itemId;
    item.description = this.model.description;
    item.contextValue = this.model.contextValue;
    const md = new vscode.MarkdownString(this.model.tooltip);
    md.supportHtml = false;
    md.isTrusted = false;
    item.tooltip = md;
    item.iconPath = new vscode.ThemeIcon(
      this.model.icon.icon,
      this.model.icon.color ? new vscode.ThemeColor(this.model.icon.color) : undefined,
    );
    item.accessibilityInformation = { label: this.model.accessibilityLabel, role: 'treeitem' };
    item.command = { command: 'agrenting.openHiring', title: 'Open Hiring', arguments: [this] };
    return item;
  }
}

export class GroupNode {
  readonly kind = 'group';
  constructor(readonly model: GroupModel) {}
  children(): HiringNode[] {
    return this.model.hirings.map((h) => new HiringNode(h));
  }
  toTreeItem(): vscode.TreeItem {
    const collapsed = this.model.group === 'done' || this.model.group === 'failed';
    const item = new vscode.TreeItem(
      this.model.label,
      collapsed ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded,
    );
    item.id = this.model.id;
    item.description = this.model.description;
    item.contextValue = `group:${this.model.group}`;
    item.accessibilityInformation = {
      label: `${this.model.label}, ${this.model.description} hiring${this.model.description === '1' ? '' : 's'}`,
      role: 'treeitem',
    };
    return item;
  }
}

export class AgentNode {
  readonly kind = 'agent';
  constructor(readonly model: AgentModel) {}
  children(): GroupNode[] {
    return this.model.groups.map((g) => new GroupNode(g));
  }
  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.model.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.model.id;
    item.description = this.model.description;
    item.contextValue = 'agent';
    item.iconPath = new vscode.ThemeIcon('hubot');
    item.accessibilityInformation = { label: `Agent ${this.model.label}, ${this.model.description}`, role: 'treeitem' };
    return item;
  }
}

export type TreeNode = AgentNode | GroupNode | HiringNode | ReviewNode;
