import type { Server } from "node:http";

/**
 * Starts `server` listening on `host` (port 0 for any free one) and resolves
 * to its base URL, an IPv6 host in brackets; a listen error rejects.
 */
export async function listenHttp(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : 0;
  return `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
}
