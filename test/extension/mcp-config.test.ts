import { describe, expect, it } from 'vitest';
import {
  claudeCommand,
  genericMcpJson,
  mcpConfigText,
  serverName,
  vscodeMcpJson,
} from '../../src/extension/view-models/mcp-config';

const input = { url: 'http://127.0.0.1:7391/', agent: 'default', workerToken: 'rwk_abc123' };

describe('MCP config for attached agents', () => {
  it('gives Claude Code a ready command with the worker token header', () => {
    expect(claudeCommand(input)).toBe(
      "claude mcp add --transport http agrenting http://127.0.0.1:7391/mcp --header 'X-API-Key: rwk_abc123'",
    );
  });
  it('gives generic clients and VS Code valid JSON', () => {
    expect(JSON.parse(genericMcpJson(input))).toEqual({
      mcpServers: {
        agrenting: { type: 'http', url: 'http://127.0.0.1:7391/mcp', headers: { 'X-API-Key': 'rwk_abc123' } },
      },
    });
    expect(JSON.parse(vscodeMcpJson({ ...input, agent: 'alice' }))).toEqual({
      servers: {
        'agrenting-alice': { type: 'http', url: 'http://127.0.0.1:7391/mcp', headers: { 'X-API-Key': 'rwk_abc123' } },
      },
    });
  });
  it('names servers safely', () => {
    expect(serverName('my agent/1')).toBe('agrenting-my-agent-1');
    expect(serverName('***')).toBe('agrenting');
  });
  it('puts all forms in one text with the legacy SSE path', () => {
    const text = mcpConfigText(input);
    expect(text).toContain('claude mcp add');
    expect(text).toContain('"mcpServers"');
    expect(text).toContain('"servers"');
    expect(text).toContain('http://127.0.0.1:7391/mcp/sse');
  });
});
