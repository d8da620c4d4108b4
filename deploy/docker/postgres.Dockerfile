# PostgreSQL 15 from Debian bookworm for docker-compose.yml (sites that run their own PostgreSQL
# point DATABASE_URL at it instead and drop this service).
#   With a registry:    docker build -t skillyard/postgres:15 -f deploy/docker/postgres.Dockerfile deploy/docker
#   Without (and CI):   deploy/build-images.sh postgres, which builds this file on a debootstrap rootfs
#                       that already has postgresql-15, so the apt-get below is skipped.
# Environment: POSTGRES_PASSWORD (required on first start), POSTGRES_USER (default postgres),
# POSTGRES_DB (default: the user name); see postgres-entrypoint.sh.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN set -eu; \
  if ! dpkg -s postgresql-15 >/dev/null 2>&1; then \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15; \
    rm -rf /var/lib/apt/lists/*; \
  fi; \
  # The package's own cluster (15/main) is unused: the entrypoint makes one in the volume.
  rm -rf /etc/postgresql/15/main /var/lib/postgresql/15; \
  # A fixed uid/gid (the package picks the next free system id), so a volume initialised by one
  # build of this image still belongs to the postgres user of the next.
  if [ "$(id -u postgres)" != 999 ]; then \
    old_uid=$(id -u postgres); old_gid=$(id -g postgres); \
    groupmod -g 999 postgres; usermod -u 999 -g 999 postgres; \
    find / -xdev \( -uid "$old_uid" -o -gid "$old_gid" \) -exec chown -h 999:999 {} +; \
  fi; \
  install -d -o 999 -g 999 -m 0700 /var/lib/postgresql/data; \
  install -d -o 999 -g 999 -m 2775 /run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/skillyard-postgres
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  PGDATA=/var/lib/postgresql/data/pgdata
USER 999:999
EXPOSE 5432
# Fast shutdown: SIGTERM would be PostgreSQL's "smart" mode, which waits for every client to leave.
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=5 \
  CMD pg_isready -q -h 127.0.0.1 -p 5432 -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
ENTRYPOINT ["skillyard-postgres"]
