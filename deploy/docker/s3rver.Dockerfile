# The S3-protocol store of docker-compose.yml: s3rver (from the npm registry), the same server the
# blob-store tests run against. Production sites use AWS S3, MinIO or Ceph RGW instead.
#   With a registry:    docker build -t skillyard/s3rver:3.7.1 -f deploy/docker/s3rver.Dockerfile deploy/docker
#   Without (and CI):   deploy/build-images.sh s3, which builds this file on skillyard/node-base (Debian
#                       bookworm + Node 24 from the npm registry) with s3rver/node_modules already
#                       installed from s3rver/package-lock.json, so the RUN below has nothing to do.
ARG BASE_IMAGE=node:24-bookworm-slim
FROM ${BASE_IMAGE}
WORKDIR /opt/s3rver
COPY s3rver/ ./
RUN set -eu; \
  if [ ! -d node_modules ]; then npm ci --omit=dev --no-audit --no-fund && npm cache clean --force; fi; \
  node -e 'require("s3rver")'; \
  install -d -o 10001 -g 10001 -m 0750 /data
# /data is the volume; s3rver keeps one folder per bucket there, objects as files with metadata beside.
USER 10001:10001
EXPOSE 4568
# Any HTTP answer means it serves (an anonymous GET / is refused with 403 by design).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:4568,path:'/',timeout:4000},r=>process.exit(r.statusCode<500?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
# --no-vhost-buckets: compose clients reach it as http://s3:4568, a host name s3rver would otherwise
# take for a bucket name (virtual-host style); clients use path-style URLs (forcePathStyle).
ENTRYPOINT ["node", "/opt/s3rver/node_modules/s3rver/bin/s3rver.js", "--directory", "/data", "--address", "0.0.0.0", "--port", "4568", "--no-vhost-buckets"]
# The bucket docker-compose.yml gives the server (BLOB_STORE_URL=s3://skillyard), created at start when missing.
CMD ["--configure-bucket", "skillyard"]
