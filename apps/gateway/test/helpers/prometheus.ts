import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A port free a moment ago on 127.0.0.1, for a program that cannot listen on 0 and tell us. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * Debian's `prometheus`, started for one test with its own config and
 * storage in a temporary directory, scraping `target` (host:port) every
 * second, on loopback only.
 */
export async function startPrometheus(target: string, metricsPath = "/metrics") {
  const dir = mkdtempSync(join(tmpdir(), "aiproxy-prom-"));
  const port = await freePort();
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: aiproxy",
      `    metrics_path: ${metricsPath}`,
      "    static_configs:",
      `      - targets: ["${target}"]`,
      "",
    ].join("\n"),
  );
  let stderr = "";
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const base = `http://127.0.0.1:${port}`;

  async function query(promql: string): Promise<PromSample[]> {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      data?: { result: PromSample[] };
      error?: string;
    };
    if (body.status !== "success") throw new Error(`query ${promql}: ${body.error}`);
    return body.data?.result ?? [];
  }

  return {
    query,
    /**
     * Polls the query API until `accept` holds for the result: the scrape
     * interval is Prometheus's, not ours, so there is no event to wait on.
     */
    async until(
      promql: string,
      accept: (result: PromSample[]) => boolean,
      timeoutMs = 90_000,
    ): Promise<PromSample[]> {
      const deadline = Date.now() + timeoutMs;
      let last: PromSample[] | string = "no answer yet";
      for (;;) {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
        try {
          const result = await query(promql);
          if (accept(result)) return result;
          last = result;
        } catch (error) {
          // Not listening yet.
          last = String(error);
        }
        if (Date.now() > deadline)
          throw new Error(`timed out on ${promql}; last: ${JSON.stringify(last)}\n${stderr}`);
        await sleep(250);
      }
    },
    async close() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `promtool check metrics` on exposition text: its exit status and what it said. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
