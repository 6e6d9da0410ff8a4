// The relay's downstream MCP server (see server.ts).
export { startDownstreamServer, STREAMABLE_PATH } from './server';
export type { DownstreamServer, DownstreamServerOptions } from './server';
export type { DownstreamTokens } from './auth';
export { RESOURCE_URI } from './resources';
export { LEGACY_SSE_PATH, LEGACY_MESSAGES_PREFIX } from './legacy-route';
