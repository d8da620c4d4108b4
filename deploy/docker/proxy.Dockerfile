# The reverse proxy of docker-compose.yml: Debian bookworm's nginx with deploy/docker/nginx.conf,
# in front of the API replicas (load balancing, WebSocket upgrade for subscriptions).
#   With a registry:    docker build -t skillyard/proxy:local -f deploy/docker/proxy.Dockerfile deploy/docker
#   Without (and CI):   deploy/build-images.sh proxy, which builds this file on a debootstrap rootfs
#                       that already has nginx, so the apt-get below is skipped.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN set -eu; \
  if ! dpkg -s nginx >/dev/null 2>&1; then \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx; \
    rm -rf /var/lib/apt/lists/*; \
  fi; \
  rm -f /etc/nginx/sites-enabled/* /etc/nginx/conf.d/*
COPY nginx.conf /etc/nginx/nginx.conf
# Unprivileged (www-data is uid 33 on every Debian): it listens on 8080, and keeps its pid file and
# temporary files under /tmp (nginx.conf).
USER 33:33
EXPOSE 8080
# Graceful stop: open requests finish, open WebSockets are closed.
STOPSIGNAL SIGQUIT
# nginx's own answer, not the API's: a proxy with both replicas down is still a working proxy.
# bash's /dev/tcp because the image has no HTTP client.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /proxy-health HTTP/1.0\\r\\n\\r\\n' >&3 && read -r status <&3 && case $status in *' 200 '*) exit 0 ;; esac; exit 1"]
# -e stderr: nginx opens its compiled-in error log before it reads the configuration.
ENTRYPOINT ["nginx", "-e", "stderr", "-g", "daemon off;"]
