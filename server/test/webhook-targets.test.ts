import "reflect-metadata";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { GlobalRole } from "../src/identity/user.entity";
import { isPublicAddress } from "../src/webhooks/webhook-targets";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const CREATE = `mutation($url: String!) { createWebhook(input: { url: $url, events: [VERSION_PUBLISHED] }) { webhook { id } } }`;
const DELIVERIES = `query { webhooks(first: 50) { edges { node { id url deliveries(first: 5) { edges { node { status attempts(first: 5) { edges { node { statusCode error } } } } } } } } } }`;

interface Delivery {
  status: string;
  attempts: { edges: { node: { statusCode: number | null; error: string | null } }[] };
}

/** A receiver on a loopback address that records every request path. */
async function receiver(
  host: "127.0.0.1" | "::1",
  answer: (path: string) => { status: number; location?: string },
): Promise<{ url: string; paths: string[]; requests: { path: string; method: string; signed: boolean; body: string }[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const requests: { path: string; method: string; signed: boolean; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      paths.push(req.url ?? "/");
      requests.push({
        path: req.url ?? "/",
        method: req.method ?? "",
        signed: /^sha256=[0-9a-f]{64}$/.test(String(req.headers["x-skillyard-signature"])),
        body,
      });
      const { status, location } = answer(req.url ?? "/");
      res.writeHead(status, location ? { location } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    paths,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("which addresses count as internal", () => {
  test("loopback, private, CGNAT, link-local, documentation, multicast and reserved ranges, in every IPv6 disguise", () => {
    for (const address of [
      "127.0.0.1",
      "127.255.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "100.64.0.1",
      "169.254.169.254",
      "0.0.0.0",
      "192.0.2.1",
      "198.18.0.1",
      "224.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "::127.0.0.1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:10.0.0.1",
      "64:ff9b::a9fe:a9fe",
      "2002:7f00:1::",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "fe80::1%eth0",
      "ff02::1",
      "2001:db8::1",
      "not an address",
    ]) {
      assert.equal(isPublicAddress(address), false, address);
    }
  });

  test("global unicast addresses are public, also when IPv6 embeds them", () => {
    for (const address of [
      "8.8.8.8",
      "1.1.1.1",
      "93.184.216.34",
      "172.32.0.1",
      "2606:4700:4700::1111",
      "::ffff:8.8.8.8",
      "64:ff9b::808:808",
      "2002:808:808::",
    ]) {
      assert.equal(isPublicAddress(address), true, address);
    }
  });
});

/**
 * Webhooks must not reach the installation's own network: internal targets are refused when a
 * webhook is created (IP literals in any spelling, localhost names), when a delivery connects (the
 * address the name resolves to then, so a DNS answer that changes after creation is caught), and on
 * every redirect. Every receiver here is on 127.0.0.1 or [::1]: traffic never leaves the host.
 */
describe("webhook targets", () => {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });
  const start = async (...args: Parameters<typeof startTestServer>) => {
    const s = await startTestServer(...args);
    servers.push(s);
    const admin = (await s.seed.user("targets-admin", [GlobalRole.ADMIN])).token;
    const publisher = (await s.seed.team("targets").member("targets-dev")).token;
    return { server: s, admin, publisher };
  };
  const settled = async (server: TestServer, admin: string, webhookId: string): Promise<Delivery> =>
    waitFor(
      async () => {
        const res = await server.gql<{ webhooks: { edges: { node: { id: string; deliveries: { edges: { node: Delivery }[] } } }[] } }>(DELIVERIES, {}, admin);
        const delivery = res.data?.webhooks.edges.find((e) => e.node.id === webhookId)?.node.deliveries.edges[0]?.node;
        return delivery && delivery.status !== "PENDING" ? delivery : null;
      },
      "the delivery to settle",
      30_000,
    );

  test("an internal address written any way the URL parser accepts is refused at creation", async () => {
    const { server, admin } = await start();
    const sink = await receiver("127.0.0.1", () => ({ status: 200 }));
    try {
      const port = new URL(sink.url).port;
      for (const url of [
        `http://127.0.0.1:${port}/hook`,
        `http://2130706433:${port}/hook`,
        `http://0x7f000001:${port}/hook`,
        `http://0177.0.0.1:${port}/hook`,
        `http://127.1:${port}/hook`,
        `http://[::1]:${port}/hook`,
        `http://[::ffff:127.0.0.1]:${port}/hook`,
        `http://[0:0:0:0:0:ffff:7f00:1]:${port}/hook`,
        `http://localhost:${port}/hook`,
        `http://api.localhost:${port}/hook`,
      ]) {
        const res = await server.gql(CREATE, { url }, admin);
        assert.equal(res.errors?.[0].extensions.code, "BAD_USER_INPUT", `${url}: ${JSON.stringify(res)}`);
        assert.equal(res.errors?.[0].extensions.argument, "url");
        assert.match(res.errors![0].message, /internal address/);
      }
      const listed = await server.gql<{ webhooks: { edges: unknown[] } }>(`{ webhooks { edges { node { id } } } }`, {}, admin);
      assert.deepEqual(listed.data?.webhooks.edges, []);
    } finally {
      await sink.close();
    }
  });

  test("a name that resolves to an internal address when the delivery connects is refused then (DNS rebinding), and nothing is sent", async () => {
    const sink = await receiver("127.0.0.1", () => ({ status: 200 }));
    try {
      // Public (or unknown) when the webhook is created; 127.0.0.1 by the time it is delivered.
      const { server, admin, publisher } = await start({ WEBHOOK_MAX_ATTEMPTS: "1" }, { worker: true, webhookLookup: async () => ["127.0.0.1"] });
      const created = await server.gql<{ createWebhook: { webhook: { id: string } } }>(
        CREATE,
        { url: `http://rebinding.example.test:${new URL(sink.url).port}/hook` },
        admin,
      );
      assert.equal(created.errors, undefined, JSON.stringify(created.errors));
      await publishOk(server, publisher, { "skill.yaml": skillYaml({ name: "rebind-trigger", version: "1.0.0" }) });
      const delivery = await settled(server, admin, created.data!.createWebhook.webhook.id);
      assert.equal(delivery.status, "FAILED");
      assert.deepEqual(
        delivery.attempts.edges.map((e) => e.node),
        [{ statusCode: null, error: "refused: the target resolves to a loopback, private, link-local or otherwise internal address" }],
      );
      assert.deepEqual(sink.paths, [], "the receiver on 127.0.0.1 must get nothing");
    } finally {
      await sink.close();
    }
  });

  test("every redirect is checked again: a 307 to an internal address is refused; a 307 to an allowed one is followed with the signed POST", async () => {
    const inner = await receiver("::1", () => ({ status: 200 }));
    const outer = await receiver("127.0.0.1", (path) =>
      path === "/to-internal"
        ? { status: 307, location: `${inner.url}/stolen` }
        : path === "/to-allowed"
          ? { status: 308, location: "/landed" }
          : { status: 200 },
    );
    try {
      // Here 127.0.0.1 stands for "the public receiver"; every other address is judged as in production.
      const { server, admin, publisher } = await start(
        { WEBHOOK_MAX_ATTEMPTS: "1" },
        { worker: true, webhookAddresses: { allows: (address) => address === "127.0.0.1" || isPublicAddress(address) } },
      );
      const toInternal = await server.gql<{ createWebhook: { webhook: { id: string } } }>(CREATE, { url: `${outer.url}/to-internal` }, admin);
      const toAllowed = await server.gql<{ createWebhook: { webhook: { id: string } } }>(CREATE, { url: `${outer.url}/to-allowed` }, admin);
      await publishOk(server, publisher, { "skill.yaml": skillYaml({ name: "redirect-trigger", version: "1.0.0" }) });
      const refused = await settled(server, admin, toInternal.data!.createWebhook.webhook.id);
      assert.equal(refused.status, "FAILED");
      assert.deepEqual(
        refused.attempts.edges.map((e) => e.node),
        [{ statusCode: null, error: "refused: the target is a loopback, private, link-local or otherwise internal address (redirect 1)" }],
      );
      assert.deepEqual(inner.paths, [], "the internal receiver on [::1] must get nothing");
      const followed = await settled(server, admin, toAllowed.data!.createWebhook.webhook.id);
      assert.equal(followed.status, "SUCCEEDED", JSON.stringify(followed));
      assert.deepEqual(
        outer.paths.filter((p) => p !== "/to-internal"),
        ["/to-allowed", "/landed"],
      );
      const [first, landed] = outer.requests.filter((r) => r.path !== "/to-internal");
      assert.deepEqual([landed.method, landed.signed, landed.body], ["POST", true, first.body], "the redirect keeps the method, the body and its signature");
    } finally {
      await outer.close();
      await inner.close();
    }
  });
});
