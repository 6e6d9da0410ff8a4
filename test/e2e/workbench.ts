// Drives the VS Code workbench in Debian Chromium like a person: palette, tree, webviews.
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../support/wait';
import { currentVsCode } from './vscode-version';

/** This run's results folder, test-results/e2e/vscode-<version> (a Workbench writes into its own subfolder, shotsDir). */
export const SCREENSHOT_DIR = currentVsCode().resultsDir;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export class Workbench {
  private shots = 0;
  /** shotsDir: where screenshot() writes, one folder per VS Code version and e2e file. */
  constructor(
    readonly page: Page,
    readonly shotsDir: string,
  ) {}

  static async open(browser: Browser, url: string, shotsDir: string): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    return new Workbench(page, shotsDir);
  }

  async screenshot(step: string): Promise<string> {
    await mkdir(this.shotsDir, { recursive: true });
    this.shots += 1;
    const file = join(
      this.shotsDir,
      `${String(this.shots).padStart(2, '0')}-${step.replace(/[^a-z0-9-]+/gi, '-')}.png`,
    );
    await this.page.screenshot({ path: file });
    return file;
  }

  /**
   * Runs a command by its palette title, e.g. "Agrenting: Refresh"; clicks the row with
   * exactly that title. Retried as a whole: F1 pressed while a webview has focus reaches
   * the workbench late, and a closing palette can swallow the typing.
   */
  async runCommand(title: string): Promise<void> {
    const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const row = this.page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exact }) })
      .first();
    await eventually(
      `the command palette to run "${title}"`,
      async () => {
        await this.openPalette();
        await this.quickInputBox().fill(`>${title}`, { timeout: 5000 });
        await row.waitFor({ state: 'visible', timeout: 10_000 });
        await row.click({ timeout: 5000 });
        return true;
      },
      60_000,
    );
  }

  private quickInputBox(): Locator {
    return this.page.locator('.quick-input-widget input');
  }

  /** Opens a fresh palette (F1), closing one that is still open. */
  private async openPalette(): Promise<void> {
    await this.dismissQuickInput();
    await this.page.keyboard.press('F1');
    await this.quickInputBox().waitFor({ state: 'visible', timeout: 5000 });
  }

  async dismissQuickInput(): Promise<void> {
    if (await this.page.locator('.quick-input-widget').isVisible()) await this.page.keyboard.press('Escape');
  }

  /** Picks an item in an open QuickPick by its visible text. */
  async pick(text: string): Promise<void> {
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    await row.click();
  }

  /** Types into an open InputBox and accepts it. */
  async answer(text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 20_000 });
    await input.fill(text);
    await input.press('Enter');
  }

  /**
   * Answers the modal dialog (code-server draws it as `.monaco-dialog-box`) with the
   * named button; returns the dialog's text (message and detail) as it was shown.
   */
  async answerDialog(button: string, screenshot?: string): Promise<string> {
    const box = this.page.locator('.monaco-dialog-box').first();
    await box.waitFor({ state: 'visible', timeout: 20_000 });
    const text = await box.innerText();
    if (screenshot) await this.screenshot(screenshot);
    await box
      .locator('.monaco-button', { hasText: new RegExp(`^${button}$`) })
      .first()
      .click({ timeout: 5000 });
    await box.waitFor({ state: 'hidden', timeout: 10_000 });
    return text;
  }

  /** Closes every editor, discarding unsaved drafts (answers "Don't Save"). */
  async closeAllEditors(): Promise<void> {
    await this.runCommand('View: Close All Editors');
    const dontSave = this.page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" });
    await eventually(
      'every editor to close',
      async () => {
        if (await dontSave.isVisible()) await dontSave.click({ timeout: 5000 });
        return (await this.page.locator('.part.editor .tab').count()) === 0;
      },
      30_000,
    );
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  /** Waits for the active editor to show the text, then puts the cursor at the end of the document. */
  async focusEditorEnd(containing: string): Promise<void> {
    const lines = this.page
      .locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: containing })
      .first();
    await lines.waitFor({ state: 'visible', timeout: 30_000 });
    await lines.click();
    await this.page.keyboard.press('Control+End');
  }

  /** Opens a file with Quick Open; `near` narrows the match (e.g. a folder name in its path). */
  async openFile(name: string, near: string): Promise<void> {
    const row = this.page
      .locator('.quick-input-list .monaco-list-row', { hasText: name })
      .filter({ hasText: near })
      .first();
    await eventually(
      `Quick Open to open ${name} in ${near}`,
      async () => {
        await this.openPalette();
        // Both words: Quick Open matches them against the name and the folder, so another root's file is not offered.
        await this.quickInputBox().fill(`${name} ${near}`, { timeout: 5000 });
        await row.waitFor({ state: 'visible', timeout: 15_000 });
        await row.click({ timeout: 5000 });
        return true;
      },
      60_000,
    );
    await this.page
      .locator('.editor-group-container.active .tab.active', { hasText: name })
      .waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** Clicks a tree row once and waits for the webview it opens to show the text. */
  async openFromTree(row: string, webviewText: string): Promise<Frame> {
    await this.treeItem(row).click({ timeout: 10_000 });
    return this.webviewFrame(webviewText, 20_000);
  }

  /** Waits until the Explorer lists a root folder of this name. */
  async explorerRoot(name: string): Promise<void> {
    await this.page
      .locator('.part.sidebar .explorer-folders-view .monaco-list-row', { hasText: name })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
  }

  /** A row of a tree in the side bar (not the palette's list). */
  treeItem(text: string | RegExp): Locator {
    return this.page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
  }

  /**
   * Waits until a tree row shows expanded with the child row under it, without
   * clicking: a hiring with a submission waiting must open by itself.
   */
  async shownExpanded(text: string | RegExp, child: string | RegExp): Promise<void> {
    const row = this.treeItem(text);
    await eventually(
      `tree row ${String(text)} to show ${String(child)} expanded`,
      async () => {
        return (
          (await row.getAttribute('aria-expanded', { timeout: 5000 })) === 'true' &&
          (await this.treeItem(child).isVisible())
        );
      },
      30_000,
    );
  }

  /**
   * Waits until the hiring's row sits in the named group of the Hirings view
   * (its accessible label is "<title>, <group>, ..."), expanding the group if needed.
   */
  async hiringInGroup(title: string, group: string, timeoutMs = 30_000): Promise<void> {
    const groupRow = this.page.locator(`.part.sidebar .monaco-list-row[aria-label^="${group}, "]`).first();
    const row = this.page.locator(`.part.sidebar .monaco-list-row[aria-label^="${title}, ${group}, "]`).first();
    await eventually(
      `"${title}" in the ${group} group of the sidebar`,
      async () => {
        if (await row.isVisible()) return true;
        if (
          (await groupRow.count()) > 0 &&
          (await groupRow.getAttribute('aria-expanded', { timeout: 5000 })) === 'false'
        ) {
          await groupRow.locator('.monaco-tl-twistie').click({ timeout: 5000 });
        }
        return false;
      },
      timeoutMs,
    );
  }

  /** Widens the side bar by dragging its edge, so long hiring titles fit. */
  async widenSidebar(by: number): Promise<void> {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    if (!box) return;
    const x = box.x + box.width;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + by, y, { steps: 5 });
    await this.page.mouse.up();
    // Off the sash, or it stays highlighted in the screenshot.
    await this.page.mouse.move(x + by + 300, y + 200);
    await eventually(
      'the sash to stop showing',
      async () => (await this.page.locator('.monaco-sash.hover, .monaco-sash.active').count()) === 0,
      10_000,
    );
  }

  /** Opens a view container from the activity bar by its title (e.g. "Agrenting"); leaves it open if it is. */
  async showViewContainer(title: string): Promise<void> {
    const item = this.page.locator(`.part.activitybar .action-item:has(.action-label[aria-label^="${title}"])`).first();
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    const active = (await item.getAttribute('class'))?.includes('checked') ?? false;
    const sidebarVisible = await this.page.locator('.part.sidebar').isVisible();
    // Click the item itself: its badge (the count of new hirings) covers the icon's centre.
    if (!(active && sidebarVisible)) await item.click();
    await this.page
      .locator(`.part.sidebar .composite.title`, { hasText: new RegExp(title, 'i') })
      .waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** The accessible label of the first element whose aria-label starts with the prefix (status bar items carry theirs). */
  async ariaLabel(prefix: string): Promise<string | undefined> {
    const el = this.page.locator(`.part.statusbar [aria-label^="${prefix}"]`).first();
    if ((await el.count()) === 0) return undefined;
    return (await el.getAttribute('aria-label')) ?? undefined;
  }

  /** Clicks a button of a notification toast. */
  async clickNotificationButton(label: string): Promise<void> {
    const button = this.page.locator('.notifications-toasts .monaco-button', { hasText: label }).first();
    await button.waitFor({ state: 'visible', timeout: 30_000 });
    await button.click();
  }

  /** Right-clicks a side bar tree row and picks an item of its context menu. */
  async contextMenu(row: string | RegExp, item: string): Promise<void> {
    await this.treeItem(row).click({ button: 'right', timeout: 10_000 });
    const entry = this.page.locator('.context-view .action-item', { hasText: item }).first();
    await entry.waitFor({ state: 'visible', timeout: 10_000 });
    // The workbench's menu acts on the key or mouse-up of a focused entry: focus it, then Enter.
    await entry.hover();
    await this.page.keyboard.press('Enter');
    await entry.waitFor({ state: 'hidden', timeout: 10_000 });
  }

  notification(text: string | RegExp): Locator {
    return this.page.locator('.notification-toast', { hasText: text }).first();
  }

  statusBarItem(text: string | RegExp): Locator {
    return this.page.locator('.statusbar-item', { hasText: text }).first();
  }

  /** The innermost frame of a webview panel whose document contains the given text. */
  async webviewFrame(containing: string, timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const f of this.page.frames()) {
        try {
          if ((await f.locator('body', { hasText: containing }).count()) > 0 && f !== this.page.mainFrame()) return f;
        } catch {
          // frame went away
        }
      }
      await this.page.waitForTimeout(250);
    }
    throw new Error(`no webview containing "${containing}" within ${timeoutMs} ms`);
  }
}

/** Polls the workbench (test/support/wait.ts) with a UI's patience: 30 s, every 200 ms. */
export function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  return waitFor(what, probe, timeoutMs, 200);
}
