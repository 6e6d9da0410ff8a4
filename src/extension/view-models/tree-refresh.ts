// Decides when the Hirings view must redraw: only when what it shows changed, not on
// every relay update (hirings, reviews, status), because a click landing during a
// redraw can hit a row being replaced and never run its command.
import type { HiringView, Submission } from '../../relay/types';
import { buildTree, type TreeModel } from './tree-model';

export interface TreeInputs {
  hirings: HiringView[];
  reviews: Submission[];
  /** Agents the relay has links for (they decide whether agents are a level of their own). */
  agents: string[];
}

/** Everything the tree shows, as one string: equal strings draw equal trees. */
export function treeFingerprint(model: TreeModel): string {
  return JSON.stringify(model);
}

export class TreeRefresh {
  private last: { hirings: HiringView[]; reviews: Submission[]; agents: string; print: string } | undefined;
  private servedPrint: string | undefined;

  /** VS Code fetched the root rows of the current model. */
  served(): void {
    this.servedPrint = this.last?.print;
  }

  /**
   * VS Code has not fetched the current model yet. A redraw can get lost (the view
   * was being opened, or was hidden, when it was asked for); then ask again.
   */
  get stale(): boolean {
    return this.last !== undefined && this.servedPrint !== this.last.print;
  }

  /**
   * The new model when the tree's content changed, else undefined. Unchanged inputs
   * (a status-only update: the relay replaces only the list it re-read) skip the
   * build; `clock` rebuilds anyway, because countdowns move with time.
   */
  next(inputs: TreeInputs, now: Date, clock = false): TreeModel | undefined {
    const agents = [...inputs.agents].sort().join('\n');
    const prev = this.last;
    if (
      !clock &&
      prev &&
      prev.hirings === inputs.hirings &&
      prev.reviews === inputs.reviews &&
      prev.agents === agents
    ) {
      return undefined;
    }
    const model = buildTree(inputs.hirings, inputs.reviews, now, inputs.agents);
    const print = treeFingerprint(model);
    this.last = { hirings: inputs.hirings, reviews: inputs.reviews, agents, print };
    return prev?.print === print ? undefined : model;
  }
}
