// The one way tests wait: poll a probe until it yields a value or the deadline passes, so no
// test sleeps as synchronisation. The error names what was awaited and the probe's last error.

/**
 * Polls `probe` every `everyMs` until it returns something other than undefined, null, false,
 * 0 or '' (a probe may throw while the thing is not there yet); resolves with that value.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : last !== undefined ? `: ${String(last)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
