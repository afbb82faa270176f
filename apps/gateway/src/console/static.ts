import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { AdminPolicy } from "@aiproxy/auth";
import { PermissionDeniedError } from "@aiproxy/core";
import { Hono } from "hono";

/**
 * Only the console's own files run: no inline script or style, no other
 * origin, no framing. Fetches go to this gateway only.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

export interface ConsoleStaticOptions {
  policy: AdminPolicy;
  /** The built console (apps/console/dist); default found beside the gateway. */
  dir?: string;
}

/**
 * Where apps/console/dist is from the gateway's built bundle (dist/cli.js)
 * or from its source (src/console/static.ts, under vitest).
 */
export function findConsoleDir(): string | undefined {
  const fromEnv = process.env.AIPROXY_CONSOLE_DIR;
  const candidates = [
    ...(fromEnv ? [fromEnv] : []),
    fileURLToPath(new URL("../../console/dist/", import.meta.url)),
    fileURLToPath(new URL("../../../console/dist/", import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(join(dir, "index.html")));
}

function page(status: number, title: string, text: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1><p>${text}</p></main></body></html>`;
  return new Response(html, { status, headers: { "content-type": TYPES[".html"] as string } });
}

/** The console at `/ui`: static files under the admin policy, with a strict CSP. */
export function consoleStatic(options: ConsoleStaticOptions): Hono {
  const app = new Hono();
  // Looked up until found, so a console built after the gateway started is served.
  let found: string | undefined;
  const locate = () => {
    found ??= options.dir
      ? existsSync(join(options.dir, "index.html"))
        ? options.dir
        : undefined
      : findConsoleDir();
    return found;
  };

  app.use("*", async (c, next) => {
    // A key the page does not have yet is asked for by the page itself, so only
    // a gateway that refuses admin outright (no key, not on loopback) refuses the files.
    const refusal = options.policy.check(c.req.raw);
    if (refusal && PermissionDeniedError.isInstance(refusal)) {
      c.res = page(403, "Console unavailable", escapeHtml(refusal.message));
    } else await next();
    c.header("content-security-policy", CONSOLE_CSP);
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    c.header("x-frame-options", "DENY");
    c.header("cross-origin-opener-policy", "same-origin");
  });

  app.get("/", (c) => {
    // Relative asset URLs need the trailing slash.
    if (!new URL(c.req.url).pathname.endsWith("/")) return c.redirect("/ui/", 301);
    return serve("index.html");
  });
  app.get("/*", (c) => serve(new URL(c.req.url).pathname.replace(/^\/ui\//, "")));

  async function serve(relative: string): Promise<Response> {
    const dir = locate();
    if (!dir)
      return page(
        503,
        "Console not built",
        "The gateway found no built console. Run <code>pnpm --filter @aiproxy/console build</code> (or set AIPROXY_CONSOLE_DIR) and reload.",
      );
    const root = resolve(dir);
    let decoded: string;
    try {
      decoded = decodeURIComponent(relative || "index.html");
    } catch {
      return page(400, "Bad path", "The path is not valid.");
    }
    const file = resolve(root, decoded);
    if (!file.startsWith(root + sep)) return page(404, "Not found", "No such file.");
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return page(404, "Not found", "No such file in the console.");
    }
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    // Vite names assets by content hash; index.html must be fetched fresh.
    const cache = file.includes(`${sep}assets${sep}`)
      ? "public, max-age=31536000, immutable"
      : "no-cache";
    return new Response(new Uint8Array(body), {
      headers: { "content-type": type, "cache-control": cache },
    });
  }

  return app;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
