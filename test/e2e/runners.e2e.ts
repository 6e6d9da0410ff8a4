// A hiring worked by a coding-agent CLI that the relay starts, with a person in VS Code deciding. The runner
// comes from the agrenting.runner.* settings (the fake agent CLI of test/runners, in its slow push-mode
// "edit" mode); the extension starts the relay itself once an agent key is set, handing it the runner. A
// push-mode hiring is handed to the agent with Run with Agent… from the tree; the tree shows the runner,
// the status bar counts the run, the detail view follows the run log; the agent's changes are reviewed as a
// diff, rejected with feedback, redone by the agent (attempt 2) and approved; the sandbox's repository then
// holds both attempts' files on the hiring's branch.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRelayFile } from '../../src/relay/relay-file';
import { startSandbox, type RegisteredAgent, type Sandbox } from '../../src/sandbox';
import { memoryLogger } from '../../src/shared/log';
import { attachAgent, type AttachedAgent } from './agent';
import { startCodeServer, type CodeServer } from './code-server';
import { gitFileAt, remoteBranches } from './git';
import { E2E_SANDBOX_KNOBS, REPO_ROOT, VSIX, extensionOutput, ownRelaySettings, stopDetachedRelay } from './stack';
import { currentVsCode } from './vscode-version';
import { eventually, launchBrowser, Workbench } from './workbench';

const FAKE_AGENT = join(REPO_ROOT, 'test', 'runners', 'fake-agent.mjs');
const RUNNER = 'fake-agent';
const TITLE = 'Add a CONTRIBUTING guide to the repository';
const FEEDBACK = 'Also say how to run the tests.';

let sandbox: Sandbox;
let agent: RegisteredAgent;
let codeServer: CodeServer;
let browser: Browser;
let wb: Workbench;
let root: string;
let stateDir: string;
let observer: AttachedAgent | undefined;
let hiringId = '';

/** The relay the extension started (relay.json in the state folder the settings name). */
const relayInfo = () => readRelayFile(stateDir);

async function relayObserver(): Promise<AttachedAgent> {
  const info = await eventually('relay.json of the relay the extension started', () => relayInfo());
  observer ??= await attachAgent(info.url, info.workerTokens.default);
  return observer;
}

/** The relay's own view of the hiring's run (`relay.run`), as an attached worker reads it. */
async function run(): Promise<{ runner?: string; state?: string; attempt?: number } | undefined> {
  const h = (await (await relayObserver()).hiring(hiringId)) as { relay?: { run?: Record<string, unknown> } };
  return h.relay?.run as { runner?: string; state?: string; attempt?: number } | undefined;
}

async function waitingForReview(attempt: number): Promise<void> {
  const o = await relayObserver();
  await eventually(
    `attempt ${attempt} of the agent waiting for review`,
    async () =>
      (await run())?.attempt === attempt &&
      (await o.reviews()).some((s) => s.hiringId === hiringId && s.state === 'awaiting_review'),
    90_000,
  );
}

/** Open Review on the hiring: the agent's changes as a diff; returns the text of the review tab. */
async function openReviewDiff(): Promise<string> {
  await wb.runCommand('Agrenting: Open Submission for Review');
  await wb.pick(TITLE);
  const tab = wb.page.locator('.tabs-container .tab', { hasText: 'Review:' }).first();
  await tab.waitFor({ state: 'visible', timeout: 30_000 });
  return tab.innerText();
}

