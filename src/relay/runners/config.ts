// The relay config's `runners` section (and AGRENTING_RELAY_RUNNERS, the same array as JSON, which the
// VS Code extension sets when it starts the relay), parsed once into typed RunnerConfig values.
// A runner names the environment variables it passes to its CLI; it never holds a key itself.
import { resolve } from 'node:path';
import { z } from 'zod';
import { describeZodError } from '../../shared/tools';

export const RUNNERS_ENV = 'AGRENTING_RELAY_RUNNERS';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const RunnerConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, "-", "_" or "." (at most 64)'),
    /** argv: the program first. `{prompt}` / `{promptFile}` are substituted for prompt "argument" / "file". */
    command: z.array(z.string()).min(1, 'give the program and its arguments as an array'),
    prompt: z.enum(['stdin', 'argument', 'file']).default('stdin'),
    /** Local agent names this runner works for (default: every agent). */
    agents: z.array(z.string()).optional(),
    /** capability_requested values it takes (default: any). */
    capabilities: z.array(z.string()).optional(),
    deliveryModes: z.array(z.enum(['output', 'push'])).optional(),
    minPrice: z.number().nonnegative().optional(),
    maxConcurrent: z.number().int().min(1).default(1),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(30 * 60_000),
    maxAttempts: z.number().int().min(1).default(3),
    autoDispatch: z.boolean().default(false),
    /** Environment variables passed through to the CLI by name (its own API key, for example). */
    env: z.array(envName).default([]),
  })
  .strict()
  .superRefine((r, ctx) => {
    const joined = r.command.join(' ');
    if (r.prompt === 'argument' && !joined.includes('{prompt}')) {
      ctx.addIssue({
        code: 'custom',
        path: ['command'],
        message: 'prompt "argument" needs the token {prompt} in command',
      });
    }
    if (r.prompt === 'file' && !joined.includes('{promptFile}')) {
      ctx.addIssue({
        code: 'custom',
        path: ['command'],
        message: 'prompt "file" needs the token {promptFile} in command',
      });
    }
  });

export type RunnerConfig = z.infer<typeof RunnerConfigSchema>;
export type RunnerConfigInput = z.input<typeof RunnerConfigSchema>;

export class RunnerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunnerConfigError';
  }
}

/** The CLI runs in the hiring's folder: a "./x" or "../x" in argv means a path beside the config instead. */
function anchored(command: string[], baseDir: string): string[] {
  return command.map((a) => (a.startsWith('./') || a.startsWith('../') ? resolve(baseDir, a) : a));
}

function parseList(raw: unknown, where: string, baseDir: string): RunnerConfig[] {
  if (!Array.isArray(raw)) throw new RunnerConfigError(`${where}: "runners" must be an array of runner objects.`);
  return raw.map((entry, i) => {
    const r = RunnerConfigSchema.safeParse(entry);
    if (!r.success) throw new RunnerConfigError(`${where}: runners[${i}]: ${describeZodError(r.error)}.`);
    return { ...r.data, command: anchored(r.data.command, baseDir) };
  });
}

/**
 * The runners of the config file plus those of AGRENTING_RELAY_RUNNERS. A name used twice is an
 * error, except that an environment runner replaces a file runner of the same name (the extension's
 * setting wins over an older file entry). Relative paths ("./…", "../…") in a command are taken from
 * the config file's folder (`fileDir`), or the relay's working folder for the environment's runners.
 */
export function parseRunners(
  fileRunners: unknown,
  env: Record<string, string | undefined> = {},
  fileWhere = 'config file',
  fileDir = process.cwd(),
): RunnerConfig[] {
  const fromFile = fileRunners === undefined ? [] : parseList(fileRunners, fileWhere, fileDir);
  const text = env[RUNNERS_ENV]?.trim();
  let fromEnv: RunnerConfig[] = [];
  if (text) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new RunnerConfigError(`${RUNNERS_ENV} is not valid JSON; it must be a JSON array of runner objects.`);
    }
    fromEnv = parseList(raw, RUNNERS_ENV, process.cwd());
  }
  const seen = new Set<string>();
  for (const r of fromFile) {
    if (seen.has(r.name)) throw new RunnerConfigError(`${fileWhere}: the runner name "${r.name}" is used twice.`);
    seen.add(r.name);
  }
  const envNames = new Set<string>();
  for (const r of fromEnv) {
    if (envNames.has(r.name)) throw new RunnerConfigError(`${RUNNERS_ENV}: the runner name "${r.name}" is used twice.`);
    envNames.add(r.name);
  }
  return [...fromFile.filter((r) => !envNames.has(r.name)), ...fromEnv];
}
