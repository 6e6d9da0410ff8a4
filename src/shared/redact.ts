// Secret redaction used by every logger and every error that may reach a person.
// Two layers: secrets the process knows (agent keys, repository tokens, relay
// tokens) are registered and replaced verbatim; well-known secret shapes
// (ap_ user tokens, GitHub tokens, credentials in URLs, auth headers, token
// fields in JSON) are replaced by pattern even when nobody registered them.

const REDACTED = '[REDACTED]';
const MIN_SECRET_LENGTH = 6;

const known = new Set<string>();

/** Registers a secret so that every later redact() call removes it. */
export function registerSecret(secret: string | null | undefined): void {
  if (typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH) known.add(secret);
}

/** For tests. */
export function clearRegisteredSecrets(): void {
  known.clear();
}

const PATTERNS: [RegExp, string][] = [
  // user tokens and GitHub tokens
  [/\bap_[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{16,}/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{16,}/g, REDACTED],
  // credentials inside URLs: https://user:token@host or https://token@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi, `$1${REDACTED}@`],
  // header lines and header-like text
  [
    /\b(authorization|x-api-key|api-key|x-webhook-signature|proxy-authorization)(\s*[:=]\s*)("?)(?:(?:bearer|apikey|basic|token)\s+)?[^\s",}]+/gi,
    `$1$2$3${REDACTED}`,
  ],
  // JSON or key=value fields that hold secrets
  [
    /("?(?:repo_access_token|api_key|apiKey|access_token|accessToken|token|secret|password|webhook_secret|callback_auth_header)"?\s*[:=]\s*)"(?:[^"\\]|\\.)*"/gi,
    `$1"${REDACTED}"`,
  ],
  [/\b((?:repo_access_token|api_key|access_token|token|secret|password)=)[^\s&"]+/gi, `$1${REDACTED}`],
];

/** Removes every known secret and every secret-shaped string from text. */
export function redact(text: string): string {
  let out = text;
  for (const s of known) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** Redacts any value for logging: strings directly, everything else via JSON. */
export function redactValue(value: unknown): string {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) return redact(`${value.name}: ${value.message}`);
  try {
    return redact(JSON.stringify(value) ?? String(value));
  } catch {
    return redact(String(value));
  }
}

/** An Error whose message has been redacted, keeping the name; safe to show or log. */
export function safeError(err: unknown, context?: string): Error {
  const base = err instanceof Error ? err.message : String(err);
  const e = new Error(redact(context ? `${context}: ${base}` : base));
  if (err instanceof Error) e.name = err.name;
  return e;
}