beforeAll(async () => {
  const target = currentVsCode();
  root = await mkdtemp(join(tmpdir(), 'agrenting-e2e-runners-'));
  stateDir = join(root, 'relay-state');
  const project = join(root, 'project');
  await mkdir(project, { recursive: true });
  await writeFile(join(project, 'NOTES.md'), '# My project\n');
  sandbox = await startSandbox({ log: memoryLogger('sandbox'), knobs: E2E_SANDBOX_KNOBS });
  agent = sandbox.registerAgent({ name: 'E2E runner agent', capabilities: ['coding'] });
  codeServer = await startCodeServer({
    target,
    vsix: VSIX,
    open: project,
    settings: {
      ...(await ownRelaySettings(stateDir, sandbox.url)),
      'agrenting.workspaceFolder': join(root, 'workspaces'),
      // The runner, as a person would set it: the CLI's argv, how it takes the prompt, attempts.
      'agrenting.runner.name': RUNNER,
      'agrenting.runner.command': [process.execPath, FAKE_AGENT, 'edit-slow'],
      'agrenting.runner.prompt': 'stdin',
      'agrenting.runner.maxAttempts': 3,
    },
  });
  browser = await launchBrowser();
  wb = await Workbench.open(browser, codeServer.url, join(target.resultsDir, 'runners'));
}, 240_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !wb) return;
  await wb.screenshot(`FAILED-${ctx.task.name}`).catch(() => undefined);
  const out = await extensionOutput(codeServer.userDataDir).catch(() => '');
  process.stderr.write(`\n=== extension output after "${ctx.task.name}" ===\n${out.slice(-4000)}\n`);
});

afterAll(async () => {
  await observer?.close().catch(() => undefined);
  stopDetachedRelay(stateDir);
  await browser?.close().catch(() => undefined);
  await codeServer?.stop().catch(() => undefined);
  await sandbox?.close().catch(() => undefined);
  await rm(root, { recursive: true, force: true }).catch(() => undefined);
});

