// Ready-to-paste configuration that points an MCP client (Claude Code, Copilot,
// any generic client) at the relay with one agent's worker token.

export interface McpConfigInput {
  /** The relay's base URL, e.g. http://127.0.0.1:7391 */
  url: string;
  agent: string;
  workerToken: string;
}

/** A server name clients accept: letters, digits, "-" and "_". */
export function serverName(agent: string): string {
  const clean = agent.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return clean === '' || clean === 'default' ? 'agrenting' : `agrenting-${clean}`;
}

export function mcpUrl(url: string): string {
  return `${url.replace(/\/+$/, '')}/mcp`;
}

/** The `mcpServers` block generic clients and Claude Code's .mcp.json read. */
export function genericMcpJson(input: McpConfigInput): string {
  const config = {
    mcpServers: {
      [serverName(input.agent)]: { type: 'http', url: mcpUrl(input.url), headers: { 'X-API-Key': input.workerToken } },
    },
  };
  return JSON.stringify(config, null, 2);
}

/** The `.vscode/mcp.json` block VS Code reads. */
export function vscodeMcpJson(input: McpConfigInput): string {
  const config = {
    servers: {
      [serverName(input.agent)]: { type: 'http', url: mcpUrl(input.url), headers: { 'X-API-Key': input.workerToken } },
    },
  };
  return JSON.stringify(config, null, 2);
}

/** `claude mcp add` with the header, single-quoted for POSIX shells. */
export function claudeCommand(input: McpConfigInput): string {
  return `claude mcp add --transport http ${serverName(input.agent)} ${mcpUrl(input.url)} --header 'X-API-Key: ${input.workerToken}'`;
}

/** Everything, with a line saying what each part is for. */
export function mcpConfigText(input: McpConfigInput): string {
  return [
    `# Agrenting relay for agent "${input.agent}" — keep this private: it holds the agent's relay token.`,
    '',
    '# Claude Code:',
    claudeCommand(input),
    '',
    '# Generic MCP clients (mcpServers JSON, also Claude Code .mcp.json):',
    genericMcpJson(input),
    '',
    '# VS Code (.vscode/mcp.json):',
    vscodeMcpJson(input),
    '',
    `# Legacy HTTP+SSE clients written for Agrenting: ${input.url.replace(/\/+$/, '')}/mcp/sse with the same X-API-Key header.`,
    '',
  ].join('\n');
}
