// The status bar item and the status details: the relay connection, each
// agent's link to Agrenting, and how much is waiting for the user.
import type { LinkState, RelayStatus } from '../../relay/types';
import { isRunActive } from '../../shared/constants';
import { formatTime } from './deadline';
import { escapeMarkdown } from './markdown';

/** The extension's connection to the relay. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface StatusInput {
  connection: ConnectionState;
  /** Already redacted. */
  lastError?: string;
  relayUrl?: string;
  status?: RelayStatus;
  newHirings: number;
  reviewsWaiting: number;
  /** Runs of coding-agent CLIs in progress (view-models/runner.ts activeRunCount). */
  runsActive?: number;
  /** False when no agent key and no sandbox is set up: offline is then expected, not an error. */
  configured?: boolean;
}

export interface StatusBarModel {
  text: string;
  tooltip: string;
  accessibilityLabel: string;
  /** 'warning' | 'error' background, or none. */
  severity?: 'warning' | 'error';
}

const LINK_RANK: Record<LinkState, number> = { connected: 0, connecting: 1, reconnecting: 1, stopped: 2, offline: 2 };

/** The worst upstream link state: offline beats reconnecting beats connected. */
export function upstreamState(status: RelayStatus | undefined): 'connected' | 'reconnecting' | 'offline' | 'none' {
  const links = status?.links ?? [];
  if (links.length === 0) return 'none';
  const worst = Math.max(...links.map((l) => LINK_RANK[l.state]));
  return worst === 0 ? 'connected' : worst === 1 ? 'reconnecting' : 'offline';
}

function waitingText(input: StatusInput): string {
  const parts: string[] = [];
  if (input.newHirings > 0) parts.push(`${input.newHirings} new`);
  if ((input.runsActive ?? 0) > 0) parts.push(`${input.runsActive} running`);
  if (input.reviewsWaiting > 0) parts.push(`${input.reviewsWaiting} to review`);
  return parts.join(' · ');
}

export function statusBarModel(input: StatusInput): StatusBarModel {
  const waiting = waitingText(input);
  const up = upstreamState(input.status);
  let icon: string;
  let state: string;
  let severity: StatusBarModel['severity'];
  if (input.connection === 'offline' && input.configured === false) {
    icon = '$(debug-disconnect)';
    state = 'not set up — set an agent key or use the sandbox';
  } else if (input.connection === 'offline') {
    icon = '$(debug-disconnect)';
    state = 'relay offline';
    severity = 'error';
  } else if (input.connection !== 'connected') {
    icon = '$(sync~spin)';
    state = input.connection === 'connecting' ? 'connecting to the relay' : 'reconnecting to the relay';
  } else if (up === 'offline') {
    icon = '$(debug-disconnect)';
    state = 'Agrenting offline';
    severity = 'warning';
  } else if (up === 'reconnecting') {
    icon = '$(sync~spin)';
    state = 'reconnecting to Agrenting';
  } else {
    icon = '$(plug)';
    state = up === 'none' ? 'no agent connected' : 'connected';
  }
  const text = `${icon} Agrenting${waiting ? `: ${waiting}` : ''}`;
  return {
    text,
    tooltip: statusTooltip(input, state),
    accessibilityLabel: `Agrenting, ${state}${waiting ? `, ${waiting.replace(' · ', ', ')}` : ''}`,
    ...(severity ? { severity } : {}),
  };
}

function statusTooltip(input: StatusInput, state: string): string {
  const lines = [`**Agrenting** — ${state}`, ''];
  if (input.relayUrl) {
    lines.push(
      `Relay: ${escapeMarkdown(input.relayUrl)}${input.status ? ` (v${escapeMarkdown(input.status.version)}, review ${input.status.review})` : ''}`,
      '',
    );
  }
  for (const l of input.status?.links ?? []) {
    lines.push(`- ${escapeMarkdown(l.agent)}: ${l.state}${l.lastError ? ` — ${escapeMarkdown(l.lastError)}` : ''}`);
  }
  if (input.status) {
    lines.push(
      '',
      `${input.newHirings} new · ${input.runsActive ?? 0} run by agents · ${input.reviewsWaiting} waiting for review · ${input.status.outboxPending} deliveries pending`,
    );
  }
  if (input.lastError) lines.push('', `Last error: ${escapeMarkdown(input.lastError)}`);
  lines.push('', 'Click for details.');
  return lines.join('\n');
}

export interface StatusDetailItem {
  label: string;
  description?: string;
  detail?: string;
  /** A command to run when picked. */
  command?: string;
}

/** The rows of "Agrenting: Show Relay Status" (a QuickPick). */
export function statusDetails(input: StatusInput): StatusDetailItem[] {
  const items: StatusDetailItem[] = [];
  const relayState = input.connection === 'connected' ? 'connected' : input.connection;
  items.push({
    label: `$(server-process) Relay: ${relayState}`,
    description: input.relayUrl ?? '',
    detail: input.status
      ? `version ${input.status.version} · started ${formatTime(input.status.startedAt) ?? '?'} · review ${input.status.review} · ${input.status.outboxPending} deliveries pending`
      : (input.lastError ?? 'Not connected.'),
    command: 'agrenting.relay.showLog',
  });
  for (const l of input.status?.links ?? []) {
    const icon =
      l.state === 'connected'
        ? '$(plug)'
        : l.state === 'offline' || l.state === 'stopped'
          ? '$(debug-disconnect)'
          : '$(sync~spin)';
    const facts = [
      l.agentId ? `agent id ${l.agentId}` : undefined,
      l.connectedSince ? `since ${formatTime(l.connectedSince)}` : undefined,
      `${l.reconnects} reconnect${l.reconnects === 1 ? '' : 's'}`,
      l.lastEventAt ? `last event ${formatTime(l.lastEventAt)}` : undefined,
    ].filter((x): x is string => x !== undefined);
    items.push({
      label: `${icon} Agent ${l.agent}: ${l.state}`,
      description: facts.join(' · '),
      ...(l.lastError ? { detail: `Last error: ${l.lastError}` } : {}),
    });
  }
  items.push({
    label: `$(inbox) ${input.newHirings} new hiring${input.newHirings === 1 ? '' : 's'}`,
    command: 'agrenting.hirings.focus',
  });
  for (const r of input.status?.runs ?? []) {
    if (!isRunActive(r.state)) continue;
    items.push({
      label: `$(loading~spin) ${r.runner} on hiring ${r.hiring_id}`,
      description: `attempt ${r.attempt} · ${r.state} since ${formatTime(r.startedAt) ?? '?'}`,
      command: 'agrenting.hirings.focus',
    });
  }
  items.push({
    label: `$(eye) ${input.reviewsWaiting} submission${input.reviewsWaiting === 1 ? '' : 's'} waiting for review`,
    command: 'agrenting.openReview',
  });
  items.push({ label: '$(debug-restart) Restart Relay', command: 'agrenting.relay.restart' });
  items.push({ label: '$(output) Show Relay Log', command: 'agrenting.relay.showLog' });
  return items;
}
