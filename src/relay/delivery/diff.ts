// What a push would deliver, for review before anything leaves the machine:
// the workspace against its base commit, committed, uncommitted and untracked
// changes alike, computed in a throwaway index so the real one is untouched.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkspaceRef } from '../types';
import { gitExec } from './git-env';

export interface ChangedFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'type_changed' | 'unmerged' | 'unknown';
}

export interface WorkspaceDiff {
  files: ChangedFile[];
  patch: string;
}

const STATUS: Record<string, ChangedFile['status']> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  T: 'type_changed',
  U: 'unmerged',
};

export function parseNameStatus(out: string): ChangedFile[] {
  const files: ChangedFile[] = [];
  // -z output: status NUL path NUL ...
  const parts = out.split('\0').filter((p) => p.length > 0);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    files.push({ status: STATUS[parts[i].charAt(0)] ?? 'unknown', path: parts[i + 1] });
  }
  return files;
}

export async function diffAgainstBase(ws: WorkspaceRef): Promise<WorkspaceDiff> {
  const scratch = await mkdtemp(join(tmpdir(), 'agrenting-diff-'));
  const index = join(scratch, 'index');
  try {
    const git = (args: string[]) => gitExec(ws.dir, args, { env: { GIT_INDEX_FILE: index } });
    // Seeded from HEAD without stat data, so every file is hashed: a copied index would carry
    // stat data that can hide a same-size edit made within the same second (racy git).
    await git(['read-tree', 'HEAD']);
    await git(['add', '-A']);
    const names = await git(['diff', '--cached', '--no-renames', '--name-status', '-z', ws.baseSha]);
    const patch = await git(['diff', '--cached', '--no-renames', '--binary', ws.baseSha]);
    return { files: parseNameStatus(names), patch };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
