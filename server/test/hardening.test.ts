import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { skillYaml } from "./support/seed";
import { publishOk } from "./support/publish";
import { startTestServer, type TestServer } from "./support/test-server";

function nested(depth: number): string {
  let inner = "name";
  for (let i = 0; i < depth; i++) inner = `versions(first: 1) { edges { node { skill { ${inner} } } } }`;
  return `{ skill(name: "hardened") { ${inner} } }`;
}

describe("API hardening (development mode)", () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer({ GRAPHQL_MAX_BODY_BYTES: "4096" });
    token = (await server.seed.team("sec").member("sec-dev")).token;
    await publishOk(server, token, { "skill.yaml": skillYaml({ name: "hardened", version: "1.0.0" }) });
  });
  after(() => server.close());

  test("depth over the limit is QUERY_TOO_DEEP (400) and executes nothing", async () => {
    assert.equal((await server.gql(nested(1))).errors, undefined);
    server.queries.reset();
    const res = await server.gql(nested(4));
    assert.equal(res.status, 400);
    assert.equal(res.errors?.[0].extensions.code, "QUERY_TOO_DEEP");
    assert.equal(server.queries.count, 0);
  });

  test("too many aliases is TOO_MANY_ALIASES", async () => {
    const fields = Array.from({ length: 31 }, (_, i) => `a${i}: skill(name: "hardened") { id }`).join(" ");
    const res = await server.gql(`{ ${fields} }`);
    assert.equal(res.errors?.[0].extensions.code, "TOO_MANY_ALIASES");
  });

  test("an expensive fan-out is QUERY_TOO_COMPLEX, including when `first` comes from a variable", async () => {
    const query = `query($n: Int) { skills(first: $n) { edges { node { versions(first: $n) { edges { node { dependencies(first: $n) { edges { node { range } } } } } } } } } }`;
    const res = await server.gql(query, { n: 100 });
    assert.equal(res.errors?.[0].extensions.code, "QUERY_TOO_COMPLEX");
    assert.equal((await server.gql(query, { n: 3 })).errors, undefined);
  });

  test("lists that are not connections count too: a fan-out through one is QUERY_TOO_COMPLEX", async () => {
    // installsByTenant is a plain list (no `first`): it is counted as LIST_SIZE_ESTIMATE items.
    const query = `query($n: Int) { skills(first: $n) { edges { node { installsByTenant { team { members(first: 40) { edges { node { user { handle } } } } } } } } } }`;
    server.queries.reset();
    const res = await server.gql(query, { n: 100 });
    assert.equal(res.errors?.[0].extensions.code, "QUERY_TOO_COMPLEX", JSON.stringify(res));
    assert.equal(server.queries.count, 0);
    assert.equal((await server.gql(query, { n: 2 })).errors, undefined);
  });

  test("CSRF prevention refuses simple requests", async () => {
    const textPlain = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "text/plain" }, body: '{"query":"{ __typename }"}' });
    assert.equal(textPlain.status, 400);
    assert.equal(((await textPlain.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code, "BAD_REQUEST");
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent("{ __typename }")}`);
    assert.equal(get.status, 400);
    const preflighted = await fetch(`${server.url}/graphql?query=${encodeURIComponent("{ __typename }")}`, { headers: { "apollo-require-preflight": "1" } });
    assert.equal(preflighted.status, 200);
  });

  test("malformed requests get their own codes: bad JSON, unparsable query, unknown operation name", async () => {
    const badJson = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code, "BAD_REQUEST");
    assert.equal((await server.gql(`{ skill(name: "x") { `)).errors?.[0].extensions.code, "GRAPHQL_PARSE_FAILED");
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "query A { viewer { handle } }", operationName: "B" }),
    });
    assert.equal(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code, "OPERATION_RESOLUTION_FAILURE");
    const two = await server.gql(`query A { viewer { handle } } query B { viewer { handle } }`);
    assert.equal(two.errors?.[0].extensions.code, "OPERATION_RESOLUTION_FAILURE");
  });

  test("a body over the limit is 413 PAYLOAD_TOO_LARGE", async () => {
    const res = await server.gql(`{ skill(name: "${"x".repeat(5000)}") { id } }`);
    assert.equal(res.status, 413);
    assert.equal(res.errors?.[0].extensions.code, "PAYLOAD_TOO_LARGE");
  });

  test("an invalid token is 401 UNAUTHENTICATED, not silently anonymous", async () => {
    const res = await server.gql(`{ viewer { handle } }`, {}, "sky_forged");
    assert.equal(res.status, 401);
    assert.equal(res.errors?.[0].extensions.code, "UNAUTHENTICATED");
    assert.equal((await server.gql<{ viewer: { handle: string } }>(`{ viewer { handle } }`, {}, token)).data!.viewer.handle, "sec-dev");
  });

  test("development mode allows introspection and suggests fields", async () => {
    const introspection = await server.gql(`{ __schema { queryType { name } } }`);
    assert.equal(introspection.errors, undefined);
    const typo = await server.gql(`{ skill(name: "hardened") { nme } }`);
    assert.match(typo.errors![0].message, /Did you mean/);
  });

  test("a database failure reaches the client as INTERNAL_SERVER_ERROR with no SQL or stack", async () => {
    // A real fault: the table behind a community field disappears.
    await server.runtime.dataSource.query(`ALTER TABLE install RENAME TO install_gone`);
    try {
      const res = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        // Aliased, so the response's path cannot be what names the table.
        body: JSON.stringify({ query: `{ skill(name: "hardened") { tenants: installsByTenant { installs } } }` }),
      });
      const text = await res.text();
      const body = JSON.parse(text) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      assert.equal(body.errors[0].extensions.code, "INTERNAL_SERVER_ERROR");
      assert.equal(body.errors[0].message, "Internal server error");
      for (const leak of ["install", "SELECT", "relation", "stacktrace", "at ", ".ts:"]) assert.ok(!text.includes(leak), `response leaks "${leak}": ${text}`);
    } finally {
      await server.runtime.dataSource.query(`ALTER TABLE install_gone RENAME TO install`);
    }
  });
});

describe("API hardening (production mode)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ NODE_ENV: "production" });
  });
  after(() => server.close());

  test("introspection is off", async () => {
    const res = await server.gql(`{ __schema { queryType { name } } }`);
    assert.equal(res.errors?.[0].extensions.code, "GRAPHQL_VALIDATION_FAILED");
  });

  test("validation errors carry no field suggestions", async () => {
    const res = await server.gql(`{ skill(name: "x") { nme } }`);
    assert.equal(res.errors?.[0].extensions.code, "GRAPHQL_VALIDATION_FAILED");
    assert.doesNotMatch(res.errors![0].message, /Did you mean/);
  });
});
