// Preloaded (`node --import`) into every server the bench starts, so the same
// numbers come from each: event-loop delay and process memory, asked for over
// the IPC channel of `child_process.fork`. Servers not forked ignore it.
import { monitorEventLoopDelay } from "node:perf_hooks";

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
      });
    }
  });
  // The probe must not keep a server alive on its own.
  process.channel?.unref();
}
