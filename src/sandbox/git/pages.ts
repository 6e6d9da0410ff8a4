// The hirer's browser view of the sandbox's repositories: the pages that
// `html_url` links to (a repository with its pull requests, one pull request
// with its diff), so a pull request URL in a delivered result opens something.
// Read-only and without a token: the sandbox has a single hirer, who owns
// every repository it hosts.
import type { ServerResponse } from 'node:http';
import { escapeHtml } from '../../shared/html';
import type { RepoStore } from './repos';
import { git } from './repos';
import type { PullRequest } from './rest';

const MAX_DIFF_BYTES = 512 * 1024;

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}pre{background:#f6f8fa;padding:1rem;overflow:auto}
.add{color:#1a7f37}.del{color:#cf222e}.meta{color:#57606a}</style></head><body>${body}</body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(html);
}

function colourDiff(diff: string): string {
  return diff
    .split('\n')
    .map((l) =>
      l.startsWith('+') && !l.startsWith('+++')
        ? `<span class="add">${escapeHtml(l)}</span>`
        : l.startsWith('-') && !l.startsWith('---')
          ? `<span class="del">${escapeHtml(l)}</span>`
          : escapeHtml(l),
    )
    .join('\n');
}

export async function repositoryPage(
  res: ServerResponse,
  repos: RepoStore,
  owner: string,
  name: string,
  pulls: PullRequest[],
): Promise<void> {
  const dir = repos.pathOf(owner, name);
  const branches = (
    await git(['for-each-ref', '--format=%(refname:short) %(objectname:short)', 'refs/heads'], { cwd: dir })
  )
    .trim()
    .split('\n')
    .filter(Boolean);
  const prList = pulls.map(
    (p) =>
      `<li><a href="${escapeHtml(p.html_url)}">#${p.number} ${escapeHtml(p.title)}</a> <span class="meta">${p.state} · ${escapeHtml(p.head.ref)} → ${escapeHtml(p.base.ref)}</span></li>`,
  );
  page(
    res,
    200,
    `${owner}/${name}`,
    `<h1>${escapeHtml(owner)}/${escapeHtml(name)}</h1><h2>Branches</h2><ul>${branches.map((b) => `<li><code>${escapeHtml(b)}</code></li>`).join('')}</ul>` +
      `<h2>Pull requests</h2>${prList.length ? `<ul>${prList.join('')}</ul>` : '<p class="meta">None yet.</p>'}`,
  );
}

export async function pullRequestPage(
  res: ServerResponse,
  repos: RepoStore,
  owner: string,
  name: string,
  pr: PullRequest,
): Promise<void> {
  const dir = repos.pathOf(owner, name);
  const range = `${pr.base.sha}...${pr.head.sha}`;
  const log = await git(['log', '--format=%h %s (%an)', range], { cwd: dir });
  let diff = await git(['diff', '--stat', '--patch', range], { cwd: dir });
  if (diff.length > MAX_DIFF_BYTES) diff = `${diff.slice(0, MAX_DIFF_BYTES)}\n… (diff truncated)`;
  page(
    res,
    200,
    `${pr.title} · #${pr.number}`,
    `<p><a href="${escapeHtml(pr.html_url.replace(/\/pull\/\d+$/, ''))}">${escapeHtml(owner)}/${escapeHtml(name)}</a></p>` +
      `<h1>${escapeHtml(pr.title)} <span class="meta">#${pr.number}</span></h1>` +
      `<p class="meta">${pr.state} · wants to merge <code>${escapeHtml(pr.head.ref)}</code> into <code>${escapeHtml(pr.base.ref)}</code> · opened ${escapeHtml(pr.created_at)}</p>` +
      (pr.body ? `<pre>${escapeHtml(pr.body)}</pre>` : '') +
      `<h2>Commits</h2><pre>${escapeHtml(log)}</pre><h2>Changes</h2><pre>${colourDiff(diff)}</pre>`,
  );
}

export function notFoundPage(res: ServerResponse): void {
  page(res, 404, 'Not found', '<h1>Not found</h1>');
}
