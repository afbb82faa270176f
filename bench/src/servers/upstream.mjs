// The scripted upstream every target talks to, in its own process so its CPU
// is not charged to the load generator or to the proxy under test. Behaviour is
// chosen by the request's `model`, so one upstream serves every scenario.
import { offeredTools, startScriptedUpstream, trailingToolResults } from "@aiproxy/testkit";

const ANSWER = "Hello! This is a short answer from the scripted upstream model.";
const LONG = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");

/** @param {string} suffix @param {import("@aiproxy/testkit").RecordedRequest} request */
function toolNamed(suffix, request) {
  const tool = offeredTools(request).find((t) => t.name.endsWith(suffix));
  if (!tool) throw new Error(`no offered tool ends with ${suffix}`);
  return tool.name;
}

/** @type {import("@aiproxy/testkit").Responder} */
function benchResponder(request) {
  const model = String(request.body?.model ?? "");
  const answered = trailingToolResults(request).length > 0;
  switch (model) {
    case "bench-tool-add":
      if (answered) return { text: "The sum is 5." };
      return { toolCalls: [{ name: toolNamed("add", request), arguments: { a: 2, b: 3 } }] };
    case "bench-tool-sum":
      if (answered) return { text: "The sum is 5." };
      return { toolCalls: [{ name: toolNamed("get-sum", request), arguments: { a: 2, b: 3 } }] };
    case "bench-fan-1":
    case "bench-fan-8": {
      if (answered) return { text: "All done." };
      const name = toolNamed("sleep", request);
      const count = model === "bench-fan-8" ? 8 : 1;
      const ms = Number(process.env.BENCH_TOOL_SLEEP_MS ?? 50);
      return {
        toolCalls: Array.from({ length: count }, (_, i) => ({
          name,
          arguments: { ms, tag: String(i) },
        })),
      };
    }
    case "bench-hold":
      // A stream that lasts minutes: scenario 4 holds many of them open.
      return { text: LONG, chunkDelayMs: 1000 };
    default:
      return { text: ANSWER };
  }
}

const upstream = await startScriptedUpstream({ fallback: benchResponder });
// The testkit records every request for assertions; a benchmark would grow it without bound.
setInterval(() => {
  upstream.requests.length = 0;
}, 500).unref();
process.stdout.write(`${JSON.stringify({ ready: true, url: upstream.url })}\n`);
const stop = () => upstream.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
