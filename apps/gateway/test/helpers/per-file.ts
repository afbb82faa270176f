import { type ScriptedUpstream, startScriptedUpstream } from "@aiproxy/testkit";
import { afterAll, afterEach } from "vitest";

/**
 * What a test started and must stop: each close pushed here runs after the
 * test, all at once, before the next one starts.
 */
export function closeAfterEach(): Array<() => Promise<void>> {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  return closers;
}

/** A scripted upstream shared by the file's tests, closed after the last one. */
export async function upstreamForFile(): Promise<ScriptedUpstream> {
  const upstream = await startScriptedUpstream();
  afterAll(async () => {
    await upstream.close();
  });
  return upstream;
}
