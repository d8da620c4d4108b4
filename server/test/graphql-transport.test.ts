import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";

const QUERY = `query Catalog { skills(first: 5) { edges { node { name } } } }`;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

interface Body {
  data?: { skills: { edges: { node: { name: string } }[] } };
  errors?: { message: string; extensions: { code: string } }[];
}

describe("/graphql transport: automatic persisted queries and GET for queries", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    const { token } = await server.seed.team("t").member("author");
    await publishOk(server, token, { "skill.yaml": skillYaml({ name: "transported", version: "1.0.0" }) });
  });
  after(() => server.close());

  const post = async (body: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const get = async (params: Record<string, string>, headers: Record<string, string> = { "apollo-require-preflight": "true" }) => {
    const res = await fetch(`${server.url}/graphql?${new URLSearchParams(params)}`, { headers });
    return { status: res.status, body: (await res.json()) as Body };
  };

  test("a hash the server has not seen asks for the query once (PERSISTED_QUERY_NOT_FOUND); afterwards the hash alone runs it", async () => {
    const persistedQuery = { version: 1, sha256Hash: sha256(QUERY) };
    const unknown = await post({ extensions: { persistedQuery } });
    assert.equal(unknown.body.errors?.[0].extensions.code, "PERSISTED_QUERY_NOT_FOUND");
    const registered = await post({ query: QUERY, extensions: { persistedQuery } });
    assert.deepEqual(registered.body.data?.skills.edges, [{ node: { name: "transported" } }]);
    const byHash = await post({ extensions: { persistedQuery } });
    assert.deepEqual(byHash.body, registered.body);
    // A query that does not hash to the claimed hash is refused, so a hash cannot be bound to other text.
    const forged = await post({ query: `{ __typename }`, extensions: { persistedQuery } });
    assert.equal(forged.status, 400);
    assert.ok(forged.body.errors?.length);
  });

  test("GET runs a query (cacheable by URL), with the hash alone too; it refuses mutations and, without a preflight header, everything (CSRF)", async () => {
    const plain = await get({ query: QUERY });
    assert.equal(plain.status, 200);
    assert.deepEqual(plain.body.data?.skills.edges, [{ node: { name: "transported" } }]);
    const persisted = await get({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(QUERY) } }) });
    assert.deepEqual(persisted.body, plain.body);
    const mutation = await get({ query: `mutation { yankVersion(input: { versionId: "x", reason: "r" }) { status } }` });
    assert.equal(mutation.status, 405);
    const simple = await get({ query: QUERY }, {});
    assert.equal(simple.status, 400, "a simple cross-site GET is refused by CSRF prevention");
    assert.equal(simple.body.errors?.[0].extensions.code, "BAD_REQUEST");
  });
});
