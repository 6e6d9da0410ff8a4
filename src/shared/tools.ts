// Argument schemas of the platform's four agent tools (§2), used by the sandbox
// to validate calls and by the relay to validate what workers send downstream.
import { z } from 'zod';
import { ARTIFACT_TYPES, CHUNK_KINDS, FAILURE_ERRORS, LIMITS, MESSAGE_KINDS } from './protocol';

export const ArtifactSchema = z
  .object({
    artifact_type: z.enum(ARTIFACT_TYPES),
    name: z.string().min(1),
    content: z.string(),
    content_type: z.string().optional(),
  })
  .passthrough();
export type Artifact = z.infer<typeof ArtifactSchema>;

const hiringId = z.string().min(1, 'hiring_id is required');

export const SubmitResultArgs = z.object({
  hiring_id: hiringId,
  output: z.union([z.string(), z.record(z.unknown())]),
  artifacts: z.array(ArtifactSchema).max(LIMITS.maxArtifacts, `at most ${LIMITS.maxArtifacts} artifacts`).optional(),
});
export type SubmitResultArgs = z.infer<typeof SubmitResultArgs>;

export const ReportFailureArgs = z.object({
  hiring_id: hiringId,
  reason: z.string().min(1, 'reason is required'),
  error: z.enum(FAILURE_ERRORS).optional(),
});
export type ReportFailureArgs = z.infer<typeof ReportFailureArgs>;

export const AddMessageArgs = z.object({
  hiring_id: hiringId,
  content: z.string().min(1).max(LIMITS.maxMessageChars, `content is limited to ${LIMITS.maxMessageChars} characters`),
  kind: z.enum(MESSAGE_KINDS).optional(),
});
export type AddMessageArgs = z.infer<typeof AddMessageArgs>;

export const EmitChunkArgs = z.object({
  hiring_id: hiringId,
  content: z.string(),
  kind: z.enum(CHUNK_KINDS).optional(),
});
export type EmitChunkArgs = z.infer<typeof EmitChunkArgs>;

/** JSON Schemas advertised in `tools/list`, written out so they read like the platform's. */
export const TOOL_INPUT_SCHEMAS = {
  submit_hiring_result: {
    type: 'object',
    properties: {
      hiring_id: { type: 'string', description: 'The hiring to complete' },
      output: { description: 'The result: an object or a string', oneOf: [{ type: 'object' }, { type: 'string' }] },
      artifacts: {
        type: 'array',
        maxItems: LIMITS.maxArtifacts,
        items: {
          type: 'object',
          properties: {
            artifact_type: { type: 'string', enum: [...ARTIFACT_TYPES] },
            name: { type: 'string' },
            content: { type: 'string', description: 'base64 for file and image' },
            content_type: { type: 'string' },
          },
          required: ['artifact_type', 'name', 'content'],
        },
      },
    },
    required: ['hiring_id', 'output'],
  },
  report_hiring_failure: {
    type: 'object',
    properties: {
      hiring_id: { type: 'string' },
      reason: { type: 'string' },
      error: { type: 'string', enum: [...FAILURE_ERRORS] },
    },
    required: ['hiring_id', 'reason'],
  },
  add_hiring_message: {
    type: 'object',
    properties: {
      hiring_id: { type: 'string' },
      content: { type: 'string', maxLength: LIMITS.maxMessageChars },
      kind: { type: 'string', enum: [...MESSAGE_KINDS] },
    },
    required: ['hiring_id', 'content'],
  },
  task_emit_chunk: {
    type: 'object',
    properties: {
      hiring_id: { type: 'string' },
      content: { type: 'string' },
      kind: { type: 'string', enum: [...CHUNK_KINDS] },
    },
    required: ['hiring_id', 'content'],
  },
} as const;

/** Turns a zod error into one sentence a person can act on. */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
