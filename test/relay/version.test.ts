// One version for the package: package.json, the relay and sandbox CLIs (--version) and what they announce.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RELAY_VERSION } from '../../src/shared/version';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('the version', () => {
  it('is the one package.json declares', () => {
    expect(RELAY_VERSION).toBe(pkg.version);
  });

  it.each([
    ['agrenting-relay', 'dist/relay.js', '--version'],
    ['agrenting-relay', 'dist/relay.js', '-v'],
    ['agrenting-sandbox', 'dist/sandbox.js', '--version'],
    ['agrenting-sandbox', 'dist/sandbox.js', '-v'],
  ])('%s %s answers %s with it', (_name, bin, flag) => {
    const out = execFileSync(process.execPath, [join(ROOT, bin), flag], { encoding: 'utf8', timeout: 20_000 });
    expect(out).toBe(`${pkg.version}\n`);
  });
});
