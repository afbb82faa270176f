// Preloaded into Portkey only. Portkey 1.15.2 on Node 20 answers every
// streaming request with 500 "TypeError: immutable": it builds its streamed
// response with the upstream fetch Response as init, @hono/node-server 1.19's
// light Response then reuses that response's immutable Headers, and Portkey
// appends its x-portkey-* headers to them. Handing Portkey fetch responses
// with mutable headers is the smallest change that lets it stream; it costs
// Portkey one Response allocation per request.
const upstreamFetch = globalThis.fetch;
const UndiciResponse = globalThis.Response;

globalThis.fetch = async (input, init) => {
  const response = await upstreamFetch(input, init);
  return new UndiciResponse(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
  });
};
