// The resources the relay serves downstream: Agrenting's own (`hiring://pending`,
// `hiring://{id}`) shaped like the platform's so any Agrenting client works, plus
// the relay's (`relay://hirings`, `relay://status`, `review://queue`).
import {
  ErrorCode,
  McpError,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import { RELAY_URI } from '../../shared/constants';
import {
  PENDING_URI,
  hiringUri,
  parseHiringUri,
  parsePendingSinceUri,
  parseRunLogUri,
  runLogUri,
} from '../../shared/protocol';

export { runLogUri };
import { redact, safeError } from '../../shared/redact';
import { canSee } from '../core/views';
import { RelayError, type Caller, type HiringView, type RelayCore, type RelayEvent } from '../types';

export const RESOURCE_URI = { pending: PENDING_URI, ...RELAY_URI } as const;

const STATIC_URIS: readonly string[] = Object.values(RESOURCE_URI);
const JSON_MIME = 'application/json';

/** MCP's code for "resource not found". */
const RESOURCE_NOT_FOUND = -32002;

const STATIC_RESOURCES: Resource[] = [
  {
    uri: RESOURCE_URI.pending,
    name: 'Pending hirings',
    mimeType: JSON_MIME,
    description:
      'Your active hirings (paid, queued, in progress), each a platform Hiring plus a "relay" object with local state.',
  },
  {
    uri: RESOURCE_URI.hirings,
    name: 'All hirings',
    mimeType: JSON_MIME,
    description: 'Every hiring the relay knows, history included (HiringView[]).',
  },
  {
    uri: RESOURCE_URI.status,
    name: 'Relay status',
    mimeType: JSON_MIME,
    description: 'Links to Agrenting, counts, reviews waiting, deliveries pending.',
  },
  {
    uri: RESOURCE_URI.reviewQueue,
    name: 'Review queue',
    mimeType: JSON_MIME,
    description: 'Submissions waiting for review and recent decisions.',
  },
];

export const RESOURCE_TEMPLATES: ResourceTemplate[] = [
  {
    uriTemplate: 'hiring://pending{?since}',
    name: 'Hiring changes since a cursor',
    mimeType: JSON_MIME,
    description:
      'What changed in hiring://pending since `since` (the cursor of your last read; empty at first): ' +
      '{cursor, reset, hirings, removed}. hirings: new or changed active hirings, shaped as in hiring://pending; ' +
      'removed: ids that left it. reset: true means the cursor was not usable and hirings is the whole list.',
  },
  {
    uriTemplate: 'hiring://{id}',
    name: 'Hiring',
    mimeType: JSON_MIME,
    description: 'One hiring (any status), platform-shaped, with a "relay" object.',
  },
  {
    uriTemplate: 'run://{hiring_id}/log',
    name: 'Run log',
    mimeType: 'text/plain',
    description: "A runner's output on a hiring (redacted, the last 256 KiB).",
  },
];

/** A runner's log: the core decides who may read it (the operator and the run's own token). */
function readRunLog(core: RelayCore, caller: Caller, id: string): string {
  if (!core.runLog) throw new RelayError(`No run for hiring ${id}: this relay has no runners.`, 'not_found');
  return core.runLog(caller, id);
}

/**
 * The platform's Hiring with the relay's local state beside it. Views come from the core,
 * which already removed the repository token (core/views.ts toView) and limited a worker to
 * its own agent, so nothing here filters or redacts again.
 */
export function platformShaped(view: HiringView): Record<string, unknown> {
  const { agent, phase, claimedBy, submissions, relayMessages, chunks, workspace, run } = view;
  return { ...view.hiring, relay: { agent, phase, claimedBy, submissions, relayMessages, chunks, workspace, run } };
}

export function listResources(core: RelayCore, caller: Caller): Resource[] {
  const perHiring = core.listActive(caller).map((v) => ({
    uri: hiringUri(v.hiring.id),
    name: `Hiring ${v.hiring.id}`,
    mimeType: JSON_MIME,
  }));
  return [...STATIC_RESOURCES, ...perHiring];
}

/** Turns a RelayError from the core into the JSON-RPC error a client sees for a read or subscribe. */
export function resourceError(err: unknown, uri: string): McpError {
  if (err instanceof McpError) return err;
  if (err instanceof RelayError) {
    const code =
      err.code === 'not_found' || err.code === 'forbidden'
        ? RESOURCE_NOT_FOUND
        : err.code === 'invalid'
          ? ErrorCode.InvalidParams
          : ErrorCode.InternalError;
    return new McpError(code, redact(`${uri}: ${err.message}`));
  }
  return new McpError(ErrorCode.InternalError, safeError(err, `${uri} could not be read`).message);
}

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: JSON_MIME, text: JSON.stringify(value) }] };
}

