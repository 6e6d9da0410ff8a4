// The relay's version, shown in relay.json and RelayStatus (kept in step with package.json).
export const RELAY_VERSION = '0.1.0';
