import "reflect-metadata";
import assert from "node:assert/strict";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { AuditAction } from "../src/audit/audit-event.entity";
import { TokenExpiryWarnings } from "../src/identity/token-expiry";
import { GlobalRole } from "../src/identity/user.entity";
import { freePort } from "../src/db/free-port";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { type GraphQLResponse, startTestServer, type TestServer } from "./support/test-server";
import { Receiver } from "./support/receiver";
import { waitFor } from "./support/wait";

const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url events active createdAt } } }`;
const DELETE = `mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id active } } }`;
const LIST = `query { webhooks(first: 20) { totalCount edges { node { id url events active deliveries(first: 3) { edges { node {
  id event status attemptCount deliveredAt createdAt payload
  attempts(first: 5) { totalCount edges { node { attempt at statusCode error durationMs } } }
} } } } } } }`;

interface AttemptView {
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}
interface DeliveryView {
  id: string;
  event: string;
  status: "PENDING" | "SUCCEEDED" | "FAILED";
  attemptCount: number;
  deliveredAt: string | null;
  createdAt: string;
  payload: Record<string, unknown>;
  attempts: { totalCount: number; edges: { node: AttemptView }[] };
}
interface WebhookView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  deliveries: { edges: { node: DeliveryView }[] };
}
interface CreateResult {
  createWebhook: { secret: string; webhook: { id: string; url: string; events: string[]; active: boolean; createdAt: string } };
}

interface WebhookPage {
  webhooks: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

const MAX_ATTEMPTS = 3;
const TIMEOUT_MS = 1000;

describe("webhooks", () => {
  let server: TestServer;
  let receiver: Receiver;
  let admin: string;
  let publisher: string;
  let skillCounter = 0;

  const list = async (): Promise<WebhookView[]> => {
    const res = await server.gql<{ webhooks: { edges: { node: WebhookView }[] } }>(LIST, {}, admin);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.webhooks.edges.map((e) => e.node);
  };
  const deliveriesOf = async (webhookId: string): Promise<DeliveryView[]> =>
    (await list()).find((w) => w.id === webhookId)!.deliveries.edges.map((e) => e.node);
  /** Waits until the webhook's only delivery has settled (SUCCEEDED or FAILED). */
  const settledDelivery = (webhookId: string) =>
    waitFor(
      async () => {
        const deliveries = await deliveriesOf(webhookId);
        return deliveries.length === 1 && deliveries[0].status !== "PENDING" ? deliveries[0] : null;
      },
      `the delivery of webhook ${webhookId} to settle`,
      60_000,
      200,
    );
  const create = async (url: string, events: string[] = ["VERSION_PUBLISHED"]) => {
    const res = await server.gql<CreateResult>(CREATE, { input: { url, events } }, admin);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.createWebhook;
  };
  const remove = async (id: string) => {
    const res = await server.gql<{ deleteWebhook: { webhook: { id: string; active: boolean } } }>(DELETE, { id }, admin);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.deleteWebhook.webhook;
  };
  /** An instruction-only skill (no requirements) publishes at once, which records VERSION_PUBLISHED. */
  const publishSkill = async () => {
    const name = `hook-skill-${++skillCounter}`;
    const published = await publishOk(server, publisher, { "skill.yaml": skillYaml({ name, version: "1.0.0" }), "README.md": `# ${name}\n` });
    assert.equal(published.version.status, "PUBLISHED");
    return published;
  };

  before(async () => {
    receiver = new Receiver();
    await receiver.start();
    server = await startTestServer(
      // The receivers here are on 127.0.0.1, which only tests and labs may deliver to.
      {
        WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        WEBHOOK_RETRY_DELAY_SECONDS: "1",
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
      },
      { worker: true },
    );
    admin = (await server.seed.user("hook-admin", [GlobalRole.ADMIN])).token;
    publisher = (await server.seed.team("hooks").member("hook-publisher")).token;
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  test("a published version is POSTed once, signed with the webhook's secret, and shows as SUCCEEDED with one attempt", async () => {
    const { secret, webhook } = await create(
      receiver.on("/ok", (_n, res) => void res.writeHead(204).end()),
      ["VERSION_PUBLISHED", "VERSION_PUBLISHED", "REVIEW_DECIDED"],
    );
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(webhook.events, ["REVIEW_DECIDED", "VERSION_PUBLISHED"], "events are de-duplicated");
    assert.equal(webhook.active, true);
    try {
      const published = await publishSkill();
      const delivery = await settledDelivery(webhook.id);
      assert.equal(delivery.status, "SUCCEEDED");
      assert.equal(delivery.event, "VERSION_PUBLISHED");
      assert.equal(delivery.attemptCount, 1);
      assert.ok(delivery.deliveredAt);
      assert.equal(delivery.attempts.totalCount, 1);
      const [attempt] = delivery.attempts.edges.map((e) => e.node);
      assert.equal(attempt.attempt, 1);
      assert.equal(attempt.statusCode, 204);
      assert.equal(attempt.error, null);
      assert.ok(attempt.durationMs >= 0);

      const requests = receiver.requestsTo("/ok");
      assert.equal(requests.length, 1);
      const [req] = requests;
      assert.equal(req.headers["content-type"], "application/json");
      assert.equal(req.headers["x-skillyard-event"], "VERSION_PUBLISHED");
      assert.equal(req.headers["x-skillyard-delivery"], delivery.id);
      const timestamp = String(req.headers["x-skillyard-timestamp"]);
      assert.match(timestamp, /^\d+$/);
      assert.ok(Math.abs(Date.now() / 1000 - Number(timestamp)) < 120, "the timestamp is the current unix time in seconds");
      // What a receiver does: recompute the HMAC over "<timestamp>.<raw body>" and compare in constant time.
      const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(`${timestamp}.${req.body}`).digest("hex")}`);
      const got = Buffer.from(String(req.headers["x-skillyard-signature"]));
      assert.ok(got.length === expected.length && timingSafeEqual(got, expected), `signature ${got.toString()} should be ${expected.toString()}`);
      const wrongKey = `sha256=${createHmac("sha256", "not-the-secret").update(`${timestamp}.${req.body}`).digest("hex")}`;
      assert.notEqual(String(req.headers["x-skillyard-signature"]), wrongKey);

      const body = JSON.parse(req.body) as Record<string, unknown>;
      assert.deepEqual(body, delivery.payload, "the stored payload is exactly what was sent");
      assert.equal(body.id, delivery.id);
      assert.equal(body.event, "VERSION_PUBLISHED");
      assert.equal(body.action, "VERSION_PUBLISHED");
      assert.deepEqual(body.target, { type: "SkillVersion", id: published.version.id });
      assert.equal(body.skillId, published.version.skill.id);
      assert.equal(typeof body.auditEventId, "string");
      assert.ok(!Number.isNaN(Date.parse(String(body.occurredAt))));
      assert.ok("actorId" in body && "before" in body && "after" in body);
    } finally {
      await remove(webhook.id);
    }
  });

  test("TOKEN_EXPIRING fires once per token a week before it expires, however many workers look at once", async () => {
    const { webhook } = await create(
      receiver.on("/expiring", (_n, res) => void res.writeHead(204).end()),
      ["TOKEN_EXPIRING"],
    );
    try {
      const createToken = async (name: string, expiresInDays: number) => {
        const res = await server.gql<{ createApiToken: { apiToken: { id: string; prefix: string } } }>(
          `mutation($n: String!, $d: Int!) { createApiToken(input: { name: $n, expiresInDays: $d }) { apiToken { id prefix } } }`,
          { n: name, d: expiresInDays },
          publisher,
        );
        assert.equal(res.errors, undefined, JSON.stringify(res.errors));
        return res.data!.createApiToken.apiToken;
      };
      const soon = await createToken("expires soon", 6);
      await createToken("expires later", 8);
      const revoked = await createToken("revoked soon", 2);
      await server.gql(`mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: revoked.id }, publisher);
      // Three "workers" (transactions on their own connections) run the job at the same moment.
      const workers = [1, 2, 3].map(() => new TokenExpiryWarnings(server.runtime.dataSource, server.runtime.services.audit));
      const announced = await Promise.all(workers.map((w) => w.announce()));
      assert.equal(
        announced.reduce((a, b) => a + b, 0),
        1,
        `announced ${announced.join(", ")}`,
      );
      assert.equal(await workers[0].announce(), 0, "and never again");

      const delivery = await settledDelivery(webhook.id);
      assert.equal(delivery.status, "SUCCEEDED");
      const requests = receiver.requestsTo("/expiring");
      assert.equal(requests.length, 1);
      const body = JSON.parse(requests[0].body) as { event: string; target: { type: string; id: string }; after: Record<string, unknown>; actorId: unknown };
      assert.equal(requests[0].headers["x-skillyard-event"], "TOKEN_EXPIRING");
      assert.equal(body.event, "TOKEN_EXPIRING");
      assert.deepEqual(body.target, { type: "ApiToken", id: soon.id });
      assert.equal(body.actorId, null);
      assert.deepEqual(Object.keys(body.after).sort(), ["expiresAt", "name", "prefix", "user"]);
      assert.deepEqual([body.after.name, body.after.prefix, body.after.user], ["expires soon", soon.prefix, "hook-publisher"]);
      const days = (Date.parse(String(body.after.expiresAt)) - Date.now()) / 86_400_000;
      assert.ok(days > 5.9 && days <= 6, `${days}`);

      // A token that comes within the week later is announced then: the 8-day one, a day and a bit on.
      assert.equal(await workers[0].announce(new Date(Date.now() + 86_400_000 + 60_000)), 1);
      await waitFor(async () => receiver.requestsTo("/expiring").length === 2, "the second announcement's delivery", 30_000);
    } finally {
      await remove(webhook.id);
    }
  });

  test("a receiver answering 500 twice, then 200, gets the delivery on the third attempt after backing off", async () => {
    const { webhook } = await create(receiver.on("/flaky", (n, res) => void res.writeHead(n <= 2 ? 500 : 200).end("ok")));
    try {
      await publishSkill();
      const delivery = await settledDelivery(webhook.id);
      assert.equal(delivery.status, "SUCCEEDED");
      assert.equal(delivery.attemptCount, 3);
      assert.ok(delivery.deliveredAt);
      const attempts = delivery.attempts.edges.map((e) => e.node);
      assert.deepEqual(
        attempts.map((a) => [a.attempt, a.statusCode, a.error]),
        [
          [1, 500, "HTTP 500"],
          [2, 500, "HTTP 500"],
          [3, 200, null],
        ],
      );
      // Retries wait at least the configured delay (1 s), the second about twice as long.
      const at = attempts.map((a) => Date.parse(a.at));
      assert.ok(at[1] - at[0] >= 900, `first retry after ${at[1] - at[0]} ms`);
      assert.ok(at[2] - at[1] >= 1800, `second retry after ${at[2] - at[1]} ms`);
      const requests = receiver.requestsTo("/flaky");
      assert.equal(requests.length, 3);
      assert.equal(new Set(requests.map((r) => r.headers["x-skillyard-delivery"])).size, 1, "every retry is the same delivery");
      assert.deepEqual(new Set(requests.map((r) => r.body)).size, 1, "with the same body");
    } finally {
      await remove(webhook.id);
    }
  });

  test("receivers that keep failing (500, a redirect that would drop the POST, a refused connection, no answer) end FAILED after the configured attempts", async () => {
    const closedPort = await freePort();
    const hooks = {
      down: (await create(receiver.on("/down", (_n, res) => void res.writeHead(503).end()))).webhook,
      redirect: (await create(receiver.on("/redirect", (_n, res) => void res.writeHead(302, { location: "/ok" }).end()))).webhook,
      refused: (await create(`http://127.0.0.1:${closedPort}/hook`)).webhook,
      hang: (await create(receiver.on("/hang", () => "hang"))).webhook,
    };
    const okBefore = receiver.requestsTo("/ok").length;
    try {
      await publishSkill();
      const [down, redirect, refused, hang] = await Promise.all([hooks.down, hooks.redirect, hooks.refused, hooks.hang].map((w) => settledDelivery(w.id)));
      for (const delivery of [down, redirect, refused, hang]) {
        assert.equal(delivery.status, "FAILED");
        assert.equal(delivery.attemptCount, MAX_ATTEMPTS);
        assert.equal(delivery.deliveredAt, null);
        assert.deepEqual(
          delivery.attempts.edges.map((e) => e.node.attempt),
          [1, 2, 3],
        );
      }
      assert.ok(down.attempts.edges.every((e) => e.node.statusCode === 503 && e.node.error === "HTTP 503"));
      assert.ok(redirect.attempts.edges.every((e) => e.node.statusCode === 302 && /only 307 and 308 redirects are followed/.test(e.node.error ?? "")));
      assert.equal(receiver.requestsTo("/ok").length, okBefore, "the redirect was never followed");
      // The same words whatever the socket said, so deliveries cannot be used to scan ports.
      assert.ok(
        refused.attempts.edges.every((e) => e.node.statusCode === null && e.node.error === "could not connect to the receiver"),
        JSON.stringify(refused.attempts),
      );
      assert.ok(
        hang.attempts.edges.every((e) => e.node.statusCode === null && e.node.error === `no answer within ${TIMEOUT_MS} ms`),
        JSON.stringify(hang.attempts),
      );
      assert.ok(hang.attempts.edges.every((e) => e.node.durationMs >= TIMEOUT_MS - 50 && e.node.durationMs < TIMEOUT_MS + 2000));
      assert.equal(receiver.requestsTo("/down").length, MAX_ATTEMPTS);
      assert.equal(receiver.requestsTo("/hang").length, MAX_ATTEMPTS);
    } finally {
      for (const w of Object.values(hooks)) await remove(w.id);
    }
  });

  test("events a webhook is not subscribed to, and deleted webhooks, get no deliveries; deletion is audited and idempotent", async () => {
    const reviewsOnly = (
      await create(
        receiver.on("/reviews", (_n, res) => void res.writeHead(200).end()),
        ["REVIEW_REQUESTED", "REVIEW_DECIDED"],
      )
    ).webhook;
    const deleted = (await create(receiver.on("/deleted", (_n, res) => void res.writeHead(200).end()))).webhook;
    const first = await remove(deleted.id);
    assert.equal(first.active, false);
    assert.equal((await remove(deleted.id)).active, false, "deleting again is a no-op");
    // A webhook subscribed to VERSION_PUBLISHED, to know when the event has been fanned out.
    const witness = (await create(receiver.on("/witness", (_n, res) => void res.writeHead(200).end()))).webhook;
    try {
      await publishSkill();
      await settledDelivery(witness.id);
      assert.deepEqual(await deliveriesOf(reviewsOnly.id), []);
      assert.deepEqual(await deliveriesOf(deleted.id), []);
      assert.equal(receiver.requestsTo("/reviews").length + receiver.requestsTo("/deleted").length, 0);
      const listed = (await list()).find((w) => w.id === deleted.id)!;
      assert.equal(listed.active, false, "a deleted webhook stays listed, inactive, with its history");

      const audit = await server.gql<{ auditLog: { edges: { node: { action: string; targetType: string; before: unknown; after: unknown } }[] } }>(
        `{ auditLog(first: 100) { edges { node { action targetType before after } } } }`,
        {},
        admin,
      );
      assert.equal(audit.errors, undefined, JSON.stringify(audit.errors));
      const webhookEvents = audit.data!.auditLog.edges.map((e) => e.node).filter((n) => n.targetType === "Webhook");
      assert.ok(webhookEvents.filter((n) => n.action === "WEBHOOK_CREATE").length >= 3);
      const deletions = webhookEvents.filter((n) => n.action === "WEBHOOK_DELETE");
      assert.ok(deletions.length >= 1);
      assert.ok(deletions.every((d) => (d.before as { active: boolean }).active && !(d.after as { active: boolean }).active));
      assert.ok(webhookEvents.some((n) => (n.after as { origin?: string }).origin === receiver.url));
      assert.ok(!JSON.stringify(webhookEvents).includes("/deleted"), "the audit log records the URL's origin only (paths may carry tokens)");
    } finally {
      await remove(reviewsOnly.id);
      await remove(witness.id);
    }
  });

  test("review events map to REVIEW_REQUESTED / REVIEW_DECIDED, and deliveries commit or roll back with the audited change", async () => {
    const { webhook } = await create(
      receiver.on("/review-events", (_n, res) => void res.writeHead(200).end()),
      ["REVIEW_REQUESTED", "REVIEW_DECIDED"],
    );
    const { audit } = server.runtime.services;
    const target = { targetType: "SkillVersion", targetId: randomUUID(), skillId: randomUUID() };
    try {
      // A transaction that fails after recording leaves neither a delivery nor a job behind.
      await assert.rejects(
        server.runtime.dataSource.transaction(async (em) => {
          await audit.record(em, { actorId: null, action: AuditAction.REVIEW_REQUESTED, ...target });
          throw new Error("roll back");
        }),
        /roll back/,
      );
      await server.runtime.dataSource.transaction(async (em) => {
        await audit.record(em, { actorId: null, action: AuditAction.REVIEW_REQUESTED, ...target, after: { requiredApprovals: 1 } });
        await audit.record(em, { actorId: null, action: AuditAction.APPROVE, ...target });
        await audit.record(em, { actorId: null, action: AuditAction.YANK, ...target });
        await audit.record(em, { actorId: null, action: AuditAction.REJECT, ...target });
      });
      const deliveries = await waitFor(async () => {
        const ds = await deliveriesOf(webhook.id);
        return ds.length === 3 && ds.every((d) => d.status === "SUCCEEDED") ? ds : null;
      }, "three review deliveries");
      const byAction = new Map(deliveries.map((d) => [d.payload.action, d]));
      assert.deepEqual([...byAction.keys()].sort(), ["APPROVE", "REJECT", "REVIEW_REQUESTED"]);
      assert.equal(byAction.get("REVIEW_REQUESTED")!.event, "REVIEW_REQUESTED");
      assert.equal(byAction.get("APPROVE")!.event, "REVIEW_DECIDED");
      assert.equal(byAction.get("REJECT")!.event, "REVIEW_DECIDED");
      assert.deepEqual(byAction.get("REVIEW_REQUESTED")!.payload.after, { requiredApprovals: 1 });
      const requests = receiver.requestsTo("/review-events");
      assert.equal(requests.length, 3, "the rolled-back event and the unmapped YANK were never sent");
      assert.deepEqual(requests.map((r) => r.headers["x-skillyard-event"]).sort(), ["REVIEW_DECIDED", "REVIEW_DECIDED", "REVIEW_REQUESTED"]);
    } finally {
      await remove(webhook.id);
    }
  });

  test("the secret is shown only at creation: it is not a field, and appears in no listing or audit entry", async () => {
    const { secret, webhook } = await create(receiver.on("/secretive", (_n, res) => void res.writeHead(200).end()));
    try {
      const asField = await server.gql(`{ webhooks { edges { node { id secret } } } }`, {}, admin);
      assert.equal(asField.errors?.[0].extensions.code, "GRAPHQL_VALIDATION_FAILED");
      const everything = JSON.stringify([await list(), (await server.gql(`{ auditLog(first: 100) { edges { node { before after } } } }`, {}, admin)).data]);
      assert.ok(everything.includes(webhook.id));
      assert.ok(!everything.includes(secret), "the secret never comes back");
      const second = await create(receiver.on("/secretive-2", (_n, res) => void res.writeHead(200).end()));
      assert.notEqual(second.secret, secret, "each webhook gets its own secret");
      await remove(second.webhook.id);
    } finally {
      await remove(webhook.id);
    }
  });

  test("only admins can create, list or delete webhooks", async () => {
    const input = { url: `${receiver.url}/nope`, events: ["VERSION_PUBLISHED"] };
    const reviewer = (await server.seed.user("hook-reviewer", [GlobalRole.REVIEWER])).token;
    for (const [token, code] of [
      [undefined, "UNAUTHENTICATED"],
      [publisher, "FORBIDDEN"],
      [reviewer, "FORBIDDEN"],
    ] as const) {
      const created = await server.gql(CREATE, { input }, token);
      assert.equal(created.errors?.[0].extensions.code, code);
      assert.equal(created.data, null);
      const listed = await server.gql(`{ webhooks { totalCount edges { node { id url } } } }`, {}, token);
      assert.equal(listed.errors?.[0].extensions.code, code);
      const deleted = await server.gql(DELETE, { id: Buffer.from("Webhook:00000000-0000-0000-0000-000000000000").toString("base64url") }, token);
      assert.equal(deleted.errors?.[0].extensions.code, code);
    }
    assert.equal(receiver.requestsTo("/nope").length, 0);
    assert.ok(!(await list()).some((w) => w.url.endsWith("/nope")), "nothing was created");
  });

  test("URLs must be http(s) without credentials; events must not be empty; ids must name a webhook", async () => {
    for (const url of [
      "ftp://example.com/hook",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "not a url",
      "/relative",
      "http://user:pass@example.com/hook",
      "https://token@example.com/",
    ]) {
      const res = await server.gql(CREATE, { input: { url, events: ["VERSION_PUBLISHED"] } }, admin);
      assert.equal(res.errors?.[0].extensions.code, "BAD_USER_INPUT", url);
      assert.equal(res.errors?.[0].extensions.argument, "url", url);
    }
    const empty = await server.gql(CREATE, { input: { url: `${receiver.url}/empty`, events: [] } }, admin);
    assert.equal(empty.errors?.[0].extensions.code, "BAD_USER_INPUT");
    assert.equal(empty.errors?.[0].extensions.argument, "events");
    const unknownEvent = await server.gql(CREATE, { input: { url: `${receiver.url}/x`, events: ["PUBLISH"] } }, admin);
    assert.ok(unknownEvent.errors?.length, "an event outside the enum is refused");

    const https = await create("https://hooks.example.com/skillyard?team=data#frag");
    assert.equal(https.webhook.url, "https://hooks.example.com/skillyard?team=data", "the fragment, never sent, is dropped");
    await remove(https.webhook.id);

    const missing = await server.gql(DELETE, { id: Buffer.from("Webhook:00000000-0000-0000-0000-000000000000").toString("base64url") }, admin);
    assert.equal(missing.errors?.[0].extensions.code, "NOT_FOUND");
    const wrongType = await server.gql(DELETE, { id: Buffer.from("Skill:00000000-0000-0000-0000-000000000000").toString("base64url") }, admin);
    assert.equal(wrongType.errors?.[0].extensions.code, "BAD_USER_INPUT");
  });

  test("webhooks and their deliveries page with opaque cursors, and a full listing is a fixed number of queries", async () => {
    const created: CreateResult["createWebhook"]["webhook"][] = [];
    for (let i = 0; i < 3; i++) created.push((await create(receiver.on(`/page-${i}`, (_n, res) => void res.writeHead(200).end()))).webhook);
    try {
      await publishSkill();
      await publishSkill();
      for (const w of created) {
        await waitFor(async () => {
          const ds = await deliveriesOf(w.id);
          return ds.length === 2 && ds.every((d) => d.status === "SUCCEEDED");
        }, "both deliveries to succeed");
      }

      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const res: GraphQLResponse<WebhookPage> = await server.gql<WebhookPage>(
          `query($after: String) { webhooks(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
          { after },
          admin,
        );
        assert.equal(res.errors, undefined, JSON.stringify(res.errors));
        seen.push(...res.data!.webhooks.edges.map((e) => e.node.id));
        if (!res.data!.webhooks.pageInfo.hasNextPage) break;
        after = res.data!.webhooks.pageInfo.endCursor;
      }
      assert.equal(new Set(seen).size, seen.length, "no webhook is listed twice");
      assert.deepEqual(seen.slice(0, 3), created.map((w) => w.id).reverse(), "newest first");
      assert.equal(seen.length, (await list()).length);

      const DELIVERY_PAGE = `query($after: String) { webhooks(first: 1) { edges { node { id deliveries(first: 1, after: $after) {
        edges { node { id createdAt payload } } pageInfo { hasNextPage hasPreviousPage endCursor } } } } } }`;
      interface DeliveryPage {
        webhooks: {
          edges: {
            node: {
              id: string;
              deliveries: {
                edges: { node: { id: string; createdAt: string; payload: { target: { id: string } } } }[];
                pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string };
              };
            };
          }[];
        };
      }
      const first = (await server.gql<DeliveryPage>(DELIVERY_PAGE, { after: null }, admin)).data!.webhooks.edges[0].node;
      assert.equal(first.id, created[2].id);
      assert.equal(first.deliveries.pageInfo.hasNextPage, true);
      const second = (await server.gql<DeliveryPage>(DELIVERY_PAGE, { after: first.deliveries.pageInfo.endCursor }, admin)).data!.webhooks.edges[0].node;
      assert.equal(second.deliveries.pageInfo.hasNextPage, false);
      assert.equal(second.deliveries.pageInfo.hasPreviousPage, true);
      const [newer, older] = [first.deliveries.edges[0].node, second.deliveries.edges[0].node];
      assert.notEqual(newer.id, older.id);
      assert.notEqual(newer.payload.target.id, older.payload.target.id, "one delivery per published version");
      assert.ok(Date.parse(newer.createdAt) >= Date.parse(older.createdAt), "newest first");

      const bad = await server.gql(`{ webhooks(after: "bogus") { edges { cursor } } }`, {}, admin);
      assert.equal(bad.errors?.[0].extensions.code, "BAD_USER_INPUT");

      // Webhooks, their deliveries and those deliveries' attempts load in one batch each, however many there are.
      server.queries.reset();
      const listed = await list();
      assert.ok(listed.filter((w) => w.deliveries.edges.length > 0).length >= 6);
      assert.ok(server.queries.count <= 8, `${server.queries.count} queries:\n${server.queries.statements.join("\n")}`);
    } finally {
      for (const w of created) await remove(w.id);
    }
  });
});
