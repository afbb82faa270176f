# syntax=docker/dockerfile:1
# The aiproxy gateway. Build: docker build -t aiproxy .
# Run:   docker run -p 8000:8000 -e PROXY_API_KEY=change-me aiproxy
# On 0.0.0.0 the gateway refuses to serve /v1 without a key (or --allow-open),
# and the admin API needs ADMIN_API_KEY.

FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN npm install -g pnpm@12.21.0 --no-fund --no-audit
ENV CI=true TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm exec turbo run build --filter=@aiproxy/gateway... \
 && rm -rf node_modules packages/*/node_modules apps/*/node_modules .turbo \
           packages/*/src packages/*/test apps/*/src apps/*/test bench

# Production dependencies of the gateway only, installed fresh beside the built dist/ folders.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN npm install -g pnpm@12.21.0 --no-fund --no-audit
ENV CI=true
COPY --from=build /app/package.json /app/pnpm-workspace.yaml /app/pnpm-lock.yaml /app/.npmrc ./
COPY --from=build /app/packages ./packages
COPY --from=build /app/apps ./apps
RUN pnpm install --frozen-lockfile --prod --filter "@aiproxy/gateway..."

FROM node:24-bookworm-slim
# node and npx stay in the image, and uv/uvx join them: stdio MCP servers are
# usually started with `npx -y <pkg>` or, for Python ones, `uvx <pkg>`.
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /uvx /usr/local/bin/
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000 CONFIG_PATH=/app/config.yaml
WORKDIR /app
COPY --from=deps --chown=node:node /app /app
COPY --chown=node:node config.example.yaml /app/config.yaml
USER node
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A 16 MB young generation instead of the 64 MB that V8 picks on a host with
# much memory: a proxy's garbage is short-lived per-request state, so the
# larger nursery bought no CPU in the bench, while it held ~60 MB more RSS
# with 1,000 open streams (bench/ANALYSIS.md, scenario 4). The bench runs
# the gateway with the node flags of this line.
CMD ["node", "--max-semi-space-size=16", "apps/gateway/dist/cli.js"]
