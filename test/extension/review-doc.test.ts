import { describe, expect, it } from 'vitest';
import { reviewDocument, renderArtifact } from '../../src/extension/view-models/review-doc';
import { changeLabel, parseNameStatus, withUntracked } from '../../src/extension/view-models/diff-files';
import { draftHiringId, draftText, isSentDraft, stripDraftHeader } from '../../src/extension/view-models/output-draft';
import { submission, view } from './fixtures';

describe('review document', () => {
  it('shows the output and every artifact', () => {
    const s = submission('s1', 'h1', {
      result: {
        hiring_id: 'h1',
        output: { summary: 'done' },
        artifacts: [
          { artifact_type: 'code_block', name: 'main.ts', content: 'console.log(1)' },
          { artifact_type: 'file', name: 'notes.txt', content: Buffer.from('hello file').toString('base64') },
          {
            artifact_type: 'image',
            name: 'shot.png',
            content: Buffer.from([137, 80, 78, 71, 0, 1]).toString('base64'),
          },
        ],
      },
    });
    const doc = reviewDocument(s, view('h1', 'awaiting_review'));
    expect(doc).toContain('# Review: Task h1');
    expect(doc).toContain('```json\n{\n  "summary": "done"\n}\n```');
    expect(doc).toContain('## Artifacts (3)');
    expect(doc).toContain('```ts\nconsole.log(1)\n```');
    expect(doc).toContain('hello file');
    expect(doc).toContain('_6 bytes of binary content._');
  });

  it('shows a failure report with its reason', () => {
    const s = submission('s2', 'h1', {
      kind: 'failure',
      result: undefined,
      failure: { hiring_id: 'h1', reason: 'needs a GPU', error: 'capability_mismatch' },
    });
    const doc = reviewDocument(s, undefined);
    expect(doc).toContain('# Review: Hiring h1');
    expect(doc).toContain('**Error:** capability_mismatch');
    expect(doc).toContain('> needs a GPU');
  });

  it('cannot be broken out of a fence by backticks in the content', () => {
    const md = renderArtifact({ artifact_type: 'text', name: 'x', content: 'a ``` b' });
    expect(md).toContain('````\na ``` b\n````');
  });
});

describe('push-mode changes', () => {
  it('parses git name-status output, renames included, and adds untracked files', () => {
    const tracked = parseNameStatus('M\tsrc/a.ts\nA\tsrc/new.ts\nD\told.txt\nR087\tsrc/b.ts\tsrc/c.ts\nX\tweird\n\n');
    expect(tracked).toEqual([
      { kind: 'modified', path: 'src/a.ts', basePath: 'src/a.ts' },
      { kind: 'added', path: 'src/new.ts', basePath: 'src/new.ts' },
      { kind: 'deleted', path: 'old.txt', basePath: 'old.txt' },
      { kind: 'renamed', path: 'src/c.ts', basePath: 'src/b.ts' },
    ]);
    const all = withUntracked(tracked, 'src/new.ts\nREADME.md\n');
    expect(all.map(changeLabel)).toEqual([
      'D old.txt',
      'A README.md',
      'M src/a.ts',
      'R src/b.ts → src/c.ts',
      'A src/new.ts',
    ]);
  });
});

describe('output-mode draft', () => {
  it('puts the task in a comment that Submit Result leaves out', () => {
    const text = draftText({ id: 'h9', task_description: 'Write a haiku -->', client_message: 'about TypeScript' });
    expect(draftHiringId(text)).toBe('h9');
    expect(text).not.toMatch(/haiku -->/);
    const written = `${text}An old silent pond`;
    expect(stripDraftHeader(written)).toBe('An old silent pond');
    expect(stripDraftHeader('plain text')).toBe('plain text');
    expect(draftHiringId('plain text')).toBeUndefined();
  });

  it("after the result is sent, closes only that hiring's untitled drafts, never a saved file", () => {
    const text = draftText({ id: 'h9', task_description: 'Write a haiku' });
    expect(isSentDraft({ isUntitled: true, text: `${text}An old silent pond` }, 'h9')).toBe(true);
    expect(isSentDraft({ isUntitled: false, text }, 'h9')).toBe(false);
    expect(isSentDraft({ isUntitled: true, text }, 'h10')).toBe(false);
    expect(isSentDraft({ isUntitled: true, text: 'notes' }, 'h9')).toBe(false);
  });
});
