# Sagaflow's services, built once: `--target orchestrator` or `--target participant` (then the command
# names the participant: inventory, payment or notification). docker-compose.yml builds both.

# ---- build: every package compiled, the timeline viewer built when there is one ----
FROM node:20-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx tsc -b \
 && if [ -f ui/package.json ]; then npm run build --workspace ui; fi \
 && mkdir -p ui/dist

# ---- runtime base: production dependencies of one workspace, no compiler, no sources ----
FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN chown node:node /app
USER node

FROM runtime AS orchestrator
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node --from=build /src/contracts/package.json contracts/
COPY --chown=node:node --from=build /src/orchestrator/package.json orchestrator/
RUN npm ci --omit=dev --no-audit --no-fund --workspace @sagaflow/orchestrator && npm cache clean --force
COPY --chown=node:node --from=build /src/contracts/dist contracts/dist
COPY --chown=node:node --from=build /src/orchestrator/dist orchestrator/dist
COPY --chown=node:node --from=build /src/ui/dist ui/dist
ENV PORT=8080 UI_DIR=/app/ui/dist
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "orchestrator/dist/src/main.js"]

FROM runtime AS participant
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node --from=build /src/contracts/package.json contracts/
COPY --chown=node:node --from=build /src/participants/package.json participants/
RUN npm ci --omit=dev --no-audit --no-fund --workspace @sagaflow/participants && npm cache clean --force
COPY --chown=node:node --from=build /src/contracts/dist contracts/dist
COPY --chown=node:node --from=build /src/participants/dist participants/dist
EXPOSE 8081 8082 8083
ENTRYPOINT ["node", "participants/dist/src/main.js"]
CMD ["inventory"]