/** Checks a URI names something this caller may read or subscribe to; throws McpError otherwise. */
export function checkResource(core: RelayCore, caller: Caller, uri: string): void {
  if (STATIC_URIS.includes(uri) || parsePendingSinceUri(uri) !== undefined) return;
  const runId = parseRunLogUri(uri);
  if (runId !== undefined) {
    try {
      readRunLog(core, caller, runId);
      return;
    } catch (err) {
      throw resourceError(err, uri);
    }
  }
  const id = parseHiringUri(uri);
  if (id === undefined) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Unknown resource ${uri}: the relay serves ${STATIC_URIS.join(', ')} and hiring://{id}.`,
    );
  }
  try {
    core.getHiring(caller, id);
  } catch (err) {
    throw resourceError(err, uri);
  }
}

export function readResource(core: RelayCore, caller: Caller, uri: string): ReadResourceResult {
  try {
    switch (uri) {
      case RESOURCE_URI.pending:
        return json(uri, core.listActive(caller).map(platformShaped));
      case RESOURCE_URI.hirings:
        return json(uri, core.listAll(caller));
      case RESOURCE_URI.status: {
        const status = core.status();
        return json(
          uri,
          caller.role === 'operator'
            ? status
            : { ...status, links: status.links.filter((l) => l.agent === caller.agent) },
        );
      }
      case RESOURCE_URI.reviewQueue:
        return json(uri, core.reviewQueue(caller));
    }
    const runId = parseRunLogUri(uri);
    if (runId !== undefined) {
      return { contents: [{ uri, mimeType: 'text/plain', text: readRunLog(core, caller, runId) }] };
    }
    const since = parsePendingSinceUri(uri);
    if (since !== undefined) {
      const changes = core.pendingSince?.(caller, since) ?? {
        cursor: '',
        reset: true,
        hirings: core.listActive(caller),
        removed: [],
      };
      return json(uri, { ...changes, hirings: changes.hirings.map(platformShaped) });
    }
    const id = parseHiringUri(uri);
    if (id === undefined) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown resource ${uri}: the relay serves ${STATIC_URIS.join(', ')} and hiring://{id}.`,
      );
    }
    return json(uri, platformShaped(core.getHiring(caller, id)));
  } catch (err) {
    throw resourceError(err, uri);
  }
}

/** The URIs whose contents a relay event changes. */
export function urisForEvent(event: RelayEvent): string[] {
  switch (event.type) {
    case 'hiring':
      return [hiringUri(event.hiringId), RESOURCE_URI.pending, RESOURCE_URI.hirings];
    case 'pending':
      return [RESOURCE_URI.pending, RESOURCE_URI.hirings];
    case 'review':
      return [RESOURCE_URI.reviewQueue];
    case 'status':
      return [RESOURCE_URI.status];
    case 'run-log':
      return [runLogUri(event.hiringId)];
  }
}

/** Whether a caller should hear about an event: workers only about their own agent's hirings. */
export function eventVisibleTo(caller: Caller, event: RelayEvent): boolean {
  if (event.type === 'hiring') return canSee(caller, event.agent, event.hiringId);
  if (event.type === 'pending') return canSee(caller, event.agent);
  // A run log is the operator's and the run's own (core.runLog decides reads the same way).
  if (event.type === 'run-log') return caller.role === 'operator' || caller.hiring === event.hiringId;
  return true;
}
