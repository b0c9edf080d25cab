/**
 * Waits until the local server at `url` answers `GET /health` with 200. Fails after `timeoutMs`, or as
 * soon as `alive()` says the server's process is gone (no point waiting for a server that exited).
 */
export async function waitForServer(url: string, options: { timeoutMs?: number; alive?: () => boolean } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (options.alive && !options.alive()) throw new Error(`the server at ${url} exited before it answered /health`);
    if (Date.now() > deadline) throw new Error(`${url} did not answer /health within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
