// The extension's settings, read through one typed accessor with working defaults.
import * as vscode from 'vscode';
import { type ExtensionSettings, normalizeSettings } from './settings-model';

export type { ExtensionSettings } from './settings-model';

export function readSettings(): ExtensionSettings {
  const c = vscode.workspace.getConfiguration('agrenting');
  return normalizeSettings({
    address: c.get<unknown>('relay.address'),
    stateDir: c.get<unknown>('relay.stateDir'),
    autoStart: c.get<unknown>('relay.autoStart'),
    reviewRequired: c.get<unknown>('review.required'),
    workspaceFolder: c.get<unknown>('workspaceFolder'),
    openIn: c.get<unknown>('workspace.openIn'),
    notificationLevel: c.get<unknown>('notifications.level'),
    baseUrl: c.get<unknown>('baseUrl'),
    runner: {
      name: c.get<unknown>('runner.name'),
      command: c.get<unknown>('runner.command'),
      prompt: c.get<unknown>('runner.prompt'),
      autoDispatch: c.get<unknown>('runner.autoDispatch'),
      env: c.get<unknown>('runner.env'),
      maxAttempts: c.get<unknown>('runner.maxAttempts'),
      timeoutMinutes: c.get<unknown>('runner.timeoutMinutes'),
    },
  });
}

/** Fires when any agrenting.* setting changes. */
export function onSettingsChanged(listener: (s: ExtensionSettings) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('agrenting')) listener(readSettings());
  });
}
