// The agent key lives in VS Code's SecretStorage (the OS keychain), never in
// settings.json; every key read is registered for redaction at once.
import type * as vscode from 'vscode';
import { registerSecret } from '../shared/redact';

const AGENT_KEY = 'agrenting.agentKey';

export class AgentKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(): Promise<string | undefined> {
    const key = (await this.secrets.get(AGENT_KEY))?.trim();
    if (key) registerSecret(key);
    return key || undefined;
  }

  async set(key: string): Promise<void> {
    registerSecret(key);
    await this.secrets.store(AGENT_KEY, key.trim());
  }

  async clear(): Promise<void> {
    await this.secrets.delete(AGENT_KEY);
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key === AGENT_KEY) listener();
    });
  }
}
