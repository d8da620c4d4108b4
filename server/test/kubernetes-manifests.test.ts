import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { IContainer } from "kubernetes-models/v1/Container" with { "resolution-mode": "import" };
import type { IPodSpec } from "kubernetes-models/v1/PodSpec" with { "resolution-mode": "import" };
import { CONFIG_VARIABLES, loadConfig } from "../src/config";
import { repoRoot } from "../src/common/repo-root";
import { typeCheck } from "./support/type-check";

/**
 * deploy/kubernetes: the kustomize base and the example overlay render with `kubectl kustomize`
 * (offline), every rendered object is valid for the `kubernetes-models` class of its apiVersion
 * and kind (the JSON schema of the Kubernetes OpenAPI spec, and the TypeScript interface of the
 * same model, which also refuses unknown fields), and the properties that matter for Skillyard
 * hold: the API never reaches Docker, the worker uses a separate engine, migrations run as a Job,
 * nothing runs as root, and every setting is one the server knows and accepts.
 *
 * kubectl comes from Debian's kubernetes-client package in CI (`.ci/run` installs it); its built-in
 * kustomize is v2.0.3, so the files stick to what that version knows. SKILLYARD_KUBECTL names
 * another kubectl binary to render with (e.g. to try an old one next to a new one).
 */

const KUBECTL = process.env.SKILLYARD_KUBECTL ?? "kubectl";
const DEPLOY = path.join(repoRoot(), "deploy", "kubernetes");
const BASE = path.join(DEPLOY, "base");
const OVERLAY = path.join(DEPLOY, "overlays", "example");

/** What every rendered object has; the rest is read through kubernetes-models' interfaces once validated. */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface ModelInstance {
  validate(): void;
}
type ModelClass = new (data: object) => ModelInstance;

