// The extension's activation time as VS Code itself measures it: the
// "Developer: Show Running Extensions" editor lists "Activation: N ms" for each
// extension. Written to test-results/e2e/vscode-<version>/activation.json for the
// benchmark table (bench/extension.ts reads the oldest supported version's).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { currentVsCode } from './vscode-version';
import { eventually, type Workbench } from './workbench';

export const EXTENSION_NAME = 'Agrenting Hirings';

export interface ActivationMeasure {
  activationMs: number;
  source: string;
}

export async function measureActivation(
  wb: Workbench,
  file = join(currentVsCode().resultsDir, 'activation.json'),
): Promise<ActivationMeasure> {
  await wb.runCommand('Developer: Show Running Extensions');
  const row = wb.page.locator('.monaco-list-row', { hasText: EXTENSION_NAME }).first();
  const time = row.locator('.activation-time');
  await time.waitFor({ state: 'visible', timeout: 30_000 });
  // The row says "Activating..." until the extension host reports the times.
  let text = '';
  const m = await eventually(
    `VS Code to show the activation time of ${EXTENSION_NAME}`,
    async () => {
      text = (await time.innerText()).trim();
      return /([\d.,]+)\s*ms/.exec(text) ?? undefined;
    },
    30_000,
  );
  const measure: ActivationMeasure = {
    activationMs: Number(m[1].replace(/,/g, '')),
    source: `code-server ${currentVsCode().codeServer} (VS Code ${currentVsCode().vscode}) "Developer: Show Running Extensions" (${text})`,
  };
  await wb.screenshot('running-extensions');
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, `${JSON.stringify(measure, null, 2)}\n`);
  await wb.runCommand('View: Close All Editors');
  return measure;
}
