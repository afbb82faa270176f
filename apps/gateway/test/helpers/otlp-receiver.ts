import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** A span as the OTLP/HTTP JSON encoding carries it, with attributes flattened. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events: string[];
  status: { code?: number };
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

function otlpValue(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(otlpValue);
  return undefined;
}

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1 that accepts the JSON encoding
 * (what `@opentelemetry/exporter-trace-otlp-http` sends) at `/v1/traces`.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer(async (req, res) => {
    if (req.method !== "POST" || req.url !== "/v1/traces") {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(await read(req));
    for (const resource of body.resourceSpans ?? [])
      for (const scope of resource.scopeSpans ?? [])
        for (const span of scope.spans ?? [])
          spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            kind: span.kind,
            attributes: Object.fromEntries(
              (span.attributes ?? []).map((a: { key: string; value: OtlpValue }) => [
                a.key,
                otlpValue(a.value),
              ]),
            ),
            events: (span.events ?? []).map((e: { name: string }) => e.name),
            status: span.status ?? {},
          });
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
    for (const waiter of [...waiters])
      if (spans.length >= waiter.n) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    /** Resolves once at least `n` spans arrived. */
    waitForSpans(n: number): Promise<void> {
      if (spans.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
