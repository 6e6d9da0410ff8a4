// Output mode: turn text and files into the arguments of submit_hiring_result.
// Short text travels inline in `output`; long text and files become artifacts.
// The platform's limits (≤ 50 artifacts, ≤ 1 MB inline content each) are
// checked here, before anything is sent, with errors that name the file.
import { LIMITS, BASE64_ARTIFACT_TYPES, type ArtifactType } from '../../shared/protocol';
import { ArtifactSchema, describeZodError, SubmitResultArgs, type Artifact } from '../../shared/tools';

export type OutputFileKind = 'file' | 'diff' | 'markdown' | 'code_block' | 'image';

export interface OutputFile {
  name: string;
  content: Buffer | string;
  /** Defaults from the name and content: .diff/.patch → diff, .md → markdown, images → image, binary → file, text → code_block. */
  kind?: OutputFileKind;
}

export interface OutputInput {
  hiringId: string;
  summary?: string;
  text?: { content: string; name?: string; language?: string };
  files?: OutputFile[];
  /** Text longer than this (characters) becomes an artifact instead of travelling inline. Default 8 000. */
  inlineLimit?: number;
}

export const DEFAULT_INLINE_LIMIT = 8000;

export class OutputLimitError extends Error {
  constructor(
    message: string,
    readonly limit: 'artifact_count' | 'artifact_size' | 'invalid_artifact' | 'empty',
    readonly artifact?: string,
  ) {
    super(message);
    this.name = 'OutputLimitError';
  }
}

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|ico|svg)$/i;
const CONTENT_TYPES: [RegExp, string][] = [
  [/\.png$/i, 'image/png'],
  [/\.jpe?g$/i, 'image/jpeg'],
  [/\.gif$/i, 'image/gif'],
  [/\.webp$/i, 'image/webp'],
  [/\.svg$/i, 'image/svg+xml'],
  [/\.pdf$/i, 'application/pdf'],
  [/\.zip$/i, 'application/zip'],
  [/\.json$/i, 'application/json'],
  [/\.(diff|patch)$/i, 'text/x-diff'],
  [/\.md$/i, 'text/markdown'],
];

function contentTypeOf(name: string): string | undefined {
  return CONTENT_TYPES.find(([re]) => re.test(name))?.[1];
}

function isBinary(buf: Buffer): boolean {
  if (buf.includes(0)) return true;
  return Buffer.from(buf.toString('utf8'), 'utf8').length !== buf.length;
}

function kindOf(file: OutputFile): ArtifactType {
  if (file.kind) return file.kind;
  if (IMAGE.test(file.name) && !/\.svg$/i.test(file.name)) return 'image';
  if (Buffer.isBuffer(file.content) && isBinary(file.content)) return 'file';
  if (/\.(diff|patch)$/i.test(file.name)) return 'diff';
  if (/\.(md|markdown)$/i.test(file.name)) return 'markdown';
  return 'code_block';
}

function toArtifact(file: OutputFile): Artifact {
  const type = kindOf(file);
  const buf = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content, 'utf8');
  const content = BASE64_ARTIFACT_TYPES.includes(type) ? buf.toString('base64') : buf.toString('utf8');
  const contentType = contentTypeOf(file.name);
  return { artifact_type: type, name: file.name, content, ...(contentType ? { content_type: contentType } : {}) };
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(2)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

function checkLimits(artifacts: Artifact[]): void {
  if (artifacts.length > LIMITS.maxArtifacts) {
    throw new OutputLimitError(
      `Too many artifacts: ${artifacts.length}, the platform accepts at most ${LIMITS.maxArtifacts} per result. Combine files (for example into one diff) and try again.`,
      'artifact_count',
    );
  }
  for (const a of artifacts) {
    const size = Buffer.byteLength(a.content, 'utf8');
    if (size > LIMITS.maxInlineArtifactBytes) {
      const how = BASE64_ARTIFACT_TYPES.includes(a.artifact_type) ? ' once base64-encoded' : '';
      throw new OutputLimitError(
        `Artifact "${a.name}" is ${formatBytes(size)}${how}; the limit is ${formatBytes(LIMITS.maxInlineArtifactBytes)} per artifact. Deliver it by push, or split it.`,
        'artifact_size',
        a.name,
      );
    }
  }
}

/** Checks agent-supplied artifacts: shape, type, base64 where required, count and size. */
export function validateArtifacts(artifacts: unknown): Artifact[] {
  if (artifacts === undefined || artifacts === null) return [];
  if (!Array.isArray(artifacts)) throw new OutputLimitError('artifacts must be an array.', 'invalid_artifact');
  const parsed = artifacts.map((raw, i) => {
    const r = ArtifactSchema.safeParse(raw);
    if (!r.success) {
      const name = (raw as { name?: unknown } | null)?.name;
      const label = typeof name === 'string' ? `"${name}"` : `#${i + 1}`;
      throw new OutputLimitError(
        `Artifact ${label} is invalid: ${describeZodError(r.error)}.`,
        'invalid_artifact',
        typeof name === 'string' ? name : undefined,
      );
    }
    return r.data;
  });
  for (const a of parsed) {
    if (BASE64_ARTIFACT_TYPES.includes(a.artifact_type) && !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(a.content)) {
      throw new OutputLimitError(
        `Artifact "${a.name}" is of type ${a.artifact_type}, whose content must be base64.`,
        'invalid_artifact',
        a.name,
      );
    }
  }
  checkLimits(parsed);
  return parsed;
}

/** Builds submit_hiring_result arguments; throws OutputLimitError before anything is sent. */
export function buildOutputSubmission(input: OutputInput): SubmitResultArgs {
  const limit = input.inlineLimit ?? DEFAULT_INLINE_LIMIT;
  const output: Record<string, unknown> = {};
  const artifacts: Artifact[] = [];
  if (input.summary !== undefined && input.summary.trim() !== '') output.summary = input.summary;
  if (input.text && input.text.content !== '') {
    const { content, name, language } = input.text;
    if (content.length <= limit) {
      output.text = content;
      if (language) output.language = language;
      if (name) output.name = name;
    } else {
      const kind: OutputFileKind = language === 'diff' ? 'diff' : language === 'markdown' ? 'markdown' : 'code_block';
      const fallback = kind === 'diff' ? 'result.diff' : kind === 'markdown' ? 'result.md' : 'result.txt';
      artifacts.push({ ...toArtifact({ name: name ?? fallback, content, kind }), ...(language ? { language } : {}) });
    }
  }
  for (const f of input.files ?? []) artifacts.push(toArtifact(f));
  if (Object.keys(output).length === 0 && artifacts.length === 0) {
    throw new OutputLimitError(
      `The result of hiring ${input.hiringId} is empty: add a summary, text or files.`,
      'empty',
    );
  }
  checkLimits(artifacts);
  if (artifacts.length > 0) output.artifacts = artifacts.map((a) => a.name);
  if (output.summary === undefined && output.text === undefined) {
    output.summary = `${artifacts.length} file${artifacts.length === 1 ? '' : 's'} attached.`;
  }
  return SubmitResultArgs.parse({ hiring_id: input.hiringId, output, ...(artifacts.length > 0 ? { artifacts } : {}) });
}
