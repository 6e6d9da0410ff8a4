// JSON Schemas for tools/list, derived from the zod schemas with the converter the MCP SDK's
// own McpServer uses, so the advertised schema and the parser can never disagree.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import type { ToolDefinition } from './tools';

/** A tool as tools/list describes it. */
export function listedTool(def: ToolDefinition): Tool {
  const inputSchema = toJsonSchemaCompat(def.args, {
    strictUnions: true,
    pipeStrategy: 'input',
  }) as Tool['inputSchema'];
  return { name: def.name, description: def.description, inputSchema };
}
