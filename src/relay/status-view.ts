// A live, readable status of the relay in the terminal: links, hirings by phase,
// reviews waiting, the outbox, and how to attach an agent. On a TTY the block is
// redrawn in place; otherwise one plain summary line is printed now and then
// (and only when something changed) so logs stay readable.
import { taskTitle } from '../shared/hiring';
import type { Hiring } from '../shared/hiring';
import type { HiringView, LinkState, LocalPhase, RelayStatus, RunState, Submission } from './types';
import { LOCAL_PHASES, isRunActive } from '../shared/constants';

export interface StatusSnapshot {
  url: string;
  stateDir: string;
  status: RelayStatus;
  hirings: HiringView[];
  reviews: Submission[];
  /** The latest log lines, newest last (shown on a TTY, where logs go to relay.log). */
  recent: string[];
  /** A line about what the demo is doing, if it runs. */
  demo?: string;
  /** Keyboard help, when the terminal takes keys. */
  keys?: string;
}

const PHASE_LABEL: Record<LocalPhase, string> = {
  new: 'new',
  claimed: 'claimed',
  awaiting_review: 'in review',
  delivering: 'delivering',
  done: 'done',
  failed: 'failed',
};

interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

const wrap = (code: number) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const COLOR: Paint = { bold: wrap(1), dim: wrap(2), green: wrap(32), yellow: wrap(33), red: wrap(31), cyan: wrap(36) };
const PLAIN: Paint = {
  bold: (s) => s,
  dim: (s) => s,
  green: (s) => s,
  yellow: (s) => s,
  red: (s) => s,
  cyan: (s) => s,
};

function linkMark(state: LinkState, p: Paint): string {
  switch (state) {
    case 'connected':
      return p.green('● connected');
    case 'connecting':
    case 'reconnecting':
      return p.yellow(`◌ ${state}`);
    case 'offline':
      return p.red('○ offline');
    default:
      return p.dim('○ stopped');
  }
}

// Hiring's index signature hides `id`'s type; read it as the string it is.
function shortId(h: Hiring): string {
  return String(h.id).slice(0, 8);
}

function title(h: Hiring): string {
  return taskTitle({ id: String(h.id), task_description: h.task_description } as Parameters<typeof taskTitle>[0]);
}

