// Who may talk to the downstream MCP server: roles by token (sent like Agrenting
// agent keys), and Host/Origin checks so a web page cannot reach the relay through
// DNS rebinding.
import type { IncomingHttpHeaders } from 'node:http';
import { readApiKey } from '../../shared/protocol';
import { registerSecret } from '../../shared/redact';
import { safeEqual } from '../../shared/safe-equal';
import type { Caller } from '../types';

export interface DownstreamTokens {
  /** The extension's token: sees every agent, may approve and reject. */
  operator: string;
  /** One token per local agent name; a worker sees only its agent. */
  workers: Record<string, string>;
  /** Tokens minted while the relay runs (a runner's run token): the caller one stands for, if any. */
  lookup?: (token: string) => Caller | undefined;
}

export class TokenRoles {
  private readonly entries: { token: string; caller: Caller }[];
  private readonly lookup?: (token: string) => Caller | undefined;

  constructor(tokens: DownstreamTokens) {
    this.lookup = tokens.lookup;
    this.entries = [{ token: tokens.operator, caller: { role: 'operator', name: 'operator' } }];
    for (const [agent, token] of Object.entries(tokens.workers)) {
      this.entries.push({ token, caller: { role: 'worker', agent, name: agent } });
    }
    for (const e of this.entries) registerSecret(e.token);
  }

  /** The caller a request's token stands for, or undefined when it carries none or an unknown one. */
  callerFor(headers: IncomingHttpHeaders): Caller | undefined {
    const token = readApiKey(headers);
    if (token === undefined) return undefined;
    let found: Caller | undefined;
    // Every entry is compared, so the time taken does not reveal which role matched.
    for (const e of this.entries) {
      if (safeEqual(token, e.token) && found === undefined) found = e.caller;
    }
    return found ?? this.lookup?.(token);
  }
}

/** A stable identity for comparing the caller of a request with the caller that opened the session. */
export function callerKey(caller: Caller): string {
  if (caller.role === 'operator') return 'operator';
  return caller.hiring === undefined ? `worker:${caller.agent}` : `run:${caller.agent}:${caller.hiring}`;
}

function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\.\d+\.\d+\.\d+$/.test(h)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function parseHost(host: string): URL | undefined {
  try {
    return new URL(`http://${host}`);
  } catch {
    return undefined;
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Why a request must be refused because of its Host or Origin header, or undefined when it may pass.
 * Host must name this server on a loopback address (or be listed in allowedHosts); an Origin, when
 * sent, must be a loopback web page or VS Code's own webviews.
 */
export function hostOriginProblem(
  headers: IncomingHttpHeaders,
  port: number,
  allowedHosts: readonly string[] = [],
): string | undefined {
  const allowed = allowedHosts.map((h) => h.toLowerCase());
  const host = first(headers.host)?.trim().toLowerCase();
  if (!host) return 'The request has no Host header.';
  const url = parseHost(host);
  const hostPort = url ? Number(url.port || 80) : NaN;
  const hostOk =
    allowed.includes(host) ||
    (url !== undefined && (allowed.includes(url.hostname) || (isLoopbackHostname(url.hostname) && hostPort === port)));
  if (!hostOk) {
    return `Host "${host}" is not this relay; connect to 127.0.0.1:${port} (or add the name to allowedHosts).`;
  }

  const origin = first(headers.origin)?.trim();
  if (origin === undefined || origin === '') return undefined;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return `Origin "${origin}" is not allowed to use the relay.`;
  }
  if (o.protocol === 'vscode-file:' || o.protocol === 'vscode-webview:') return undefined;
  if (
    (o.protocol === 'http:' || o.protocol === 'https:') &&
    (isLoopbackHostname(o.hostname) || allowed.includes(o.host) || allowed.includes(o.hostname))
  ) {
    return undefined;
  }
  return `Origin "${origin}" is not allowed to use the relay.`;
}
