import { GatewayError } from "../api.js";

/** An error in words, announced to screen readers; never a blank page. */
export function Problem({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const message =
    error instanceof Error ? error.message : typeof error === "string" ? error : String(error);
  const code = GatewayError.isInstance(error) ? error.code : undefined;
  return (
    <p class="problem" role="alert">
      {message}
      {code && <span class="code"> ({code})</span>}
    </p>
  );
}
