// The files a push-mode submission changed, from `git diff --name-status <base>`
// and `git ls-files --others --exclude-standard`, for the review diff.

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed';

export interface ChangedFile {
  kind: ChangeKind;
  /** Path in the working tree (the new path of a rename). */
  path: string;
  /** Path at the base commit (differs only for renames). */
  basePath: string;
}

/** Parses `git diff --name-status` output; unknown lines are skipped. */
export function parseNameStatus(text: string): ChangedFile[] {
  const out: ChangedFile[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [code, a, b] = line.split('\t');
    if (!code || !a) continue;
    switch (code[0]) {
      case 'A':
        out.push({ kind: 'added', path: a, basePath: a });
        break;
      case 'D':
        out.push({ kind: 'deleted', path: a, basePath: a });
        break;
      case 'R':
        if (b) out.push({ kind: 'renamed', path: b, basePath: a });
        break;
      case 'C':
        if (b) out.push({ kind: 'added', path: b, basePath: b });
        break;
      case 'M':
      case 'T':
        out.push({ kind: 'modified', path: a, basePath: a });
        break;
      default:
        break;
    }
  }
  return out;
}

/** Adds untracked files (new files the agent has not committed) to the tracked changes. */
export function withUntracked(changes: ChangedFile[], untrackedText: string): ChangedFile[] {
  const seen = new Set(changes.map((c) => c.path));
  const extra = untrackedText
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((p) => p !== '' && !seen.has(p))
    .map((p) => ({ kind: 'added' as const, path: p, basePath: p }));
  return [...changes, ...extra].sort((x, y) => x.path.localeCompare(y.path));
}

const MARK: Record<ChangeKind, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R' };

export function changeLabel(c: ChangedFile): string {
  return c.kind === 'renamed' ? `${MARK[c.kind]} ${c.basePath} → ${c.path}` : `${MARK[c.kind]} ${c.path}`;
}