function kustomize(dir: string): K8sObject[] {
  const result = spawnSync(KUBECTL, ["kustomize", dir], { encoding: "utf8", timeout: 60_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(
      `${KUBECTL} is not installed: these tests render deploy/kubernetes with \`kubectl kustomize\`. ` +
        "On Debian, .ci/run installs it (apt_install kubernetes-client); by hand: apt-get install kubernetes-client.",
    );
  }
  if (result.error) throw result.error;
  assert.equal(result.status, 0, `${KUBECTL} kustomize ${path.relative(repoRoot(), dir)} failed:\n${result.stderr}`);
  const documents = parseAllDocuments(result.stdout);
  if (!Array.isArray(documents)) throw new Error("kubectl kustomize printed no YAML documents");
  const objects: K8sObject[] = [];
  for (const document of documents) {
    assert.deepEqual(document.errors, [], "kubectl kustomize printed YAML that does not parse");
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    assert.ok(isK8sObject(value), `not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    objects.push(value);
  }
  return objects;
}

function isK8sObject(value: unknown): value is K8sObject {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<K8sObject>;
  return typeof v.apiVersion === "string" && typeof v.kind === "string" && typeof v.metadata?.name === "string";
}

/** The package's model file for an apiVersion and kind, e.g. apps/v1 Deployment → kubernetes-models/apps/v1/Deployment.js. */
function modelFile(apiVersion: string, kind: string): string {
  const root = path.dirname(require.resolve("kubernetes-models/package.json"));
  return path.join(root, ...apiVersion.split("/"), `${kind}.js`);
}

/**
 * The kubernetes-models class for an object. The package is ESM-only: this file runs as CommonJS
 * (swc turns `import()` into `require()`, which loads ES modules on Node >= 20.19), and as
 * compiled output `import()` of an absolute path loads it too.
 */
async function modelClass(apiVersion: string, kind: string): Promise<ModelClass> {
  const file = modelFile(apiVersion, kind);
  assert.ok(existsSync(file), `kubernetes-models has no model for ${apiVersion} ${kind} (looked for ${file})`);
  const module = (await import(file)) as Record<string, unknown>;
  const model = module[kind];
  assert.equal(typeof model, "function", `${file} exports no class ${kind}`);
  return model as ModelClass;
}

/**
 * A Secret's `data` as the API server reads it. kustomize v4+ wraps long base64 values over several
 * lines; the API server's decoder (Go's encoding/base64) skips line breaks, the schema's "byte"
 * format does not, so they are removed before validation. Nothing else is changed.
 */
function asApiServerReadsIt(object: K8sObject): K8sObject {
  if (object.kind !== "Secret" || typeof object.data !== "object" || object.data === null) return object;
  const data = Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/[\r\n]/g, "")]));
  return { ...object, data };
}

/** Runs the model's JSON-schema validation; returns its error message, or null when the object is valid. */
async function schemaErrors(object: K8sObject): Promise<string | null> {
  const Model = await modelClass(object.apiVersion, object.kind);
  try {
    new Model(asApiServerReadsIt(object)).validate();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Type-checks each object as a literal of the model's TypeScript interface (IDeployment, IService,
 * …): besides types, this refuses fields the interface does not have (a misspelt `replicass`),
 * which the JSON schemas let through.
 */
function typeErrors(objects: readonly K8sObject[]): string[] {
  const sources: Record<string, string> = {};
  objects.forEach((object, i) => {
    const specifier = `kubernetes-models/${object.apiVersion}/${object.kind}`;
    sources[`k8s-${i}-${object.kind}-${object.metadata.name}.mts`] =
      `import type { I${object.kind} } from ${JSON.stringify(specifier)};\nexport const object: I${object.kind} = ${JSON.stringify(object, null, 1)};\n`;
  });
  return typeCheck(sources);
}

function only(objects: readonly K8sObject[], kind: string, predicate: (o: K8sObject) => boolean = () => true): K8sObject {
  const found = objects.filter((o) => o.kind === kind && predicate(o));
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.map((o) => o.metadata.name).join(", ") || "none"}`);
  return found[0];
}

const component = (name: string) => (o: K8sObject) => o.metadata.labels?.["app.kubernetes.io/component"] === name;

/** The pod spec of a Deployment or Job. */
function podSpec(object: K8sObject): IPodSpec {
  const spec = object.spec as { template?: { spec?: IPodSpec } } | undefined;
  assert.ok(spec?.template?.spec, `${object.kind} ${object.metadata.name} has no pod template`);
  return spec.template.spec;
}

const containersOf = (pod: IPodSpec): IContainer[] => [...(pod.initContainers ?? []), ...pod.containers];

/** ConfigMap data, or a Secret's data decoded from base64. */
function dataOf(object: K8sObject): Record<string, string> {
  if (object.kind === "ConfigMap") return { ...(object.data as Record<string, string> | undefined) };
  const data = (object.data as Record<string, string> | undefined) ?? {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/** The environment a container starts with: its envFrom ConfigMaps and Secrets, then its env. */
function environmentOf(container: IContainer, objects: readonly K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ? { kind: "ConfigMap", name: from.configMapRef.name } : { kind: "Secret", name: from.secretRef?.name };
    const source = only(objects, ref.kind, (o) => o.metadata.name === ref.name);
    Object.assign(env, dataOf(source));
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
  }
  return env;
}

/** Variables config.ts does not parse but a library reads itself: docker-modem's TLS settings (dockerode's connection). */
const LIBRARY_VARIABLES = new Set(["DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"]);

describe("Kubernetes manifests (deploy/kubernetes)", () => {
  let base: K8sObject[];
  let overlay: K8sObject[];

  before(() => {
    base = kustomize(BASE);
    overlay = kustomize(OVERLAY);
  });

  test("base and overlay render, and every object is valid for its kubernetes-models schema", async () => {
    for (const [name, objects] of [
      ["base", base],
      ["overlay", overlay],
    ] as const) {
      const kinds = objects.map((o) => `${o.apiVersion} ${o.kind}`).sort();
      for (const expected of [
        "apps/v1 Deployment",
        "v1 Service",
        "networking.k8s.io/v1 Ingress",
        "autoscaling/v2 HorizontalPodAutoscaler",
        "batch/v1 Job",
        "v1 ConfigMap",
      ]) {
        assert.ok(kinds.includes(expected), `${name} renders no ${expected} (it renders ${kinds.join(", ")})`);
      }
      for (const object of objects) {
        assert.equal(await schemaErrors(object), null, `${name}: ${object.kind} ${object.metadata.name} is invalid`);
      }
    }
    assert.ok(
      overlay.filter((o) => o.kind === "Secret").length >= 1,
      "the overlay provides the Secret the pods read (placeholder values from its secretGenerator)",
    );
  });

  test("every object type-checks against its kubernetes-models interface: no unknown or misspelt fields", () => {
    assert.deepEqual(typeErrors(overlay), []);
    assert.deepEqual(typeErrors(base), []);
  });

  test("negative controls: a broken object is refused by the same checks", async () => {
    const api = only(overlay, "Deployment", component("api"));
    const wrongType = structuredClone(api);
    (wrongType.spec as { replicas: unknown }).replicas = "two";
    const schema = await schemaErrors(wrongType);
    assert.ok(schema !== null && /replicas must be integer/.test(schema), `replicas: "two" must be refused, got ${schema}`);

    const noContainers = structuredClone(api);
    delete (noContainers.spec as { template: { spec: { containers?: unknown } } }).template.spec.containers;
    assert.match((await schemaErrors(noContainers)) ?? "valid", /required property containers/);

    const misspelt = structuredClone(api);
    (misspelt.spec as Record<string, unknown>).replicass = 2;
    const errors = typeErrors([misspelt]);
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /replicass\W* does not exist in type 'IDeploymentSpec'/);

    assert.match((await modelClass("apps/v1", "Deploiement").catch((e: Error) => e)).toString(), /no model for apps\/v1 Deploiement/);
  });

  test("the API Deployment: --role api, 2+ replicas, probes on /readyz and /healthz, port 4000, and no Docker at all", () => {
    const api = only(overlay, "Deployment", component("api"));
    assert.ok(((api.spec as { replicas?: number }).replicas ?? 1) >= 2, "at least two API replicas");
    const pod = podSpec(api);
    const [container] = pod.containers;
    assert.equal(pod.containers.length, 1);
    assert.deepEqual(container.args, ["--role", "api"]);
    assert.ok(container.ports?.some((p) => p.containerPort === 4000 && p.name === "http"));
    const probePort = (port: number | string | undefined) => (port === "http" ? 4000 : port);
    assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");
    assert.equal(probePort(container.readinessProbe?.httpGet?.port), 4000);
    assert.equal(container.livenessProbe?.httpGet?.path, "/healthz");
    assert.equal(probePort(container.livenessProbe?.httpGet?.port), 4000);
    assert.ok(container.resources?.requests?.cpu && container.resources.limits?.memory, "requests (cpu, for the HPA) and a memory limit");

    // No host path of any kind (a Docker socket is one), no socket mount, no Docker address.
    assert.deepEqual(
      (pod.volumes ?? []).filter((v) => v.hostPath),
      [],
    );
    for (const c of containersOf(pod)) {
      assert.ok(!(c.volumeMounts ?? []).some((m) => /docker|\.sock$/.test(m.mountPath)), `${c.name} mounts a Docker socket`);
      assert.ok(!(c.env ?? []).some((e) => e.name.startsWith("DOCKER_")), `${c.name} is given a Docker engine`);
      assert.ok(!("DOCKER_HOST" in environmentOf(c, overlay)), `${c.name} gets DOCKER_HOST from its ConfigMap or Secret`);
    }
  });

  test("the worker Deployment: --role worker with DOCKER_HOST on a separate engine, never a host socket", () => {
    const worker = only(overlay, "Deployment", component("worker"));
    const pod = podSpec(worker);
    const container = pod.containers.find((c) => c.args?.join(" ") === "--role worker");
    assert.ok(container, "a container runs --role worker");
    const dockerHost = container.env?.find((e) => e.name === "DOCKER_HOST")?.value;
    assert.ok(dockerHost, "the worker sets DOCKER_HOST");
    assert.match(dockerHost, /^(tcp|https|ssh):\/\//, "a separate engine over the network, not a unix socket of the node");
    assert.deepEqual(
      (pod.volumes ?? []).filter((v) => v.hostPath),
      [],
      "no host path (no node Docker socket)",
    );
    // TLS client certificate for that engine, from a Secret mounted where DOCKER_CERT_PATH points.
    const certPath = container.env?.find((e) => e.name === "DOCKER_CERT_PATH")?.value;
    const mount = container.volumeMounts?.find((m) => m.mountPath === certPath);
    assert.ok(mount, "DOCKER_CERT_PATH is a mounted volume");
    const secretName = pod.volumes?.find((v) => v.name === mount.name)?.secret?.secretName;
    assert.ok(secretName && overlay.some((o) => o.kind === "Secret" && o.metadata.name === secretName), "the TLS volume is a Secret the overlay provides");
  });

  test("the migration Job runs --role migrate once, with the image and settings of the API", () => {
    const job = only(overlay, "Job");
    assert.equal(job.apiVersion, "batch/v1");
    const pod = podSpec(job);
    assert.ok(pod.restartPolicy === "Never" || pod.restartPolicy === "OnFailure");
    assert.equal(pod.containers.length, 1);
    assert.deepEqual(pod.containers[0].args, ["--role", "migrate"]);
    const api = podSpec(only(overlay, "Deployment", component("api"))).containers[0];
    assert.equal(pod.containers[0].image, api.image);
    assert.deepEqual(pod.containers[0].envFrom, api.envFrom);
  });

  test("every container of every pod runs as non-root, without privilege escalation", () => {
    for (const objects of [base, overlay]) {
      for (const object of objects.filter((o) => o.kind === "Deployment" || o.kind === "Job")) {
        const pod = podSpec(object);
        for (const c of containersOf(pod)) {
          const where = `${object.kind} ${object.metadata.name} container ${c.name}`;
          const runAsNonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
          const runAsUser = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
          assert.equal(runAsNonRoot, true, `${where}: runAsNonRoot`);
          assert.ok(runAsUser !== undefined && runAsUser !== 0, `${where}: a non-zero runAsUser`);
          assert.notEqual(c.securityContext?.privileged, true, `${where}: privileged`);
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
          assert.ok(c.securityContext?.capabilities?.drop?.includes("ALL"), `${where}: drops all capabilities`);
        }
      }
    }
  });

  test("the HPA scales the API Deployment on CPU; the Ingress routes to the API Service, which selects the API pods", () => {
    const api = only(overlay, "Deployment", component("api"));
    const hpa = only(overlay, "HorizontalPodAutoscaler") as K8sObject & {
      spec: { scaleTargetRef: { apiVersion?: string; kind: string; name: string }; minReplicas?: number; metrics?: { resource?: { name: string } }[] };
    };
    assert.equal(hpa.apiVersion, "autoscaling/v2");
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: api.metadata.name });
    assert.ok((hpa.spec.minReplicas ?? 1) >= 2);
    assert.ok(hpa.spec.metrics?.some((m) => m.resource?.name === "cpu"));

    const service = only(overlay, "Service") as K8sObject & {
      spec: { selector: Record<string, string>; ports: { name?: string; port: number; targetPort?: number | string }[] };
    };
    const podLabels = (api.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(podLabels[key], value, `the Service selects ${key}=${value}`);
    const worker = only(overlay, "Deployment", component("worker"));
    const workerLabels = (worker.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    assert.ok(
      Object.entries(service.spec.selector).some(([k, v]) => workerLabels[k] !== v),
      "the Service does not select worker pods",
    );
    const apiPorts = podSpec(api).containers[0].ports ?? [];
    for (const port of service.spec.ports) {
      assert.ok(
        apiPorts.some((p) => p.name === port.targetPort || p.containerPort === port.targetPort),
        `Service port ${port.port} targets ${port.targetPort}, which the API container does not expose`,
      );
    }

    const ingress = only(overlay, "Ingress") as K8sObject & {
      spec: { rules: { host?: string; http: { paths: { backend: { service?: { name: string; port: { name?: string; number?: number } } } }[] } }[] };
    };
    const backends = ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service));
    assert.ok(backends.length > 0);
    for (const backend of backends) {
      assert.equal(backend?.name, service.metadata.name);
      assert.ok(
        service.spec.ports.some((p) => (backend.port.name !== undefined ? p.name === backend.port.name : p.port === backend.port.number)),
        `the Ingress uses Service port ${JSON.stringify(backend.port)}, which the Service does not have`,
      );
    }
    // PUBLIC_URL is what clients are told; it must be the Ingress's host.
    const publicUrl = dataOf(only(overlay, "ConfigMap")).PUBLIC_URL;
    assert.ok(publicUrl, "PUBLIC_URL is set");
    assert.ok(
      ingress.spec.rules.some((r) => r.host === new URL(publicUrl).hostname),
      `PUBLIC_URL ${publicUrl} is not a host of the Ingress`,
    );
  });

  test("settings: the ConfigMap names only variables server/src/config.ts knows, and each process's environment passes loadConfig", () => {
    const known = new Set(CONFIG_VARIABLES);
    const configMap = only(overlay, "ConfigMap");
    const unknown = Object.keys(dataOf(configMap)).filter((k) => !known.has(k));
    assert.deepEqual(unknown, [], `ConfigMap ${configMap.metadata.name} sets variables server/src/config.ts does not know`);
    for (const required of ["BLOB_STORE_URL", "AWS_REGION", "PUBLIC_URL", "HOST", "LOG_LEVEL"]) {
      assert.ok(required in dataOf(configMap), `the ConfigMap sets ${required}`);
    }
    assert.equal(dataOf(configMap).HOST, "0.0.0.0", "the server listens beyond loopback in a pod");
    assert.match(dataOf(configMap).BLOB_STORE_URL, /^s3:\/\//);

    for (const object of overlay.filter((o) => o.kind === "Deployment" || o.kind === "Job")) {
      for (const container of podSpec(object).containers) {
        const env = environmentOf(container, overlay);
        const names = Object.keys(env).filter((k) => !known.has(k) && !LIBRARY_VARIABLES.has(k));
        assert.deepEqual(names, [], `${object.metadata.name}/${container.name} gets variables neither the server nor its libraries read`);
        assert.ok(env.DATABASE_URL, `${object.metadata.name}/${container.name} gets DATABASE_URL (an external PostgreSQL)`);
        // The same parser as start-up: a value the server would refuse fails here.
        assert.doesNotThrow(() => loadConfig(env), `${object.metadata.name}/${container.name}: the server would refuse its settings`);
      }
    }
  });

  test("the overlay retags the image, and references only ConfigMaps and Secrets it renders", () => {
    const images = new Set<string>();
    for (const object of base.filter((o) => o.kind === "Deployment" || o.kind === "Job")) {
      for (const c of containersOf(podSpec(object))) images.add(c.image ?? "");
    }
    assert.deepEqual([...images], ["skillyard/server:0.1.0"], "the base names skillyard/server:0.1.0");

    const names = (kind: string) => new Set(overlay.filter((o) => o.kind === kind).map((o) => o.metadata.name));
    for (const object of overlay.filter((o) => o.kind === "Deployment" || o.kind === "Job")) {
      const pod = podSpec(object);
      for (const c of containersOf(pod)) {
        assert.ok(c.image && !c.image.startsWith("skillyard/server:"), `${object.metadata.name}/${c.name}: the overlay's images: retags ${c.image}`);
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) assert.ok(names("ConfigMap").has(from.configMapRef.name ?? ""), `missing ConfigMap ${from.configMapRef.name}`);
          if (from.secretRef) assert.ok(names("Secret").has(from.secretRef.name ?? ""), `missing Secret ${from.secretRef.name}`);
        }
      }
      for (const volume of pod.volumes ?? []) {
        if (volume.secret) assert.ok(names("Secret").has(volume.secret.secretName ?? ""), `missing Secret ${volume.secret.secretName}`);
        if (volume.configMap) assert.ok(names("ConfigMap").has(volume.configMap.name ?? ""), `missing ConfigMap ${volume.configMap.name}`);
      }
    }
    for (const object of overlay) assert.equal(object.metadata.namespace, "skillyard", `${object.kind} ${object.metadata.name} is in the overlay's namespace`);
  });
});
