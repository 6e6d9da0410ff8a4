import { describe, expect, it } from 'vitest';
import { normalizeSettings, expandHome } from '../../src/extension/settings-model';
import { LaunchError, launchPlan } from '../../src/extension/relay-launch';

const settings = normalizeSettings(
  {
    address: undefined,
    stateDir: '~/state',
    autoStart: 'yes',
    reviewRequired: false,
    workspaceFolder: undefined,
    openIn: 'sideways',
    notificationLevel: 'important',
    baseUrl: 'http://127.0.0.1:9/',
  },
  '/home/dev',
);

describe('settings', () => {
  it('fills defaults, expands ~ and ignores wrong types', () => {
    expect(settings).toEqual({
      address: '127.0.0.1:7391',
      stateDir: '/home/dev/state',
      autoStart: true,
      reviewRequired: false,
      workspaceFolder: '/home/dev/agrenting-workspaces',
      openIn: 'newWindow',
      notificationLevel: 'important',
      baseUrl: 'http://127.0.0.1:9',
      runner: {
        name: 'vscode',
        command: undefined,
        prompt: undefined,
        autoDispatch: false,
        env: undefined,
        maxAttempts: undefined,
        timeoutMinutes: undefined,
      },
    });
    expect(expandHome('~', '/h')).toBe('/h');
    expect(expandHome('/abs/x', '/h')).toBe('/abs/x');
  });
});

describe('relay launch plan', () => {
  const base = {
    settings,
    relayScript: '/ext/dist/relay.js',
    execPath: '/usr/bin/node',
    baseEnv: { PATH: '/bin', AGRENTING_API_KEY: 'inherited-key', AGRENTING_RELAY_TOKEN: 'inherited-token' },
  };

  it('passes the agent key in the environment only, with the settings as flags', () => {
    const plan = launchPlan({ ...base, mode: 'live', agentKey: 'agent-key-123456' });
    expect(plan.command).toBe('/usr/bin/node');
    expect(plan.args).toEqual([
      '/ext/dist/relay.js',
      '--state-dir',
      '/home/dev/state',
      '--listen',
      '127.0.0.1:7391',
      '--review',
      'off',
      '--upstream',
      'http://127.0.0.1:9',
      '--config',
      '/home/dev/state/vscode-relay.json',
    ]);
    expect(plan.env.AGRENTING_API_KEY).toBe('agent-key-123456');
    expect(plan.env.AGRENTING_BASE_URL).toBe('http://127.0.0.1:9');
    expect(plan.env.ELECTRON_RUN_AS_NODE).toBe('1');
    expect(plan.env.AGRENTING_RELAY_TOKEN).toBeUndefined();
    expect(plan.env.AGRENTING_RELAY_RUNNERS).toBeUndefined();
    expect(plan.args.join(' ')).not.toContain('agent-key');
    expect(plan.configFile.content).not.toContain('agent-key');
    expect(JSON.parse(plan.configFile.content)).toEqual({
      agents: [{ name: 'default', apiKeyEnv: 'AGRENTING_API_KEY' }],
      workspaceRoot: '/home/dev/agrenting-workspaces',
    });
    expect(plan.logFile).toBe('/home/dev/state/relay.log');
  });

  it('starts the sandbox with the demo and no key', () => {
    const plan = launchPlan({ ...base, mode: 'sandbox' });
    expect(plan.args.slice(-2)).toEqual(['--sandbox', '--demo']);
    expect(plan.env.AGRENTING_API_KEY).toBeUndefined();
  });

  it('refuses live mode without a key, saying what to do', () => {
    expect(() => launchPlan({ ...base, mode: 'live' })).toThrow(LaunchError);
    expect(() => launchPlan({ ...base, mode: 'live' })).toThrow(/Set Agent Key/);
  });

  it('hands the relay the runner from the agrenting.runner settings, and only names its key', () => {
    const runner = { ...settings.runner, command: ['claude', '-p'], env: ['ANTHROPIC_API_KEY'], maxAttempts: 2 };
    const plan = launchPlan({
      ...base,
      settings: { ...settings, runner },
      baseEnv: { ...base.baseEnv, ANTHROPIC_API_KEY: 'sk-ant-secret', AGRENTING_RELAY_RUNNERS: '[{"name":"old"}]' },
      mode: 'sandbox',
    });
    expect(JSON.parse(plan.env.AGRENTING_RELAY_RUNNERS ?? '')).toEqual([
      {
        name: 'vscode',
        command: ['claude', '-p'],
        prompt: 'stdin',
        autoDispatch: false,
        env: ['ANTHROPIC_API_KEY'],
        maxAttempts: 2,
      },
    ]);
    expect(plan.env.AGRENTING_RELAY_RUNNERS).not.toContain('sk-ant-secret');
    expect(plan.configFile.content).not.toContain('claude');
  });

  it('refuses to start with a runner setting the relay would refuse, naming it', () => {
    const runner = { ...settings.runner, command: ['aider', '--message'], prompt: 'argument' };
    expect(() => launchPlan({ ...base, settings: { ...settings, runner }, mode: 'sandbox' })).toThrow(
      /agrenting\.runner settings: .*\{prompt\}/,
    );
  });
});
