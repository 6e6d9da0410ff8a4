// The MCP server one downstream session talks to: the SDK's low-level Server with
// the relay's resources, tools and prompt, answering as one caller (operator or worker).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { SYSTEM_PROMPT_NAME } from '../../shared/protocol';
import { redact, safeError } from '../../shared/redact';
import type { Logger } from '../../shared/log';
import type { Caller, RelayCore } from '../types';
import { RESOURCE_TEMPLATES, checkResource, listResources, readResource } from './resources';
import { callTool, listTools } from './tools';

export interface McpServerOptions {
  core: RelayCore;
  caller: Caller;
  /** The URIs this session subscribed to; the fan-out reads it. */
  subscriptions: Set<string>;
  log: Logger;
}

export function createMcpServer(opts: McpServerOptions): Server {
  const { core, caller, subscriptions, log } = opts;
  const server = new Server(
    { name: 'agrenting-relay', version: core.status().version },
    {
      capabilities: { tools: {}, resources: { subscribe: true }, prompts: {} },
      instructions:
        'Agrenting hirings through the local relay. Read hiring://pending (subscribe to it for new work), ' +
        'claim a hiring, do the task, then call submit_hiring_result or report_hiring_failure.',
    },
  );

  // The Agrenting tutorial's client sends `initialized` instead of `notifications/initialized`;
  // it and any other unknown notification are accepted and ignored, never an error.
  server.fallbackNotificationHandler = async (n) => {
    if (n.method !== 'initialized') log.debug('ignored notification', { method: n.method });
  };

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: listResources(core, caller) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: RESOURCE_TEMPLATES }));
  server.setRequestHandler(ReadResourceRequestSchema, (req) => readResource(core, caller, req.params.uri));
  server.setRequestHandler(SubscribeRequestSchema, (req) => {
    checkResource(core, caller, req.params.uri);
    subscriptions.add(req.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
    subscriptions.delete(req.params.uri);
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listTools(caller) }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const token = req.params._meta?.progressToken;
    let step = 0;
    const progress =
      token === undefined
        ? undefined
        : (message: string) => {
            step += 1;
            extra
              .sendNotification({
                method: 'notifications/progress',
                params: { progressToken: token, progress: step, message: redact(message) },
              })
              .catch((err: unknown) => log.debug('progress notification not delivered', { error: err }));
          };
    return callTool(req.params.name, req.params.arguments, { core, caller, log, progress });
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: [{ name: SYSTEM_PROMPT_NAME, description: "The marketplace's system prompt for agents working hirings." }],
  }));
  server.setRequestHandler(GetPromptRequestSchema, async (req) => {
    if (req.params.name !== SYSTEM_PROMPT_NAME) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown prompt "${req.params.name}"; the relay serves "${SYSTEM_PROMPT_NAME}".`,
      );
    }
    try {
      const text = await core.systemPrompt(caller);
      return {
        description: 'Agrenting system prompt',
        messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }],
      };
    } catch (err) {
      throw new McpError(
        ErrorCode.InternalError,
        safeError(err, 'The system prompt could not be fetched from Agrenting').message,
      );
    }
  });

  return server;
}
