// The relay's lifecycle as the user sees it: connect to the shared relay, start
// one when none runs (live with the stored agent key, or the sandbox), stop and
// restart it, and tail its log into the "Agrenting Relay" output channel.
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { Logger } from '../shared/log';
import { safeError } from '../shared/redact';
import { readRelayFile } from '../relay/relay-file';
import { LogTail } from './log-tail';
import type { RelayConnection } from './relay-connection';
import { LaunchError } from './relay-launch';
import { RelayProcess } from './relay-process';
import type { AgentKeyStore } from './secrets';
import { readSettings } from './settings';

export type RelayMode = 'live' | 'sandbox';
const MODE_KEY = 'agrenting.relayMode';

export class RelayController implements vscode.Disposable {
  private readonly process: RelayProcess;
  private tail: LogTail | undefined;
  private tailFile: string | undefined;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly connection: RelayConnection,
    private readonly keys: AgentKeyStore,
    private readonly output: vscode.OutputChannel,
    log: Logger,
  ) {
    this.process = new RelayProcess({ log });
    this.followLog();
    // Remember the mode of a relay found running, so Stop then Start brings the same one back.
    this.offState = connection.onState(() => {
      if (connection.state === 'connected' && !this.context.globalState.get<RelayMode>(MODE_KEY)) {
        void this.setMode(this.mode);
      }
    });
  }

  private readonly offState: () => void;

  /** The chosen mode; without a choice, that of the running relay (a sandbox relay serves the agent "sandbox"). */
  get mode(): RelayMode {
    const chosen = this.context.globalState.get<RelayMode>(MODE_KEY);
    if (chosen) return chosen;
    const running = readRelayFile(readSettings().stateDir);
    return running && Object.keys(running.workerTokens).join() === 'sandbox' ? 'sandbox' : 'live';
  }

  async setMode(mode: RelayMode): Promise<void> {
    await this.context.globalState.update(MODE_KEY, mode);
  }

  /** Something to run: an agent key, or the sandbox chosen. */
  async configured(): Promise<boolean> {
    return this.mode === 'sandbox' || (await this.keys.get()) !== undefined;
  }

  /** Tails <stateDir>/relay.log; follows a change of the state dir setting. */
  followLog(): void {
    const file = join(readSettings().stateDir, 'relay.log');
    if (file === this.tailFile) return;
    this.tail?.stop();
    this.tailFile = file;
    this.tail = new LogTail(file, (lines) => {
      for (const l of lines) this.output.appendLine(l);
    });
    this.tail.start();
  }

  /** On activation: connect, and start a relay when none runs and autoStart allows it. */
  async ensure(): Promise<void> {
    const settings = readSettings();
    const live = await this.process.find(settings.stateDir);
    if (live || !settings.autoStart || !(await this.configured())) {
      this.connection.wake();
      return;
    }
    await this.start().catch((e: unknown) => this.report(e, 'start'));
  }

  /** Starts a relay (if none runs) in the given or remembered mode. */
  start(mode: RelayMode = this.mode): Promise<void> {
    return this.exclusive(async () => {
      const settings = readSettings();
      const agentKey = mode === 'live' ? await this.keys.get() : undefined;
      await this.process.start({
        settings,
        relayScript: this.context.asAbsolutePath(join('dist', 'relay.js')),
        execPath: process.execPath,
        mode,
        ...(agentKey ? { agentKey } : {}),
        baseEnv: process.env,
      });
      this.connection.reconnect();
    });
  }

  /** Stops the relay of the configured state dir; false when none was running. */
  stop(): Promise<boolean> {
    return this.exclusive(async () => {
      const stopped = await this.process.stop(readSettings().stateDir);
      this.connection.reconnect();
      return stopped;
    });
  }

  async restart(mode: RelayMode = this.mode): Promise<void> {
    // Refuse before stopping: a restart that cannot start would leave no relay at all.
    if (mode === 'live' && !(await this.keys.get())) {
      throw new LaunchError(
        "No agent key is set. Run 'Agrenting: Set Agent Key' or 'Agrenting: Register Agent', or try 'Agrenting: Use Sandbox'.",
      );
    }
    await this.stop();
    await this.start(mode);
  }

  /** Shows an error a person can act on; the details go to the output channel. */
  report(e: unknown, step: string): void {
    const err = safeError(e);
    this.output.appendLine(`[extension] could not ${step} the relay: ${err.message}`);
    void vscode.window
      .showErrorMessage(`Agrenting: could not ${step} the relay. ${err.message.split('\n')[0]}`, 'Show Relay Log')
      .then((pick) => {
        if (pick) this.output.show(true);
      });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    this.offState();
    this.tail?.stop();
  }
}
