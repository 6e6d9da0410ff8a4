// What a finished run leaves behind, turned into a submission: output mode reads OUTPUT.md (or the
// CLI's final printed answer) and the files under out/, checked against the platform's limits before
// anything is read in full; push mode looks at the workspace's changes.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LIMITS } from '../../shared/protocol';
import type { SubmitResultArgs } from '../../shared/tools';
import { buildOutputSubmission, OutputLimitError, type OutputFile } from '../delivery/output';
import { diffAgainstBase } from '../delivery/diff';
import type { WorkspaceRef } from '../types';

/** The run left nothing to deliver, or too much: a sentence for the failure report. */
export class NoResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoResultError';
  }
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
      if (out.length > LIMITS.maxArtifacts) return;
    }
  };
  await walk(root);
  return out.sort();
}

async function readText(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return undefined;
    if (s.size > LIMITS.maxInlineArtifactBytes) {
      throw new NoResultError(
        `OUTPUT.md is ${s.size} bytes; the platform takes at most ${LIMITS.maxInlineArtifactBytes} per artifact. ` +
          'Shorten it or split it into files under out/.',
      );
    }
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof NoResultError) throw e;
    return undefined;
  }
}

export async function collectOutput(
  hiringId: string,
  dir: string,
  stdoutTail: string,
  summary: string,
): Promise<SubmitResultArgs> {
  const answer = (await readText(join(dir, 'OUTPUT.md')))?.trim() || stdoutTail.trim();
  const outDir = join(dir, 'out');
  const paths = await listFiles(outDir);
  if (paths.length > LIMITS.maxArtifacts) {
    throw new NoResultError(
      `out/ holds more than ${LIMITS.maxArtifacts} files; the platform takes at most ${LIMITS.maxArtifacts} per result.`,
    );
  }
  const files: OutputFile[] = [];
  for (const p of paths) {
    const name = relative(outDir, p);
    const size = (await stat(p)).size;
    if (size > LIMITS.maxInlineArtifactBytes) {
      throw new NoResultError(
        `out/${name} is ${size} bytes; the platform takes at most ${LIMITS.maxInlineArtifactBytes} per artifact.`,
      );
    }
    files.push({ name, content: await readFile(p) });
  }
  if (!answer && files.length === 0) {
    throw new NoResultError('The agent exited without output: no OUTPUT.md, nothing printed, no files under out/.');
  }
  try {
    return buildOutputSubmission({
      hiringId,
      summary,
      text: answer ? { content: answer, name: 'OUTPUT.md', language: 'markdown' } : undefined,
      files,
    });
  } catch (e) {
    if (e instanceof OutputLimitError) throw new NoResultError(e.message);
    throw e;
  }
}

/** Push mode: the changed files, or NoResultError when the agent changed nothing. */
export async function collectPush(ws: WorkspaceRef): Promise<string[]> {
  const diff = await diffAgainstBase(ws);
  if (diff.files.length === 0) {
    throw new NoResultError(`The agent exited without changing anything in the workspace (branch ${ws.branch}).`);
  }
  return diff.files.map((f) => f.path);
}
