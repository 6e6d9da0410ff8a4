// The relay's public surface: the composition (startRelay), its settings, and
// relay.json for clients (the VS Code extension imports readRelayFile from here).
export { startRelay, type Relay, type RelayAgent, type RelayOptions } from './relay';
export {
  loadConfig,
  parseRelayArgs,
  ConfigError,
  USAGE,
  DEFAULT_BASE_URL,
  DEFAULT_HOST,
  DEFAULT_PORT,
  defaultStateDir,
  type RelayConfig,
  type AgentConfig,
  type ReviewMode,
} from './config';
export {
  readRelayFile,
  writeRelayFile,
  removeRelayFile,
  relayFilePath,
  resolveTokens,
  RELAY_FILE_NAME,
  RelayFileSchema,
  type RelayFile,
  type RelayTokens,
} from './relay-file';
export { renderStatus, summaryLine, startStatusView, type StatusSnapshot, type StatusView } from './status-view';
export { startDemoHirer, startDemoReviewer, demoRunner, DEMO_TASKS, type DemoTask, type DemoHandle } from './demo';
export { RELAY_VERSION } from '../shared/version';
export * from './types';
