// Preloaded (`node --import`) into every server the bench starts, so the same
// numbers come from each: event-loop delay and process memory, asked for over
// the IPC channel of `child_process.fork`. Servers not forked ignore it.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on("message", (/** @type {any} */ message) => {
    if (message?.type === "probe:reset") {
      delay.reset();
      process.send?.({ type: "probe:reset", id: message.id });
    } else if (message?.type === "probe:read") {
      const ms = (ns) => Math.round((ns / 1e6) * 100) / 100;
      process.send?.({
        type: "probe:read",
        id: message.id,
        eventLoopDelayMs: {
          p50: ms(delay.percentile(50)),
          p99: ms(delay.percentile(99)),
          max: ms(delay.max),
          mean: ms(delay.mean),
        },
        memory: process.memoryUsage(),
        heap: heapSizes(),
      });
    }
  });
  // The probe must not keep a server alive on its own.
  process.channel?.unref();
}

/**
 * The V8 heap's committed size in MB, split in the young generation (whose
 * size V8 picks from the machine's memory unless --max-semi-space-size caps
 * it) and the rest, where what outlives a request is kept.
 */
function heapSizes() {
  let youngMb = 0;
  let otherMb = 0;
  for (const space of getHeapSpaceStatistics()) {
    const mb = space.space_size / 2 ** 20;
    if (space.space_name === "new_space" || space.space_name === "new_large_object_space")
      youngMb += mb;
    else otherMb += mb;
  }
  return { youngMb, otherMb };
}
