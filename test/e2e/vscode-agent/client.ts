// The e2e side of the test-only agent extension (./extension.ts): waits for its
// agent.json and calls its loopback routes. Every call goes through VS Code's
// vscode.lm API inside the extension host, never to the relay directly.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../workbench';

export interface LmTool {
  name: string;
  tags: string[];
  description: string;
}

export interface HeldDefinition {
  label: string;
  uri?: string;
  version?: string;
  apiKeySha256?: string;
}

export interface VsCodeAgent {
  tools(): Promise<LmTool[]>;
  /** vscode.lm.invokeTool; resolves with the result's text, or with the error VS Code raised. */
  invoke(name: string, input: Record<string, unknown>): Promise<{ text?: string; error?: string }>;
  /** The document of the active editor. */
  editor(): Promise<{ uri?: string; scheme?: string; text?: string }>;
  /** vscode.workspace.fs.readFile of a URI (e.g. an mcp-resource: one). */
  read(uri: string): Promise<string>;
  /** vscode.lm.mcpServerDefinitions (proposed API) and how many change events the agent saw. */
  definitions(): Promise<{ definitions?: HeldDefinition[]; definitionChanges: number; error?: string }>;
}

export async function connectVsCodeAgent(dir: string): Promise<VsCodeAgent> {
  const info = await eventually(
    'the test-only agent extension to start in VS Code',
    async () => JSON.parse(await readFile(join(dir, 'agent.json'), 'utf8')) as { port: number },
    60_000,
  );
  const base = `http://127.0.0.1:${info.port}`;
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const value = (await res.json()) as T & { error?: string };
    if (!res.ok) {
      throw new Error(`the agent extension answered ${method} ${path} with ${res.status}: ${value.error ?? ''}`);
    }
    return value;
  };
  return {
    tools: () => call<LmTool[]>('GET', '/tools'),
    invoke: (name, input) => call('POST', '/invoke', { name, input }),
    editor: () => call('GET', '/editor'),
    read: async (uri) => (await call<{ text: string }>('POST', '/read', { uri })).text,
    definitions: () => call('GET', '/definitions'),
  };
}
