import { describe, expect, it } from 'vitest';
import { buildOutputSubmission, OutputLimitError, validateArtifacts } from '../../src/relay/delivery';
import { LIMITS } from '../../src/shared/protocol';
import { SubmitResultArgs } from '../../src/shared/tools';

const MB = 1024 * 1024;

function limitError(fn: () => unknown): OutputLimitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OutputLimitError);
    return e as OutputLimitError;
  }
  throw new Error('expected an OutputLimitError');
}

describe('buildOutputSubmission', () => {
  it('puts short text inline with its summary', () => {
    const args = buildOutputSubmission({
      hiringId: 'h1',
      summary: 'Fixed the bug',
      text: { content: 'const a = 1;', language: 'typescript', name: 'a.ts' },
    });
    expect(args).toEqual({
      hiring_id: 'h1',
      output: { summary: 'Fixed the bug', text: 'const a = 1;', language: 'typescript', name: 'a.ts' },
    });
    expect(SubmitResultArgs.safeParse(args).success).toBe(true);
  });

  it('sends an editor selection as inline text without a summary', () => {
    const args = buildOutputSubmission({
      hiringId: 'h1',
      text: { content: 'function f() {}\n', language: 'javascript' },
    });
    expect(args.output).toEqual({ text: 'function f() {}\n', language: 'javascript' });
    expect(args.artifacts).toBeUndefined();
  });

  it('moves text longer than the inline limit into an artifact', () => {
    const long = 'x'.repeat(120);
    const args = buildOutputSubmission({
      hiringId: 'h1',
      summary: 'Long',
      text: { content: long, language: 'markdown' },
      inlineLimit: 100,
    });
    expect(args.output).toEqual({ summary: 'Long', artifacts: ['result.md'] });
    expect(args.artifacts).toEqual([
      {
        artifact_type: 'markdown',
        name: 'result.md',
        content: long,
        content_type: 'text/markdown',
        language: 'markdown',
      },
    ]);
  });

  it('turns files into typed artifacts; binary files and images travel base64', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const bin = Buffer.from([0x00, 0x01, 0xfe, 0xff]);
    const args = buildOutputSubmission({
      hiringId: 'h1',
      files: [
        { name: 'src/app.ts', content: 'export {};\n' },
        { name: 'change.patch', content: '--- a\n+++ b\n' },
        { name: 'NOTES.md', content: '# Notes\n' },
        { name: 'logo.png', content: png },
        { name: 'data.bin', content: bin },
        { name: 'forced.txt', content: 'plain text', kind: 'file' },
      ],
    });
    expect(args.artifacts?.map((a) => [a.name, a.artifact_type])).toEqual([
      ['src/app.ts', 'code_block'],
      ['change.patch', 'diff'],
      ['NOTES.md', 'markdown'],
      ['logo.png', 'image'],
      ['data.bin', 'file'],
      ['forced.txt', 'file'],
    ]);
    const byName = new Map(args.artifacts?.map((a) => [a.name, a]));
    expect(Buffer.from(byName.get('logo.png')?.content ?? '', 'base64').equals(png)).toBe(true);
    expect(byName.get('logo.png')?.content_type).toBe('image/png');
    expect(Buffer.from(byName.get('data.bin')?.content ?? '', 'base64').equals(bin)).toBe(true);
    expect(Buffer.from(byName.get('forced.txt')?.content ?? '', 'base64').toString()).toBe('plain text');
    expect(byName.get('src/app.ts')?.content).toBe('export {};\n');
    expect(args.output).toEqual({
      summary: '6 files attached.',
      artifacts: ['src/app.ts', 'change.patch', 'NOTES.md', 'logo.png', 'data.bin', 'forced.txt'],
    });
  });

  it('accepts exactly 50 artifacts and refuses 51 before sending, saying the limit', () => {
    const files = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f${i}.ts`, content: `// ${i}\n` }));
    expect(buildOutputSubmission({ hiringId: 'h1', files: files(LIMITS.maxArtifacts) }).artifacts).toHaveLength(50);
    const err = limitError(() => buildOutputSubmission({ hiringId: 'h1', files: files(51) }));
    expect(err.limit).toBe('artifact_count');
    expect(err.message).toBe(
      'Too many artifacts: 51, the platform accepts at most 50 per result. Combine files (for example into one diff) and try again.',
    );
  });

  it('accepts a 1 MB file and refuses 1 MB + 1 byte, naming the file', () => {
    expect(
      buildOutputSubmission({ hiringId: 'h1', files: [{ name: 'ok.txt', content: 'a'.repeat(MB) }] }).artifacts?.[0]
        .content.length,
    ).toBe(MB);
    const err = limitError(() =>
      buildOutputSubmission({ hiringId: 'h1', files: [{ name: 'big.txt', content: 'a'.repeat(MB + 1) }] }),
    );
    expect(err.limit).toBe('artifact_size');
    expect(err.artifact).toBe('big.txt');
    expect(err.message).toBe(
      'Artifact "big.txt" is 1.00 MB; the limit is 1.00 MB per artifact. Deliver it by push, or split it.',
    );
  });

  it('measures binary files as sent (base64)', () => {
    const err = limitError(() =>
      buildOutputSubmission({ hiringId: 'h1', files: [{ name: 'blob.bin', content: Buffer.alloc(800 * 1024) }] }),
    );
    expect(err.message).toMatch(/^Artifact "blob.bin" is 1\.04 MB once base64-encoded; the limit is 1\.00 MB/);
  });

  it('refuses an empty result', () => {
    const err = limitError(() => buildOutputSubmission({ hiringId: 'h9', summary: '  ', text: { content: '' } }));
    expect(err.message).toBe('The result of hiring h9 is empty: add a summary, text or files.');
  });
});

describe('validateArtifacts', () => {
  it('accepts well-formed artifacts and no artifacts', () => {
    const ok = [
      { artifact_type: 'code_block', name: 'a.ts', content: 'x' },
      { artifact_type: 'file', name: 'b.bin', content: Buffer.from('hi').toString('base64') },
    ];
    expect(validateArtifacts(ok)).toEqual(ok);
    expect(validateArtifacts(undefined)).toEqual([]);
  });

  it('names the bad artifact: unknown type, missing name, non-base64 file, not an array', () => {
    expect(limitError(() => validateArtifacts([{ artifact_type: 'video', name: 'v', content: '' }])).message).toMatch(
      /^Artifact "v" is invalid: artifact_type/,
    );
    expect(limitError(() => validateArtifacts([{ artifact_type: 'text', content: 'x' }])).message).toMatch(
      /^Artifact #1 is invalid: name/,
    );
    expect(
      limitError(() => validateArtifacts([{ artifact_type: 'image', name: 'p.png', content: 'not base64!' }])).message,
    ).toBe('Artifact "p.png" is of type image, whose content must be base64.');
    expect(limitError(() => validateArtifacts({ name: 'x' })).message).toBe('artifacts must be an array.');
  });

  it('applies the count and size limits', () => {
    const many = Array.from({ length: 51 }, (_, i) => ({ artifact_type: 'text', name: `t${i}`, content: 'x' }));
    expect(limitError(() => validateArtifacts(many)).limit).toBe('artifact_count');
    const big = [{ artifact_type: 'text', name: 'huge.log', content: 'y'.repeat(MB + 1) }];
    expect(limitError(() => validateArtifacts(big)).message).toMatch(
      /^Artifact "huge.log" is 1\.00 MB; the limit is 1\.00 MB per artifact/,
    );
  });
});
