// The one dispatch point's rules. A hiring is handled by exactly one of: a person in VS Code, an
// attached MCP worker that claims it, the HiClaw bridge, or a runner. Automatic handlers (the bridge
// and runners with autoDispatch) take only a hiring nobody handles yet, and between themselves the
// bridge keeps the agents it serves; the claim in the store (first claimer wins) settles any race.
import { isActiveStatus } from '../../shared/protocol';
import type { HiringView } from '../types';
import type { RunnerConfig } from './config';

/** The claim name a runner works under (its `claimedBy`). */
export function runnerClaimName(runner: string): string {
  return `runner:${runner}`;
}

/** Nobody handles this hiring yet and it is still open on the platform. */
export function isUnhandled(view: Pick<HiringView, 'phase' | 'claimedBy' | 'hiring'>): boolean {
  return view.phase === 'new' && !view.claimedBy && isActiveStatus(view.hiring.status);
}

function price(view: HiringView): number {
  const n = Number(view.hiring.price);
  return Number.isFinite(n) ? n : 0;
}

/** Why a runner does not take this hiring (a sentence), or undefined when its rules take it. */
export function runnerMismatch(r: RunnerConfig, view: HiringView): string | undefined {
  if (r.agents && !r.agents.includes(view.agent)) {
    return `runner "${r.name}" works only for agents ${r.agents.join(', ')}`;
  }
  const mode = view.hiring.delivery_mode;
  if (r.deliveryModes && !r.deliveryModes.includes(mode)) {
    return `runner "${r.name}" takes only ${r.deliveryModes.join('/')} hirings, not ${mode}`;
  }
  const cap = view.hiring.capability_requested ?? '';
  if (r.capabilities && !r.capabilities.includes(cap)) {
    return `runner "${r.name}" takes capabilities ${r.capabilities.join(', ')}, not "${cap}"`;
  }
  if (r.minPrice !== undefined && price(view) < r.minPrice) {
    return `runner "${r.name}" takes hirings from ${r.minPrice}, this one pays ${view.hiring.price ?? 0}`;
  }
  return undefined;
}

export interface AutoHandlers {
  /** Agents whose hirings the HiClaw bridge hands off by itself. */
  bridgeAgents: ReadonlySet<string>;
  runners: readonly RunnerConfig[];
}

export type AutoHandler = { kind: 'bridge' } | { kind: 'runner'; runner: RunnerConfig };

/**
 * Who takes an unhandled hiring without a person: the bridge for its agents, else the first autoDispatch
 * runner that matches.
 */
export function autoHandler(view: HiringView, h: AutoHandlers): AutoHandler | undefined {
  if (!isUnhandled(view)) return undefined;
  if (h.bridgeAgents.has(view.agent)) return { kind: 'bridge' };
  const runner = h.runners.find((r) => r.autoDispatch && runnerMismatch(r, view) === undefined);
  return runner ? { kind: 'runner', runner } : undefined;
}
