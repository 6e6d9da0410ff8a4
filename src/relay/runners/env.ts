// What a runner's child process gets in its environment: an allowlist, never the relay's own
// environment. Agent keys, repository tokens and relay tokens stay out even when a runner names them.
import { redact, registerSecret } from '../../shared/redact';

/** Always passed when set: enough for a CLI to find itself, its config and its language. */
const BASE = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'TERM', 'TZ', 'LANG', 'LANGUAGE'];

/** Names a runner may not pass through: the relay's own secrets. */
const REFUSED = /^AGRENTING_(API_KEY|RELAY_TOKEN|RELAY_OPERATOR_TOKEN|USER_TOKEN)$|_RELAY_TOKEN$/;

export interface ChildEnv {
  env: Record<string, string>;
  /** Names left out, with why (for the run log). */
  refused: string[];
}

/**
 * The child's environment. A named variable whose value holds a secret the relay knows (an agent
 * key, a relay token) or looks like one of the relay's token shapes is left out. Values passed through
 * are registered as secrets, so a CLI printing its own key shows [REDACTED] everywhere.
 */
export function childEnv(
  source: Record<string, string | undefined>,
  names: readonly string[],
  run: Record<string, string>,
): ChildEnv {
  const env: Record<string, string> = {};
  const refused: string[] = [];
  for (const [k, v] of Object.entries(source)) {
    if (v !== undefined && (BASE.includes(k) || k.startsWith('LC_'))) env[k] = v;
  }
  for (const name of names) {
    const v = source[name];
    if (v === undefined) continue;
    if (REFUSED.test(name) || redact(v) !== v) {
      refused.push(name);
      continue;
    }
    registerSecret(v);
    env[name] = v;
  }
  // Git run by the agent never prompts for credentials (there are none to give).
  env.GIT_TERMINAL_PROMPT = '0';
  return { env: { ...env, ...run }, refused };
}
