// TEST ONLY, never shipped (it lives under test/e2e and only the e2e suite packages
// it). A VS Code agent as Copilot agent mode is one: it sees MCP servers only through
// VS Code, as tools in vscode.lm.tools, and calls them with vscode.lm.invokeTool.
// The e2e test drives it over loopback HTTP, the way a model drives an agent:
//   GET  /tools        vscode.lm.tools (name, tags, description)
//   POST /invoke       {name, input} → vscode.lm.invokeTool, the text parts of the result
//   GET  /editor       the active editor's document (uri, text): an MCP resource a person opened
//   POST /read         {uri} → vscode.workspace.fs.readFile (VS Code's mcp-resource: file system)
//   GET  /definitions  vscode.lm.mcpServerDefinitions (proposed API): label, uri, version, and a
//                      sha256 of the X-API-Key header, never the token itself
// It starts only when AGRENTING_E2E_AGENT_DIR is set and writes {port} to agent.json there.
import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';

interface McpDefinitionLike {
  label: string;
  uri?: vscode.Uri;
  headers?: Record<string, string>;
  version?: string;
}

interface ProposedLm {
  mcpServerDefinitions?: readonly McpDefinitionLike[];
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

async function body(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function textOf(result: vscode.LanguageModelToolResult): string {
  return result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}

export function activate(context: vscode.ExtensionContext): void {
  const dir = process.env.AGRENTING_E2E_AGENT_DIR;
  if (!dir) return;
  const lm = vscode.lm as unknown as ProposedLm;
  let definitionChanges = 0;
  try {
    const sub = lm.onDidChangeMcpServerDefinitions?.(() => (definitionChanges += 1));
    if (sub) context.subscriptions.push(sub);
  } catch {
    // the proposed API is not enabled in this VS Code
  }

  const routes: Record<string, (req: http.IncomingMessage) => Promise<unknown>> = {
    'GET /tools': async () => vscode.lm.tools.map((t) => ({ name: t.name, tags: t.tags, description: t.description })),
    'POST /invoke': async (req) => {
      const { name, input } = await body(req);
      if (typeof name !== 'string') throw new Error('name is required');
      const cts = new vscode.CancellationTokenSource();
      try {
        const result = await vscode.lm.invokeTool(
          name,
          { input: (input ?? {}) as object, toolInvocationToken: undefined },
          cts.token,
        );
        return { text: textOf(result) };
      } catch (e) {
        return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
      } finally {
        cts.dispose();
      }
    },
    'GET /editor': async () => {
      const doc = vscode.window.activeTextEditor?.document;
      return doc ? { uri: doc.uri.toString(), scheme: doc.uri.scheme, text: doc.getText() } : {};
    },
    'POST /read': async (req) => {
      const { uri } = await body(req);
      if (typeof uri !== 'string') throw new Error('uri is required');
      return { text: Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.parse(uri))).toString('utf8') };
    },
    'GET /definitions': async () => {
      let defs: readonly McpDefinitionLike[] | undefined;
      try {
        defs = lm.mcpServerDefinitions;
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e), definitionChanges };
      }
      return {
        definitionChanges,
        definitions: (defs ?? []).map((d) => ({
          label: d.label,
          uri: d.uri?.toString(),
          version: d.version,
          apiKeySha256: d.headers?.['X-API-Key'] ? sha256(d.headers['X-API-Key']) : undefined,
        })),
      };
    },
  };

  const server = http.createServer((req, res) => {
    const route = routes[`${req.method} ${(req.url ?? '').split('?')[0]}`];
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (!route) return reply(404, { error: `no route ${req.method} ${req.url}` });
    route(req).then(
      (v) => reply(200, v),
      (e: unknown) => reply(500, { error: e instanceof Error ? e.message : String(e) }),
    );
  });
  server.listen(0, '127.0.0.1', () => {
    const file = join(dir, 'agent.json');
    writeFileSync(`${file}.tmp`, JSON.stringify({ port: (server.address() as AddressInfo).port }));
    renameSync(`${file}.tmp`, file);
  });
  context.subscriptions.push({ dispose: () => server.close() });
}

export function deactivate(): void {
  // the HTTP server closes with the subscriptions
}
