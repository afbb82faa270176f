import { writeFileSync } from "node:fs";

/**
 * Writes the gateway config of the pass-through scenarios to `file`: one
 * OpenAI-compatible backend (the scripted upstream at `upstreamUrl`) and the
 * `pass` assistant, which has no tools.
 * @param {string} file @param {string} upstreamUrl
 */
export function writePassConfig(file, upstreamUrl) {
  writeFileSync(
    file,
    JSON.stringify({
      backends: [
        { name: "upstream", kind: "openai", base_url: `${upstreamUrl}/v1`, api_key: "sk-bench" },
      ],
      assistants: [{ name: "pass", backend: "upstream", model: "bench-pass" }],
    }),
  );
}
