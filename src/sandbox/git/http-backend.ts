// Bridge from a Node request to `git http-backend` (CGI): the request body goes
// to its stdin untouched (gzip included: http-backend inflates it itself), its
// CGI header block becomes the response status and headers, the rest streams out.
import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log';

export interface CgiRequest {
  projectRoot: string;
  /** `/<owner>/<name>.git/info/refs` etc. */
  pathInfo: string;
  query: string;
  /** Who git records as the pusher; never the token. */
  remoteUser: string;
}

const HEADER_LIMIT = 64 * 1024;

export function runHttpBackend(
  req: IncomingMessage,
  res: ServerResponse,
  cgi: CgiRequest,
  track: (child: ChildProcess) => void,
  log?: Logger,
): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_PROJECT_ROOT: cgi.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: cgi.pathInfo,
    QUERY_STRING: cgi.query,
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: cgi.remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
  };
  const encoding = req.headers['content-encoding'];
  if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
  // Chunked requests have no length; http-backend then reads to EOF. A plain
  // receive-pack body with a length is copied by a loop (pipe_fixed_length, git
  // 2.39) that spins forever on an early EOF, i.e. a client that hung up: leave
  // the length out there, so receive-pack reads the body itself and stops at EOF.
  const length = req.headers['content-length'];
  const spinsOnEof = !encoding && cgi.pathInfo.endsWith('/git-receive-pack');
  if (length !== undefined && req.headers['transfer-encoding'] === undefined && !spinsOnEof) {
    env.CONTENT_LENGTH = length;
  }
  // Protocol v2 is negotiated through this header; pass it on only in its documented shape.
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string' && /^[A-Za-z0-9=:._,-]{1,256}$/.test(protocol)) env.GIT_PROTOCOL = protocol;

  // The client may have hung up while we checked the token: nothing to serve.
  if (req.destroyed || res.destroyed) return Promise.resolve();
  return new Promise((resolveDone) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);
    let headerBuf = Buffer.alloc(0);
    let headersSent = false;
    let stderr = '';

    const fail = (status: number, message: string) => {
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${message}\n`);
      } else {
        res.destroy();
      }
    };

    const sendHeaders = (block: string) => {
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of block.split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const key = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
    };

    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        if (!res.write(chunk)) {
          child.stdout.pause();
          res.once('drain', () => child.stdout.resume());
        }
        return;
      }
      headerBuf = Buffer.concat([headerBuf, chunk]);
      const crlf = headerBuf.indexOf('\r\n\r\n');
      const lf = headerBuf.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, len: 4 } : lf >= 0 ? { at: lf, len: 2 } : undefined;
      if (!end) {
        if (headerBuf.length > HEADER_LIMIT) {
          child.kill();
          fail(502, 'git http-backend sent an oversized header block');
        }
        return;
      }
      sendHeaders(headerBuf.subarray(0, end.at).toString('latin1'));
      const rest = headerBuf.subarray(end.at + end.len);
      if (rest.length > 0) res.write(rest);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString('utf8');
    });
    child.on('error', (err) => {
      log?.error('git http-backend could not start', { error: err.message });
      fail(500, 'git http-backend could not start');
      resolveDone();
    });
    child.on('close', (code) => {
      if (code !== 0 && stderr) log?.warn('git http-backend exited with an error', { code, stderr: stderr.trim() });
      if (!headersSent) fail(502, 'git http-backend gave no response');
      else res.end();
      resolveDone();
    });
    // A client that hangs up mid-transfer must not leave http-backend (or the
    // receive-pack it started) waiting on stdin: close the pipe and stop it.
    const abort = () => {
      // Closing both pipes also ends the upload-pack/receive-pack that http-backend started (EOF, SIGPIPE).
      child.stdin.destroy();
      child.stdout.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill();
    };
    req.on('close', () => {
      if (!req.complete) abort();
    });
    res.on('close', () => {
      if (!res.writableFinished) abort();
    });
    req.socket.once('close', abort);
    child.once('exit', () => req.socket.off('close', abort));
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);
  });
}
