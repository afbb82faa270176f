import { createHash } from "node:crypto";
import { AiProxyError } from "@aiproxy/core";

/**
 * An admin entry's ETag: a digest of its stored (unredacted) form, so it
 * changes with any change to the entry, secrets included, without showing
 * them. Entries rather than the whole config: a change to another entry
 * does not make a client's copy of this one stale.
 */
export function entryTag(entry: unknown): string {
  const digest = createHash("sha256").update(JSON.stringify(entry)).digest("base64url");
  return `"${digest.slice(0, 22)}"`;
}

/** The whole config's ETag: the store version it came from. */
export function versionTag(version: string | null | undefined): string {
  return `"v-${version ?? "initial"}"`;
}

/**
 * Throws PreconditionFailedError unless `ifMatch` (the header, if sent)
 * matches the entry as it is now; `*` matches any existing entry.
 */
export function checkIfMatch(ifMatch: string | undefined, entry: unknown, what: string): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(",").map((tag) => tag.trim().replace(/^W\//, ""));
  if (entry !== undefined && (tags.includes("*") || tags.includes(entryTag(entry)))) return;
  throw new PreconditionFailedError({
    message:
      entry === undefined
        ? `If-Match: ${what} does not exist`
        : `If-Match: ${what} was changed since that ETag was read; GET it again and retry`,
  });
}

/** 412: an If-Match that no longer matches. */
export class PreconditionFailedError extends AiProxyError {
  declare readonly code: "precondition_failed";

  constructor(options: { message: string }) {
    super("precondition_failed", 412, "invalid_request_error", options);
    this.name = "PreconditionFailedError";
  }

  static override isInstance(error: unknown): error is PreconditionFailedError {
    return AiProxyError.isInstance(error) && error.code === "precondition_failed";
  }
}
