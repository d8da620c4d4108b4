// Container healthcheck for the server image, run with the image's own node (no curl in the image).
//   node deploy/docker/healthcheck.mjs          GET /healthz on this container's PORT (api, all)
//   node deploy/docker/healthcheck.mjs worker   that, and the Docker engine answers /_ping: a worker
//                                               without the engine cannot run a sandbox, and the
//                                               usual cause (the socket's group) shows up here
// Exit 0 healthy, 1 not; the reason goes to stderr, which `docker inspect` shows under State.Health.
import http from "node:http";

const TIMEOUT_MS = 4000;

function fail(message) {
  process.stderr.write(`unhealthy: ${message}\n`);
  process.exit(1);
}

/** Resolves with the status code of a GET, or rejects. */
function get(options) {
  return new Promise((resolve, reject) => {
    const req = http.get({ ...options, timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on("error", reject);
  });
}

/** Where dockerode would connect: DOCKER_HOST (unix:// or tcp://), else the default socket. */
function dockerTarget() {
  const host = process.env.DOCKER_HOST ?? "";
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  if (host.startsWith("tcp://") || host.startsWith("http://")) {
    const url = new URL(host.replace(/^tcp:/, "http:"));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  if (host !== "") return null; // https:// and ssh:// need credentials this check does not have
  return { socketPath: "/var/run/docker.sock" };
}

async function checkHttp() {
  const port = Number(process.env.PORT || 4000);
  const status = await get({ host: "127.0.0.1", port, path: "/healthz" }).catch((e) => fail(`GET /healthz on port ${port}: ${e.message}`));
  if (status !== 200) fail(`GET /healthz on port ${port} answered ${status}`);
}

async function checkDocker() {
  const target = dockerTarget();
  if (!target) return;
  const where = target.socketPath ?? `${target.host}:${target.port}`;
  const status = await get({ ...target, path: "/_ping" }).catch((e) => {
    const hint =
      e.code === "EACCES" ? ` (uid ${process.getuid()} may not open the socket: give the container its group, e.g. DOCKER_GID=$(stat -c %g ${where}))` : "";
    fail(`Docker engine at ${where}: ${e.message}${hint}`);
  });
  if (status !== 200) fail(`Docker engine at ${where} answered ${status} to /_ping`);
}

const mode = process.argv[2] ?? "api";
if (mode === "api") {
  await checkHttp();
} else if (mode === "worker") {
  await checkHttp();
  await checkDocker();
} else {
  fail(`unknown mode ${JSON.stringify(mode)} (api or worker)`);
}
