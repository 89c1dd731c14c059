# Sagaflow's services in one image: the orchestrator by default (CMD), a participant with
# `node participants/dist/src/main.js inventory|payment|notification`. docker-compose.yml builds it.

# ---- build: every package compiled, the timeline viewer built when there is one ----
FROM node:20-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx tsc -b \
 && if [ -f ui/package.json ]; then npm run build --workspace ui; fi \
 && mkdir -p ui/dist

# ---- runtime: production dependencies of the services only, no compiler, no sources, not root ----
FROM node:20-slim AS runtime
# The V8 flags of SERVICE_NODE_FLAGS (contracts/src/services.ts), for every service the image runs.
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=32
WORKDIR /app
RUN chown node:node /app
USER node
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node --from=build /src/contracts/package.json contracts/
COPY --chown=node:node --from=build /src/orchestrator/package.json orchestrator/
COPY --chown=node:node --from=build /src/participants/package.json participants/
RUN npm ci --omit=dev --no-audit --no-fund --workspace @sagaflow/orchestrator --workspace @sagaflow/participants \
 && npm cache clean --force
COPY --chown=node:node --from=build /src/contracts/dist contracts/dist
COPY --chown=node:node --from=build /src/orchestrator/dist orchestrator/dist
COPY --chown=node:node --from=build /src/participants/dist participants/dist
COPY --chown=node:node --from=build /src/ui/dist ui/dist
ENV PORT=8080 UI_DIR=/app/ui/dist
EXPOSE 8080 8081 8082 8083
CMD ["node", "orchestrator/dist/src/main.js"]
