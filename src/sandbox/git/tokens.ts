// Repository tokens of the sandbox's git hosting: each grants read or write to
// exactly one repository, like a GitHub installation token scoped to one repo.
import { randomBytes } from 'node:crypto';
import { registerSecret } from '../../shared/redact';

export type RepoAccess = 'read' | 'write';

export interface TokenGrant {
  owner: string;
  name: string;
  access: RepoAccess;
}

export class TokenRegistry {
  private readonly grants = new Map<string, TokenGrant>();

  issue(owner: string, name: string, access: RepoAccess): string {
    const token = `gst_${randomBytes(20).toString('hex')}`;
    // The hosting never logs tokens, but this process may: make every logger hide them.
    registerSecret(token);
    this.grants.set(token, { owner, name, access });
    return token;
  }

  lookup(token: string | undefined): TokenGrant | undefined {
    return token === undefined ? undefined : this.grants.get(token);
  }

  revoke(token: string): void {
    this.grants.delete(token);
  }
}

/**
 * The token an HTTP request carries: Basic with the token as password (any user
 * name, e.g. `x-access-token`), or as user name with an empty password (GitHub
 * accepts both), `Bearer <t>`, or Octokit's `token <t>`.
 */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(Basic|Bearer|token)\s+(\S+)\s*$/i.exec(header.trim());
  if (!m) return undefined;
  if (m[1].toLowerCase() !== 'basic') return m[2];
  const decoded = Buffer.from(m[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return decoded || undefined;
  const user = decoded.slice(0, colon);
  const pass = decoded.slice(colon + 1);
  return pass || user || undefined;
}

/** Owner and repository names: GitHub's alphabet, no path tricks. */
export function isSafeRepoName(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(s) && !s.includes('..') && !s.endsWith('.git');
}
