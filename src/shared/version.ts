// The package's version, taken from package.json at build time (esbuild inlines this one field),
// so `--version`, relay.json, the relay's status and the MCP client/server info never drift from it.
import { version } from '../../package.json';

export const PACKAGE_VERSION: string = version;