function clip(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, Math.max(0, width - 1))}…` : s;
}

function phaseMark(phase: LocalPhase, p: Paint): string {
  const label = PHASE_LABEL[phase].padEnd(10);
  if (phase === 'done') return p.green(label);
  if (phase === 'failed') return p.red(label);
  if (phase === 'awaiting_review') return p.yellow(label);
  return p.cyan(label);
}

function runMark(state: RunState, p: Paint): string {
  if (isRunActive(state)) return p.cyan(`▶ ${state}`);
  if (state === 'succeeded') return p.green('✓ ran');
  if (state === 'failed') return p.red('✗ run failed');
  return p.dim('■ stopped');
}

/** The runners and their latest runs (nothing when none is configured). */
function renderRuns(st: RelayStatus, p: Paint): string[] {
  if (!st.runners?.length) return [];
  const active = st.runners.reduce((n, r) => n + r.active, 0);
  const names = st.runners
    .map((r) => `${r.name}${r.autoDispatch ? ' (auto)' : ''} ${r.active}/${r.maxConcurrent}`)
    .join(' · ');
  const lines = ['', `${p.bold('Runs')}  ${active} running · ${p.dim(names)}`];
  for (const r of (st.runs ?? []).slice(0, 4)) {
    lines.push(
      `  ${runMark(r.state, p)} ${r.runner} on ${r.hiring_id.slice(0, 8)} ${p.dim(`attempt ${r.attempt} · since ${r.startedAt.slice(11, 19)}`)}`,
    );
  }
  return lines;
}

/** The status block as lines (no trailing newline). */
export function renderStatus(
  s: StatusSnapshot,
  opts: { width?: number; color?: boolean; maxHirings?: number } = {},
): string[] {
  const width = Math.max(60, opts.width ?? 100);
  const p = opts.color ? COLOR : PLAIN;
  const st = s.status;
  const lines: string[] = [];
  lines.push(
    `${p.bold('Agrenting relay')} ${st.version}  ${p.dim(`review ${st.review} · up since ${st.startedAt.slice(11, 19)} UTC`)}`,
  );
  lines.push(`MCP   ${p.cyan(`${s.url}/mcp`)}  ${p.dim(`(legacy SSE: ${s.url}/mcp/sse)`)}`);
  lines.push(p.dim(`      attach an agent: header X-API-Key: <worker token from ${s.stateDir}/relay.json>`));
  lines.push('');
  lines.push(p.bold('Links'));
  if (st.links.length === 0) lines.push(p.dim('  (none)'));
  for (const l of st.links) {
    const extra = l.lastError ? p.dim(`  last error: ${clip(l.lastError, width - 50)}`) : '';
    lines.push(`  ${l.agent.padEnd(12)} ${linkMark(l.state, p)}  ${p.dim(`reconnects ${l.reconnects}`)}${extra}`);
  }
  lines.push('');
  const counts = LOCAL_PHASES.map((ph) => `${PHASE_LABEL[ph]} ${st.counts[ph] ?? 0}`).join(' · ');
  lines.push(`${p.bold('Hirings')}  ${counts}`);
  const active = s.hirings
    .slice()
    .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))
    .slice(0, opts.maxHirings ?? 8);
  for (const h of active) {
    const mode = h.hiring.delivery_mode === 'push' ? 'push  ' : 'output';
    const run = h.run ? ` ${runMark(h.run.state, p)} ${h.run.attempt}/${h.run.maxAttempts}` : '';
    const who = h.claimedBy ? p.dim(` ← ${h.claimedBy}`) + run : '';
    const head = `  ${phaseMark(h.phase, p)} ${mode} ${shortId(h.hiring)} `;
    lines.push(`${head}${clip(title(h.hiring), width - 40)}${who}`);
  }
  if (s.hirings.length > active.length) lines.push(p.dim(`  … and ${s.hirings.length - active.length} more`));
  lines.push(...renderRuns(st, p));
  lines.push('');
  lines.push(`${p.bold('Review')}  ${st.reviewsWaiting} waiting · ${p.bold('Outbox')} ${st.outboxPending} pending`);
  for (const r of s.reviews.slice(0, 4)) {
    lines.push(`  ${p.yellow('?')} ${r.id.slice(0, 8)} ${r.kind} for ${r.hiringId.slice(0, 8)} by ${r.submittedBy}`);
  }
  if (st.reviewsWaiting > 0) {
    lines.push(
      p.dim(
        `  approve or reject from the VS Code extension (Agrenting: Approve Submission)${s.keys ? ', or with the keys below' : ''}`,
      ),
    );
  }
  if (s.demo) {
    lines.push('');
    lines.push(`${p.bold('Demo')}  ${s.demo}`);
  }
  if (s.keys) {
    lines.push('');
    lines.push(p.dim(s.keys));
  }
  if (s.recent.length > 0) {
    lines.push('');
    lines.push(p.bold('Recent'));
    for (const r of s.recent.slice(-6)) lines.push(p.dim(`  ${clip(r, width - 2)}`));
  }
  return lines;
}

/** One line for logs and non-TTY output. */
export function summaryLine(s: StatusSnapshot): string {
  const st = s.status;
  const links = st.links.map((l) => `${l.agent}=${l.state}`).join(',') || 'none';
  const counts = LOCAL_PHASES.filter((ph) => (st.counts[ph] ?? 0) > 0)
    .map((ph) => `${ph}=${st.counts[ph]}`)
    .join(' ');
  const runs = st.runners?.length ? ` runs=${st.runners.reduce((n, r) => n + r.active, 0)}` : '';
  return `status links[${links}] hirings[${counts || 'none'}] reviews=${st.reviewsWaiting} outbox=${st.outboxPending}${runs} url=${s.url}`;
}

export interface StatusViewOptions {
  snapshot: () => StatusSnapshot;
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  /** Redraw period on a TTY. */
  intervalMs?: number;
  /** Period of the plain line when not a TTY. */
  plainIntervalMs?: number;
}

export interface StatusView {
  /** Redraw now (e.g. after an event). */
  refresh(): void;
  stop(): void;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * The screen as drawn on a terminal: each line cut to the width (a wrapped line
 * would push the rest down) and the block cut to the height. A line cut short
 * loses its colours rather than showing a broken escape sequence.
 */
export function fitToScreen(lines: string[], columns: number, rows: number): string[] {
  return lines.slice(0, Math.max(1, rows - 1)).map((line) => {
    const visible = line.replace(ANSI, '');
    return visible.length < columns ? line : `${visible.slice(0, Math.max(0, columns - 2))}…`;
  });
}

export function startStatusView(opts: StatusViewOptions): StatusView {
  const tty = opts.out.isTTY === true;
  let lastPlain = '';
  let stopped = false;
  // Like top: a screen of its own, given back on stop, redrawn from the top left.
  if (tty) opts.out.write('\x1b[?1049h\x1b[?25l');

  const draw = () => {
    if (stopped) return;
    const snap = opts.snapshot();
    if (tty) {
      const columns = opts.out.columns ?? 100;
      const lines = fitToScreen(renderStatus(snap, { width: columns, color: true }), columns, opts.out.rows ?? 40);
      opts.out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
    } else {
      const line = summaryLine(snap);
      if (line !== lastPlain) opts.out.write(`${new Date().toISOString()} ${line}\n`);
      lastPlain = line;
    }
  };
  draw();
  const timer = setInterval(draw, tty ? (opts.intervalMs ?? 1000) : (opts.plainIntervalMs ?? 5000));
  timer.unref();
  let pending: NodeJS.Timeout | undefined;
  return {
    refresh() {
      if (!tty || pending || stopped) return;
      pending = setTimeout(() => {
        pending = undefined;
        draw();
      }, 100);
      pending.unref();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (pending) clearTimeout(pending);
      if (tty) opts.out.write('\x1b[?25h\x1b[?1049l');
    },
  };
}
