import type { RecordedRequest, Turn } from "@aiproxy/testkit";
import { trailingToolResults } from "@aiproxy/testkit";

/** A model turn that answers with the text of the tool results it was sent. */
export function answerWithToolResults(request: RecordedRequest): Turn {
  const results = trailingToolResults(request);
  return { text: `Tool said: ${results.map((r) => r.text).join(" | ")}` };
}
