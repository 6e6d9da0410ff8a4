// The `npm start` demo's coding agent: a small CLI the demo runner starts for each hiring, like
// `claude -p`. It reads the prompt on stdin, prints what it does (the client sees it as progress),
// and leaves its work where the prompt says: OUTPUT.md and out/ (output mode) or edited files (push
// mode). Given review feedback, it revises. Shipped inside the relay: `agrenting-relay demo-agent`.
import { mkdirSync, writeFileSync } from 'node:fs';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

function section(prompt: string, title: string): string {
  const m = new RegExp(`## ${title}[^\\n]*\\n([\\s\\S]*?)(?:\\n## |$)`).exec(prompt);
  return m ? m[1].trim() : '';
}

async function work(): Promise<void> {
  const STEP_MS = Number(process.env.AGRENTING_DEMO_STEP_MS ?? 1200);
  const prompt = await readStdin();
  const task = section(prompt, 'Task').split('\n')[0] ?? 'the task';
  const feedback = section(prompt, 'Review feedback')
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2));
  const push = /- Delivery: push/.test(prompt);
  console.log(`demo agent: reading the task: ${task.slice(0, 100)}`);
  await wait(STEP_MS);
  if (feedback.length > 0) console.log(`demo agent: applying review feedback: ${feedback.at(-1)}`);
  console.log('demo agent: drafting a solution…');
  await wait(STEP_MS);
  const revision = feedback.length > 0 ? `\n\nRevised after review: ${feedback.at(-1)}\n` : '';
  const code = [
    `// Demo solution for: ${task.slice(0, 70)}`,
    'export function solution(input: string): string {',
    "  if (input === '') return '';",
    '  return input.trim();',
    '}',
    '',
  ].join('\n');
  if (push) {
    writeFileSync('AGRENTING_DEMO.md', `# Demo change\n\n${task}\n${revision}`);
    console.log('demo agent: edited AGRENTING_DEMO.md in the repository');
  } else {
    writeFileSync('OUTPUT.md', `# Demo answer\n\n${task}\n\nSee out/solution.ts.${revision}`);
    mkdirSync('out', { recursive: true });
    writeFileSync('out/solution.ts', code);
    if (feedback.length > 0) {
      writeFileSync(
        'out/solution.test.ts',
        "import { solution } from './solution';\n// empty input\nconsole.assert(solution('') === '');\n",
      );
    }
    console.log('demo agent: wrote OUTPUT.md and out/');
  }
  console.log('demo agent: done');
}

/** Runs the demo agent in this process (stdin: the prompt; cwd: the run's folder). */
export async function runDemoAgent(): Promise<number> {
  try {
    await work();
    return 0;
  } catch (e) {
    console.error(`demo agent failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
