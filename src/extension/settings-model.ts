// Settings parsed into a typed value: a wrong type falls back to the default,
// "~" expands to the home folder. Pure, so it is tested without VS Code.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NotificationLevel } from './view-models/notify';
import { DEFAULT_RELAY_ADDRESS } from '../shared/constants';
import type { RunnerSettings } from './view-models/runner';

export type OpenIn = 'newWindow' | 'currentWindow' | 'addToWorkspace';

export interface ExtensionSettings {
  /** host:port a relay started by the extension listens on. */
  address: string;
  stateDir: string;
  autoStart: boolean;
  reviewRequired: boolean;
  workspaceFolder: string;
  openIn: OpenIn;
  notificationLevel: NotificationLevel;
  baseUrl: string;
  /** agrenting.runner.*: one runner the extension gives the relay it starts (view-models/runner.ts). */
  runner: RunnerSettings;
}

export const DEFAULTS = {
  address: DEFAULT_RELAY_ADDRESS,
  stateDir: '~/.agrenting-relay',
  autoStart: true,
  reviewRequired: true,
  workspaceFolder: '~/agrenting-workspaces',
  openIn: 'newWindow' as OpenIn,
  notificationLevel: 'all' as NotificationLevel,
  baseUrl: 'https://agrenting.com',
  runnerName: 'vscode',
};

export function expandHome(path: string, home = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(home, path.slice(2));
  return resolve(path);
}

const str = (v: unknown, d: string) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : d);
const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
const oneOf = <T extends string>(v: unknown, options: readonly T[], d: T): T =>
  typeof v === 'string' && (options as readonly string[]).includes(v) ? (v as T) : d;

export type RawSettings = Record<Exclude<keyof ExtensionSettings, 'runner'>, unknown> & {
  runner?: Partial<Record<keyof RunnerSettings, unknown>>;
};

export function normalizeSettings(raw: RawSettings, home = homedir()): ExtensionSettings {
  const r = raw.runner ?? {};
  return {
    address: str(raw.address, DEFAULTS.address),
    stateDir: expandHome(str(raw.stateDir, DEFAULTS.stateDir), home),
    autoStart: bool(raw.autoStart, DEFAULTS.autoStart),
    reviewRequired: bool(raw.reviewRequired, DEFAULTS.reviewRequired),
    workspaceFolder: expandHome(str(raw.workspaceFolder, DEFAULTS.workspaceFolder), home),
    openIn: oneOf(raw.openIn, ['newWindow', 'currentWindow', 'addToWorkspace'], DEFAULTS.openIn),
    notificationLevel: oneOf(raw.notificationLevel, ['all', 'important', 'none'], DEFAULTS.notificationLevel),
    baseUrl: str(raw.baseUrl, DEFAULTS.baseUrl).replace(/\/+$/, ''),
    // Checked against the relay's runner schema where it is used (runnerFromSettings), not here.
    runner: {
      name: str(r.name, DEFAULTS.runnerName),
      command: r.command,
      prompt: r.prompt,
      autoDispatch: bool(r.autoDispatch, false),
      env: r.env,
      maxAttempts: r.maxAttempts,
      timeoutMinutes: r.timeoutMinutes,
    },
  };
}
