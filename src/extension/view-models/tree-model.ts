// The sidebar as plain data: agents (when there are several) → groups → hirings
// → submissions waiting for review. nodes.ts turns each into a TreeItem.
import type { HiringView, Submission } from '../../relay/types';
import { msUntil } from './deadline';
import {
  hiringAccessibilityLabel,
  hiringContextValue,
  hiringDescription,
  hiringIcon,
  hiringLabel,
  hiringTooltip,
  reviewContextValue,
  reviewDescription,
  reviewLabel,
} from './hiring-item';
import { GROUP_LABEL, GROUP_ORDER, groupOf, type HiringGroup } from './phase';

export interface ReviewModel {
  kind: 'review';
  id: string;
  submissionId: string;
  hiringId: string;
  label: string;
  description: string;
  contextValue: string;
}

export interface HiringModel {
  kind: 'hiring';
  /** The hiring id: what commands act on. */
  id: string;
  /**
   * The TreeItem id. VS Code remembers a row's expanded state by this id, and a
   * row it first saw as a leaf stays collapsed when children appear; so a hiring
   * with submissions waiting gets an id of its own, and shows them expanded.
   */
  itemId: string;
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  icon: { icon: string; color?: string };
  accessibilityLabel: string;
  reviews: ReviewModel[];
}

export interface GroupModel {
  kind: 'group';
  id: string;
  group: HiringGroup;
  agent?: string;
  label: string;
  description: string;
  hirings: HiringModel[];
}

export interface AgentModel {
  kind: 'agent';
  id: string;
  agent: string;
  label: string;
  description: string;
  groups: GroupModel[];
}

export type TreeModel = { kind: 'agents'; agents: AgentModel[] } | { kind: 'groups'; groups: GroupModel[] };

/** Sort order inside a group: active work by nearest deadline, finished work newest first. */
function compare(group: HiringGroup, now: Date) {
  return (a: HiringView, b: HiringView): number => {
    if (group === 'done' || group === 'failed') return (b.updatedAt || '').localeCompare(a.updatedAt || '');
    const da = msUntil(a.hiring.deadline_at, now) ?? Number.POSITIVE_INFINITY;
    const db = msUntil(b.hiring.deadline_at, now) ?? Number.POSITIVE_INFINITY;
    if (da !== db) return da - db;
    return (a.firstSeenAt || '').localeCompare(b.firstSeenAt || '');
  };
}

export function hiringModel(view: HiringView, reviews: Submission[], now: Date): HiringModel {
  const id = view.hiring.id;
  const waiting = reviews.filter((s) => s.hiringId === id && s.state === 'awaiting_review');
  return {
    kind: 'hiring',
    id,
    itemId: waiting.length > 0 ? `${id}:review` : id,
    label: hiringLabel(view),
    description: hiringDescription(view, now),
    tooltip: hiringTooltip(view, now),
    contextValue: hiringContextValue(view),
    icon: hiringIcon(view),
    accessibilityLabel: hiringAccessibilityLabel(view, now),
    reviews: waiting.map((s) => ({
      kind: 'review',
      id: `review:${s.id}`,
      submissionId: s.id,
      hiringId: s.hiringId,
      label: reviewLabel(s),
      description: reviewDescription(s),
      contextValue: reviewContextValue(view),
    })),
  };
}

function groupsFor(views: HiringView[], reviews: Submission[], now: Date, agent?: string): GroupModel[] {
  return GROUP_ORDER.flatMap((group) => {
    const members = views.filter((v) => groupOf(v.phase) === group).sort(compare(group, now));
    if (members.length === 0) return [];
    return [
      {
        kind: 'group' as const,
        id: agent === undefined ? `group:${group}` : `group:${agent}:${group}`,
        group,
        ...(agent === undefined ? {} : { agent }),
        label: GROUP_LABEL[group],
        description: String(members.length),
        hirings: members.map((v) => hiringModel(v, reviews, now)),
      },
    ];
  });
}

/** Builds the tree; agents are a level of their own only when hirings come from more than one. */
export function buildTree(
  views: HiringView[],
  reviews: Submission[],
  now: Date,
  knownAgents: string[] = [],
): TreeModel {
  const agents = [...new Set([...knownAgents, ...views.map((v) => v.agent)])].sort();
  if (agents.length <= 1) return { kind: 'groups', groups: groupsFor(views, reviews, now) };
  return {
    kind: 'agents',
    agents: agents.map((agent) => {
      const mine = views.filter((v) => v.agent === agent);
      const fresh = mine.filter((v) => v.phase === 'new').length;
      return {
        kind: 'agent' as const,
        id: `agent:${agent}`,
        agent,
        label: agent,
        description: fresh > 0 ? `${fresh} new` : `${mine.length} hiring${mine.length === 1 ? '' : 's'}`,
        groups: groupsFor(mine, reviews, now, agent),
      };
    }),
  };
}

/** The badge on the view: how many hirings nobody has claimed yet. */
export function newHiringsBadge(views: HiringView[]): { value: number; tooltip: string } {
  const value = views.filter((v) => v.phase === 'new').length;
  return { value, tooltip: value === 1 ? '1 new hiring' : `${value} new hirings` };
}
