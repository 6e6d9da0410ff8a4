// Runs on disk: one run.json per hiring under <stateDir>/runs/<hiring id>/, rewritten atomically at
// each step, so that after a crash the relay knows which runs were cut short and what was submitted.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSafeId } from '../bridge/payload';
import type { RunInfo } from '../types';

export interface RunRecord extends RunInfo {
  hiringId: string;
  agent: string;
  mode: 'output' | 'push';
  /** The folder the CLI works in (push: the workspace; output: a scratch folder). */
  dir: string;
  /** Review feedback messages already given to the CLI. */
  feedbackSeen: number;
  /** How many submissions the hiring had when this attempt started: more later means this attempt submitted. */
  submissionsAtStart: number;
  /** This attempt was started again after a relay restart (only once). */
  restarted?: boolean;
  submissionId?: string;
  /** The CLI's process (and group) id while it runs: a relay that crashed left it behind. */
  pid?: number;
}

export class RunJournal {
  constructor(readonly root: string) {}

  dirFor(hiringId: string): string {
    if (!isSafeId(hiringId)) throw new Error(`hiring id ${JSON.stringify(hiringId)} cannot name a run folder`);
    return join(this.root, hiringId);
  }

  save(rec: RunRecord): void {
    const dir = this.dirFor(rec.hiringId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'run.json');
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  }

  load(): RunRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    const out: RunRecord[] = [];
    for (const name of names.filter(isSafeId)) {
      try {
        out.push(JSON.parse(readFileSync(join(this.root, name, 'run.json'), 'utf8')) as RunRecord);
      } catch {
        // A folder without a readable run.json: nothing to resume.
      }
    }
    return out;
  }

  readLog(hiringId: string): string {
    try {
      return readFileSync(join(this.dirFor(hiringId), 'run.log'), 'utf8');
    } catch {
      return '';
    }
  }
}
