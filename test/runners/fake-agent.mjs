#!/usr/bin/env node
// A fake coding-agent CLI for the runner tests. Usage: fake-agent.mjs MODE [--prompt TEXT | --prompt-file PATH]
// (otherwise the prompt is read from stdin). Modes:
//   answer  OUTPUT.md with an answer (mentioning review feedback when the prompt has some) and out/notes.txt
//   edit    edits the repository in the current folder (push mode) and plants git hooks
//   edit-slow  the same after 4 s of progress lines (for a person to watch the run in VS Code)
//   exit2   prints to stderr and exits with code 2
//   hang    writes hang.pid and never ends (ignores SIGTERM with MODE hang-hard)
//   flood   prints 50 MB to stdout, then answers
//   env     prints its environment, then answers
//   ask     asks the client a question and reports progress through the relay's MCP, then answers
//   silent  exits 0 leaving nothing
//   orphan  starts a detached-looking grandchild that would live on (its pid in grandchild.pid), then answers
//   slow    records its pid in pids.txt, works 0.2–1 s (silently), then answers
//   once    the first time in a folder: writes hang.pid and hangs; the next time: answers
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const [mode = 'answer', flag, value] = process.argv.slice(2);

async function readPrompt() {
  if (flag === '--prompt') return value;
  if (flag === '--prompt-file') return readFileSync(value, 'utf8');
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

function answer(prompt, extra = '') {
  const feedback = /## Review feedback[^\n]*\n[^\n]*\n((?:- .*\n?)+)/.exec(prompt);
  const lines = ['# Answer', '', 'function slugify(s) { return s.toLowerCase().split(/\\s+/).join("-"); }'];
  if (feedback) lines.push('', `Revised after feedback: ${feedback[1].trim()}`);
  if (extra) lines.push('', extra);
  writeFileSync('OUTPUT.md', `${lines.join('\n')}\n`);
  mkdirSync('out', { recursive: true });
  writeFileSync('out/notes.txt', 'notes from the fake agent\n');
}

async function mcp(method, params, session) {
  const res = await fetch(process.env.AGRENTING_RELAY_URL, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-api-key': process.env.AGRENTING_RELAY_TOKEN,
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: Math.floor(Math.random() * 1e9), method, params }),
  });
  const text = await res.text();
  const data = text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '{}');
  return { session: res.headers.get('mcp-session-id') ?? session, body: JSON.parse(data) };
}

const prompt = await readPrompt();
if (mode !== 'silent') console.log(`fake agent (${mode}) read a prompt of ${prompt.length} characters`);
switch (mode) {
  case 'answer':
    console.log('working… token ghp_abcdefghijklmnopqrstuvwxyz0123 should never show');
    answer(prompt);
    break;
  case 'edit-slow':
  case 'edit': {
    if (mode === 'edit-slow') {
      for (let i = 1; i <= 8; i++) {
        console.log(`reading the repository… step ${i} of 8`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    writeFileSync('EDITED_BY_AGENT.md', `edited for: ${/hiring (\S+)/.exec(prompt)?.[1]}\n`);
    // Hooks the relay's own commit and push must never run.
    for (const hook of ['pre-commit', 'commit-msg', 'post-commit', 'pre-push']) {
      writeFileSync(`.git/hooks/${hook}`, `#!/bin/sh\ntouch "${process.cwd()}/../HOOK_RAN_${hook}"\n`, { mode: 0o755 });
    }
    const feedback = /## Review feedback/.test(prompt);
    if (feedback) writeFileSync('REVISION.md', 'second attempt\n');
    console.log('edited the repository');
    break;
  }
  case 'exit2':
    console.error('boom: the fake agent failed');
    process.exit(2);
    break;
  case 'hang':
  case 'hang-hard':
    if (mode === 'hang-hard') process.on('SIGTERM', () => console.log('ignoring TERM'));
    writeFileSync('hang.pid', String(process.pid));
    console.log('hanging');
    setInterval(() => undefined, 1000);
    break;
  case 'flood': {
    const line = `${'x'.repeat(1023)}\n`;
    const block = line.repeat(1024);
    for (let i = 0; i < 50; i++) {
      if (!process.stdout.write(block)) await new Promise((r) => process.stdout.once('drain', r));
    }
    process.stdout.write('a very long line without end '.repeat(10000));
    process.stdout.write('\n');
    answer(prompt, 'after the flood');
    break;
  }
  case 'env':
    for (const [k, v] of Object.entries(process.env)) console.log(`${k}=${v}`);
    answer(prompt, `env names: ${Object.keys(process.env).sort().join(',')}`);
    break;
  case 'ask': {
    const id = process.env.AGRENTING_HIRING_ID;
    let s = await mcp('initialize', {
      protocolVersion: '2025-03-26',
      capabilities: {},
      clientInfo: { name: 'fake-agent', version: '1' },
    });
    const session = s.session;
    await fetch(process.env.AGRENTING_RELAY_URL, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'x-api-key': process.env.AGRENTING_RELAY_TOKEN,
        'mcp-session-id': session,
      },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    s = await mcp(
      'tools/call',
      { name: 'add_hiring_message', arguments: { hiring_id: id, content: 'Which Node version?', kind: 'question' } },
      session,
    );
    console.log(`question sent: ${s.body.result?.isError ? 'error' : 'ok'}`);
    s = await mcp(
      'tools/call',
      { name: 'task_emit_chunk', arguments: { hiring_id: id, content: 'half way', kind: 'status' } },
      session,
    );
    console.log(`chunk sent: ${s.body.result?.isError ? 'error' : 'ok'}`);
    s = await mcp('tools/call', { name: 'approve_submission', arguments: { submission_id: 'x' } }, session);
    console.log(`approve refused: ${s.body.result?.isError ? 'yes' : 'no'}`);
    s = await mcp(
      'tools/call',
      { name: 'add_hiring_message', arguments: { hiring_id: 'someone-else', content: 'hi' } },
      session,
    );
    console.log(`other hiring refused: ${s.body.result?.isError ? 'yes' : 'no'}`);
    answer(prompt, 'asked a question');
    break;
  }
  case 'silent':
    break;
  case 'orphan': {
    const { spawn } = await import('node:child_process');
    const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    g.unref();
    writeFileSync('grandchild.pid', String(g.pid));
    answer(prompt);
    break;
  }
  case 'slow':
    appendFileSync('pids.txt', `${process.pid}\n`);
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
    answer(prompt, 'slow but done');
    break;
  case 'once':
    if (existsSync('hang.pid')) {
      answer(prompt, 'finished after a restart');
    } else {
      writeFileSync('hang.pid', String(process.pid));
      setInterval(() => undefined, 1000);
    }
    break;
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(64);
}
