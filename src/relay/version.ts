// The relay's version, shown by --version, in relay.json and RelayStatus: package.json's.
export { PACKAGE_VERSION as RELAY_VERSION } from '../shared/version';