describe('a hiring worked by a coding-agent CLI, reviewed in VS Code', () => {
  it('starts the relay with the runner from the settings once an agent key is set', async () => {
    await wb.showViewContainer('Agrenting');
    await wb.runCommand('Agrenting: Set Agent Key');
    await wb.page.locator('.quick-input-widget input[type="password"]').waitFor({ state: 'visible', timeout: 20_000 });
    await wb.answer(agent.apiKey);
    // No relay runs yet: the extension starts one with the key (and the runner settings).
    await eventually(
      'the relay to subscribe on the sandbox',
      () => sandbox.inspect().sessions.some((s) => s.agentId === agent.id && s.subscriptions.length > 0),
      90_000,
    );
    // The relay took the runner from AGRENTING_RELAY_RUNNERS; relay.json and the config hold no command or key.
    const o = await relayObserver();
    expect(o).toBeTruthy();
    const info = relayInfo();
    expect(JSON.stringify(info)).not.toContain(agent.apiKey);
  });

  it('hands a push-mode hiring to the agent with Run with Agent… from the tree, and shows the run', async () => {
    const h = await sandbox.hire(agent.id, {
      task_description: TITLE,
      price: '40.00',
      capability_requested: 'coding',
      delivery_mode: 'push',
    });
    hiringId = h.id;
    await wb.showViewContainer('Agrenting');
    await wb.treeItem(TITLE).waitFor({ state: 'visible', timeout: 60_000 });
    await wb.widenSidebar(360); // so the row's description (who works it) shows in the screenshots
    await wb.contextMenu(TITLE, 'Run with Agent…');
    // The only runner is taken without asking; the row says who works it, the status bar counts the run.
    await wb.treeItem(new RegExp(`${RUNNER} · attempt 1/3 · (starting|running)`)).waitFor({
      state: 'visible',
      timeout: 30_000,
    });
    await eventually('the status bar to count the run', async () =>
      (await wb.ariaLabel('Agrenting,'))?.includes('1 running'),
    );
    await wb.screenshot('run-in-tree');
    const r = await run();
    expect(r).toMatchObject({ runner: RUNNER, attempt: 1 });
  });

  it('follows the run log live in the detail view', async () => {
    await wb.runCommand('Agrenting: Open Hiring');
    await wb.pick(TITLE);
    const frame = await wb.webviewFrame('Agent run');
    await eventually(
      'the run log to show the agent’s progress',
      async () => (await frame.locator('.run-log').innerText()).includes('reading the repository… step'),
      30_000,
    );
    // Still running: more lines arrive without reopening the view.
    const first = await frame.locator('.run-log').innerText();
    await eventually(
      'the run log to grow',
      async () => (await frame.locator('.run-log').innerText()).length > first.length,
      30_000,
    );
    await wb.screenshot('run-log-live');
    await waitingForReview(1);
    await eventually('the log to show the edit', async () =>
      (await frame.locator('.run-log').innerText()).includes('edited the repository'),
    );
    await wb.screenshot('run-finished');
  });

  it("reviews the agent's changes as a diff and rejects them with feedback: the agent runs again", async () => {
    await wb.closeAllEditors();
    await wb.clearNotifications();
    const tab = await openReviewDiff();
    expect(tab).toContain(TITLE.slice(0, 20));
    await wb.page
      .locator('.monaco-workbench', { hasText: 'EDITED_BY_AGENT.md' })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await wb.screenshot('review-diff-attempt-1');
    await wb.clickNotificationButton('Reject…');
    await wb.answer(FEEDBACK);
    // The runner starts attempt 2 in the same workspace, with the feedback in its prompt.
    await wb.treeItem(new RegExp(`${RUNNER} · attempt 2/3`)).waitFor({ state: 'visible', timeout: 60_000 });
    await wb.screenshot('rerun-after-feedback');
    await waitingForReview(2);
    const h = sandbox.hiring(hiringId);
    expect(h?.status).toBe('in_progress');
    expect(h?.deliveries.filter((d) => d.tool === 'submit_hiring_result')).toEqual([]);
    expect(h?.messages.some((m) => m.content.includes(FEEDBACK))).toBe(false);
  });

  it('approves the redone work: the branch with both attempts is pushed and the hiring completes', async () => {
    await wb.closeAllEditors();
    await wb.clearNotifications();
    await openReviewDiff();
    await wb.page
      .locator('.monaco-workbench', { hasText: 'REVISION.md' })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await wb.screenshot('review-diff-attempt-2');
    await wb.clickNotificationButton('Approve');
    const done = await eventually(
      'the sandbox to record the completed hiring',
      () => (sandbox.hiring(hiringId)?.status === 'completed' ? sandbox.hiring(hiringId) : undefined),
      90_000,
    );
    const repoUrl = done.hiring.repo_url;
    const token = done.hiring.repo_access_token;
    if (!repoUrl || !token) throw new Error('the sandbox gave the push-mode hiring no repository');
    const branch = `agrenting/${hiringId}`;
    const sha = (await remoteBranches(repoUrl, token)).get(`refs/heads/${branch}`);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await gitFileAt(repoUrl, 'EDITED_BY_AGENT.md', { token, branch })).toContain('edited for');
    expect(await gitFileAt(repoUrl, 'REVISION.md', { token, branch })).toContain('second attempt');
    expect(done.deliveries.filter((d) => d.tool === 'submit_hiring_result' && d.outcome === 'accepted')).toHaveLength(
      1,
    );
    await wb.showViewContainer('Agrenting');
    await wb.hiringInGroup(TITLE, 'Done', 60_000);
    await wb.screenshot('approved-and-pushed');
  });

  it('ran every command without an error, and no key reached the user data or the relay log', async () => {
    const log = await extensionOutput(codeServer.userDataDir);
    expect(log.split('\n').filter((l) => /\] agrenting\.[\w.]+ failed:/.test(l))).toEqual([]);
    const relayLog = await readFile(join(stateDir, 'relay.log'), 'utf8');
    const repoToken = sandbox.hiring(hiringId)?.hiring.repo_access_token;
    expect(repoToken).toBeTruthy();
    for (const secret of [agent.apiKey, repoToken ?? '']) {
      expect(relayLog).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
    // The run log the detail view showed is the relay's redacted copy.
    expect(relayLog).toContain(hiringId);
  });
});
