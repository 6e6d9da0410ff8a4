// Which hiring or submission a command acts on: the tree node it was invoked on,
// an id (from the webview, a notification or a test), the draft in the active
// editor, or — from the palette — the user's pick in a QuickPick.
import * as vscode from 'vscode';
import type { HiringView, LocalPhase, Submission } from '../../relay/types';
import { taskTitle } from '../../shared/hiring';
import type { RelayConnection } from '../relay-connection';
import { HiringNode, ReviewNode } from '../tree/nodes';
import { hiringDescription, submissionWhat } from '../view-models/hiring-item';
import { draftHiringId } from '../view-models/output-draft';
import { GROUP_LABEL, groupOf } from '../view-models/phase';

export type Target = HiringNode | ReviewNode | string | { hiringId?: string; submissionId?: string } | undefined;

export const ACTIVE: readonly LocalPhase[] = ['new', 'claimed', 'awaiting_review', 'delivering'];

const idOf = (v: HiringView) => v.hiring.id;

function hiringIdFrom(target: Target, connection: RelayConnection): string | undefined {
  if (target instanceof HiringNode || target instanceof ReviewNode) return target.hiringId;
  if (typeof target === 'string') {
    if (connection.data.hirings.some((v) => idOf(v) === target)) return target;
    return connection.data.reviews.find((s) => s.id === target)?.hiringId ?? target;
  }
  if (target && typeof target === 'object') {
    return target.hiringId ?? connection.data.reviews.find((s) => s.id === target.submissionId)?.hiringId;
  }
  return undefined;
}

/** The hiring named by the draft in the active editor, if it is one. */
export function activeDraftHiringId(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc ? draftHiringId(doc.getText()) : undefined;
}

/** Hirings in these phases (and passing `only`, with `onlyWhat` naming it when none does). */
export interface PickFilter {
  only: (v: HiringView) => boolean;
  onlyWhat: string;
}

export async function pickHiring(
  connection: RelayConnection,
  phases: readonly LocalPhase[],
  placeHolder: string,
  filter?: PickFilter,
): Promise<HiringView | undefined> {
  const candidates = connection.data.hirings.filter((v) => phases.includes(v.phase) && (filter?.only(v) ?? true));
  if (candidates.length === 0) {
    const what =
      filter?.onlyWhat ??
      phases
        .map((p) => GROUP_LABEL[groupOf(p)])
        .filter((x, i, a) => a.indexOf(x) === i)
        .join(', ')
        .toLowerCase();
    void vscode.window.showInformationMessage(`Agrenting: no hiring to pick (${what}).`);
    return undefined;
  }
  const now = new Date();
  const picked = await vscode.window.showQuickPick(
    candidates.map((v) => ({
      label: taskTitle(v.hiring),
      description: hiringDescription(v, now),
      detail: `${GROUP_LABEL[groupOf(v.phase)]} · ${idOf(v)}`,
      view: v,
    })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.view;
}

/** Resolves the hiring a command is about; undefined when the user cancelled. */
export async function resolveHiring(
  connection: RelayConnection,
  target: Target,
  phases: readonly LocalPhase[],
  placeHolder: string,
  preferDraft = false,
  filter?: PickFilter,
): Promise<HiringView | undefined> {
  const id = hiringIdFrom(target, connection) ?? (preferDraft ? activeDraftHiringId() : undefined);
  if (id) {
    const view = connection.data.hirings.find((v) => idOf(v) === id);
    if (!view) throw new Error(`Hiring ${id} is not known to the relay. Run 'Agrenting: Refresh Hirings'.`);
    return view;
  }
  return pickHiring(connection, phases, placeHolder, filter);
}

/** Resolves the submission waiting for review a command is about. */
export async function resolveSubmission(
  connection: RelayConnection,
  target: Target,
  placeHolder: string,
): Promise<Submission | undefined> {
  const waiting = connection.data.reviews.filter((s) => s.state === 'awaiting_review');
  if (target instanceof ReviewNode) return find(target.submissionId);
  if (target && typeof target === 'object' && !(target instanceof HiringNode) && target.submissionId) {
    return find(target.submissionId);
  }
  if (typeof target === 'string' && connection.data.reviews.some((s) => s.id === target)) return find(target);
  const hiringId = hiringIdFrom(target, connection);
  const candidates = hiringId ? waiting.filter((s) => s.hiringId === hiringId) : waiting;
  if (hiringId && candidates.length === 0) throw new Error(`Hiring ${hiringId} has no submission waiting for review.`);
  if (candidates.length === 1 && hiringId) return candidates[0];
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('Agrenting: no submission is waiting for review.');
    return undefined;
  }
  const titleOf = (s: Submission) => {
    const v = connection.data.hirings.find((h) => idOf(h) === s.hiringId);
    return v ? taskTitle(v.hiring) : `Hiring ${s.hiringId}`;
  };
  const picked = await vscode.window.showQuickPick(
    candidates.map((s) => ({ label: titleOf(s), description: submissionWhat(s), detail: s.id, submission: s })),
    { placeHolder },
  );
  return picked?.submission;

  function find(id: string): Submission {
    const s = connection.data.reviews.find((x) => x.id === id);
    if (!s) throw new Error(`Submission ${id} is not in the review queue any more. Run 'Agrenting: Refresh Hirings'.`);
    return s;
  }
}
