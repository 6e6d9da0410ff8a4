// The relay's upstream side: one AgentLink per agent key.
export { AgentLink, createAgentLink, type AgentLinkOptions } from './link';
export { AgrentingRest, type RestAnswer, type RestDelivery } from './rest';
export { DEFAULT_LINK_TIMING, linkTiming, type LinkTiming } from './timing';
export { AuthError, HttpError, RpcError, SessionLostError, TimeoutError } from './errors';
