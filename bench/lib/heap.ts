/**
 * The Worker isolate's heap under `wrangler dev`, read through its DevTools inspector
 * (`Runtime.getHeapUsage`): V8's used heap plus the backing stores of ArrayBuffers (file parts,
 * compressed chunks). workerd's own resident size would also count local D1 and R2, which run in
 * the same process; this is what the isolate's 128 MB limit applies to.
 */
export async function inspectHeap(inspectorPort: number) {
  // wrangler's inspector proxy refuses upgrades without an Origin (Node's WebSocket takes headers as an extension).
  const init = { headers: { Origin: "http://127.0.0.1" } } as unknown as string[];
  const socket = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`, init);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    socket.addEventListener("error", () => reject(new Error(`no inspector on port ${inspectorPort}`)));
  });
  type HeapUsage = { usedSize: number; backingStorageSize?: number };
  let nextId = 0;
  const waiting = new Map<number, (usage: HeapUsage) => void>();
  socket.addEventListener("message", (event: MessageEvent) => {
    // Events the inspector pushes carry no id.
    const message = JSON.parse(String(event.data)) as { id?: number; result?: HeapUsage };
    if (message.id === undefined) return;
    if (message.result) waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  /** MiB in use now, garbage not yet collected included. */
  const read = () =>
    new Promise<number>((resolve) => {
      const id = ++nextId;
      waiting.set(id, (usage) => resolve((usage.usedSize + (usage.backingStorageSize ?? 0)) / 1024 / 1024));
      socket.send(JSON.stringify({ id, method: "Runtime.getHeapUsage" }));
    });

  return {
    read,
    /** Reads every `intervalMs` until stopped; `stop` returns the peak. */
    sample(intervalMs = 50) {
      let peak = 0;
      let running = true;
      const loop = (async () => {
        while (running) {
          peak = Math.max(peak, await read());
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
      })();
      return {
        async stop(): Promise<number> {
          running = false;
          await loop;
          return Math.max(peak, await read());
        },
      };
    },
    close: () => socket.close(),
  };
}
