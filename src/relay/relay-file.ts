// relay.json: how clients (the extension, agents, scripts) find a running relay
// and authenticate to it. Written mode 0600 in the state dir, removed on clean
// shutdown. The relay's own tokens live here (and only here) so that clients keep
// working across restarts; they are generated once unless the environment sets them.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { registerSecret } from '../shared/redact';

export const RELAY_FILE_NAME = 'relay.json';

export const RelayFileSchema = z.object({
  url: z.string(),
  pid: z.number(),
  version: z.string(),
  startedAt: z.string(),
  operatorToken: z.string().min(1),
  workerTokens: z.record(z.string().min(1)),
});
export type RelayFile = z.infer<typeof RelayFileSchema>;

export interface RelayTokens {
  operatorToken: string;
  /** agent name → worker token */
  workerTokens: Record<string, string>;
}

export function relayFilePath(stateDir: string): string {
  return join(stateDir, RELAY_FILE_NAME);
}

/** Reads relay.json; undefined when there is none or it is unreadable. Registers the tokens as secrets. */
export function readRelayFile(stateDir: string): RelayFile | undefined {
  let text: string;
  try {
    text = readFileSync(relayFilePath(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = RelayFileSchema.safeParse(raw);
  if (!r.success) return undefined;
  registerSecret(r.data.operatorToken);
  for (const t of Object.values(r.data.workerTokens)) registerSecret(t);
  return r.data;
}

/** Writes relay.json atomically with mode 0600 (the directory 0700). */
export function writeRelayFile(stateDir: string, data: RelayFile): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = relayFilePath(stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function removeRelayFile(stateDir: string, onlyIfPid?: number): void {
  if (onlyIfPid !== undefined) {
    const current = readRelayFile(stateDir);
    if (current && current.pid !== onlyIfPid) return;
  }
  rmSync(relayFilePath(stateDir), { force: true });
}

export function generateToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

/**
 * The relay's client tokens: the environment first (AGRENTING_RELAY_OPERATOR_TOKEN;
 * AGRENTING_RELAY_TOKEN for the first agent), then the tokens of the previous run
 * (relay.json, kept even after an unclean exit), then fresh ones.
 */
export function resolveTokens(stateDir: string, agents: string[], env: NodeJS.ProcessEnv = process.env): RelayTokens {
  const previous = readRelayFile(stateDir) ?? readTokenStore(stateDir);
  const operatorToken = env.AGRENTING_RELAY_OPERATOR_TOKEN?.trim() || previous?.operatorToken || generateToken('rop');
  const workerTokens: Record<string, string> = {};
  agents.forEach((agent, i) => {
    const fromEnv = i === 0 ? env.AGRENTING_RELAY_TOKEN?.trim() : undefined;
    workerTokens[agent] = fromEnv || previous?.workerTokens[agent] || generateToken('rwk');
  });
  registerSecret(operatorToken);
  for (const t of Object.values(workerTokens)) registerSecret(t);
  writeTokenStore(stateDir, { operatorToken, workerTokens });
  return { operatorToken, workerTokens };
}

// relay.json is removed on clean shutdown, so the tokens are also kept in a
// second 0600 file; that way clients keep working after a stop and a start.
const TOKENS_FILE = 'tokens.json';

function readTokenStore(stateDir: string): RelayTokens | undefined {
  try {
    const raw: unknown = JSON.parse(readFileSync(join(stateDir, TOKENS_FILE), 'utf8'));
    const r = RelayFileSchema.pick({ operatorToken: true, workerTokens: true }).safeParse(raw);
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function writeTokenStore(stateDir: string, tokens: RelayTokens): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, TOKENS_FILE);
  writeFileSync(path, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
