import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Client } from "graphql-ws";
import { GlobalRole } from "../src/identity/user.entity";
import { TeamRole } from "../src/identity/membership.entity";
import { LogStream } from "../src/testing/test-run-event.entity";
import { TestRunEventWriter } from "../src/testing/test-run-events";
import { publishOk, testRunIdOf } from "./support/publish";
import { skillYaml } from "./support/seed";
import { pythonSkill } from "./support/skills";
import { collectRunEvents, wsClient } from "./support/subscriptions";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

interface Outcome {
  data: unknown[];
  /** The first error's code, once the server ended the operation with errors. */
  code: string | null;
  done: boolean;
}

/** Sends any document over graphql-ws and records what comes back. */
function send(
  client: Client,
  payload: { query: string; operationName?: string; variables?: Record<string, unknown> },
): { outcome: Outcome; ended: Promise<Outcome> } {
  const outcome: Outcome = { data: [], code: null, done: false };
  const ended = new Promise<Outcome>((resolve) => {
    client.subscribe(payload, {
      next: (message) => {
        if (message.errors?.length) outcome.code = String(message.errors[0].extensions?.code);
        else outcome.data.push(message.data);
      },
      error: (error) => {
        const errors = Array.isArray(error) ? (error as { extensions?: { code?: string } }[]) : [];
        outcome.code = String(errors[0]?.extensions?.code ?? "SOCKET_CLOSED");
        outcome.done = true;
        resolve(outcome);
      },
      complete: () => {
        outcome.done = true;
        resolve(outcome);
      },
    });
  });
  return { outcome, ended };
}

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64url");

describe("operations over the WebSocket", () => {
  let server: TestServer;
  let admin: string;
  let member: string;
  let finishedRun: string;
  const clients: Client[] = [];
  const client = (token: string) => {
    const c = wsClient(server.url, token);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startTestServer();
    admin = (await server.seed.team("admins").member("ws-admin", TeamRole.MEMBER, [GlobalRole.ADMIN])).token;
    member = (await server.seed.team("owners").member("ws-member")).token;
    const published = await publishOk(server, member, { "skill.yaml": skillYaml({ name: "ws-done", version: "1.0.0" }) });
    finishedRun = globalId("TestRun", await testRunIdOf(server, published.version.packageSha256));
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await server?.close();
  });

  test("positive control: a subscription replays a finished run and completes", async () => {
    const events = await collectRunEvents(client(member), finishedRun);
    assert.deepEqual(
      events.map((e) => [e.kind, e.status]),
      [["STATUS", "PASSED"]],
    );
  });

  test("only a subscription runs: a query or mutation picked by operationName, or sent alone, is refused and nothing executes", async () => {
    const subscription = `subscription Live($id: ID!) { testRunEvents(testRunId: $id) { seq } }`;
    const peek = send(client(member), {
      query: `${subscription} query Peek { testQueue { queued running } }`,
      operationName: "Peek",
      variables: { id: finishedRun },
    });
    assert.deepEqual(await peek.ended, { data: [], code: "BAD_REQUEST", done: true });
    const write = send(client(admin), {
      query: `${subscription} mutation Write { createTeam(input: { name: "ws-smuggled" }) { name } }`,
      operationName: "Write",
      variables: { id: finishedRun },
    });
    assert.equal((await write.ended).code, "BAD_REQUEST");
    const [{ count }] = (await server.runtime.dataSource.query(`SELECT count(*)::int AS count FROM team WHERE name = 'ws-smuggled'`)) as { count: number }[];
    assert.equal(count, 0, "the smuggled mutation must not have run");
    assert.equal((await send(client(member), { query: `{ testQueue { queued } }` }).ended).code, "BAD_REQUEST");
    assert.equal(
      (await send(client(member), { query: subscription, operationName: "Nope", variables: { id: finishedRun } }).ended).code,
      "OPERATION_RESOLUTION_FAILURE",
    );
  });

  test("the limits of HTTP apply: aliases, cost (fragments spreading one another), tokens, validation", async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: seq`).join(" ");
    const tooManyAliases = send(client(member), {
      query: `subscription($id: ID!) { testRunEvents(testRunId: $id) { ${aliases} } }`,
      variables: { id: finishedRun },
    });
    assert.deepEqual(await tooManyAliases.ended, { data: [], code: "TOO_MANY_ALIASES", done: true });
    // 20 fragments, each spreading the next twice: 2^20 fields once expanded, from a message of about 1.5 KB.
    const chain = Array.from({ length: 20 }, (_, i) => `fragment F${i} on TestRunEvent { seq ...F${i + 1} ...F${i + 1} }`).join(" ");
    const expensive = send(client(member), {
      query: `subscription($id: ID!) { testRunEvents(testRunId: $id) { ...F0 } } ${chain} fragment F20 on TestRunEvent { text }`,
      variables: { id: finishedRun },
    });
    assert.deepEqual(await expensive.ended, { data: [], code: "QUERY_TOO_COMPLEX", done: true });
    const padded = `subscription($id: ID!) { testRunEvents(testRunId: $id) { ${"seq ".repeat(3000)} } }`;
    assert.equal((await send(client(member), { query: padded, variables: { id: finishedRun } }).ended).code, "GRAPHQL_PARSE_FAILED");
    assert.equal((await send(client(member), { query: `subscription { testRunEvents(testRunId: "x") { nope } }` }).ended).code, "GRAPHQL_VALIDATION_FAILED");
  });
});

describe("subscriptions when the viewer's roles or teams change", () => {
  let server: TestServer;
  let admin: string;
  let runId: string;
  const tokens: Record<"reviewer" | "steadyReviewer" | "removedMember" | "promotedMember", string> = {
    reviewer: "",
    steadyReviewer: "",
    removedMember: "",
    promotedMember: "",
  };
  const clients: Client[] = [];

  before(async () => {
    server = await startTestServer();
    admin = (await server.seed.team("admins").member("rc-admin", TeamRole.MEMBER, [GlobalRole.ADMIN])).token;
    const owners = server.seed.team("owners");
    const author = (await owners.member("rc-author", TeamRole.MAINTAINER)).token;
    tokens.removedMember = (await owners.member("rc-leaving")).token;
    tokens.promotedMember = (await owners.member("rc-staying")).token;
    const board = server.seed.team("board");
    tokens.reviewer = (await board.member("rc-reviewer", TeamRole.MEMBER, [GlobalRole.REVIEWER])).token;
    tokens.steadyReviewer = (await board.member("rc-steady", TeamRole.MEMBER, [GlobalRole.REVIEWER])).token;
    // A version in TESTING: no worker runs here, so its run stays QUEUED and its stream stays open.
    const published = await publishOk(server, author, pythonSkill("rc-hidden", "1.0.0"));
    runId = await testRunIdOf(server, published.version.packageSha256);
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await server?.close();
  });

  /** Subscribes each viewer to the hidden run and waits until every one has the stored events. */
  async function subscribeAll<K extends keyof typeof tokens>(who: readonly K[]): Promise<Record<K, { client: Client; stream: ReturnType<typeof send> }>> {
    const entries = who.map((w) => {
      const c = wsClient(server.url, tokens[w]);
      clients.push(c);
      return [
        w,
        {
          client: c,
          stream: send(c, {
            query: `subscription($id: ID!) { testRunEvents(testRunId: $id) { seq kind text } }`,
            variables: { id: globalId("TestRun", runId) },
          }),
        },
      ] as const;
    });
    await waitFor(async () => entries.every(([, e]) => e.stream.outcome.data.length >= 1), "every subscriber to receive the stored events", 10_000);
    return Object.fromEntries(entries) as Record<K, { client: Client; stream: ReturnType<typeof send> }>;
  }

  async function writeLine(text: string): Promise<void> {
    const writer = await TestRunEventWriter.open(server.runtime.dataSource, runId);
    writer.log(LogStream.STDOUT, text);
    await writer.flush();
  }

  test("a demoted reviewer stops receiving another team's unreleased run at once; a reviewer who stays one keeps streaming", async () => {
    const subs = await subscribeAll(["reviewer", "steadyReviewer"] as const);
    const demoted = await server.gql(`mutation { setUserRoles(input: { user: "rc-reviewer", roles: [] }) { roles } }`, {}, admin);
    assert.equal(demoted.errors, undefined, JSON.stringify(demoted.errors));
    const end = await waitFor(
      async () => (subs.reviewer.stream.outcome.done ? subs.reviewer.stream.outcome : null),
      "the demoted reviewer's subscription to end",
      10_000,
    );
    assert.equal(end.code, "FORBIDDEN");
    await writeLine("after the demotion");
    await waitFor(
      async () => JSON.stringify(subs.steadyReviewer.stream.outcome.data).includes("after the demotion"),
      "the steady reviewer to receive the new line",
      10_000,
    );
    assert.equal(subs.steadyReviewer.stream.outcome.done, false);
    assert.doesNotMatch(JSON.stringify(subs.reviewer.stream.outcome.data), /after the demotion/);
    // A new subscription on the same socket follows the new roles too.
    const again = send(subs.reviewer.client, {
      query: `subscription($id: ID!) { testRunEvents(testRunId: $id) { seq } }`,
      variables: { id: globalId("TestRun", runId) },
    });
    assert.equal((await again.ended).code, "NOT_FOUND");
  });

  test("a member removed from the owning team stops receiving its unreleased run; a member made maintainer keeps streaming", async () => {
    const subs = await subscribeAll(["removedMember", "promotedMember"] as const);
    const removed = await server.gql(`mutation { removeTeamMember(input: { team: "owners", user: "rc-leaving" }) { role } }`, {}, admin);
    assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
    const promoted = await server.gql(`mutation { addTeamMember(input: { team: "owners", user: "rc-staying", role: MAINTAINER }) { role } }`, {}, admin);
    assert.equal(promoted.errors, undefined, JSON.stringify(promoted.errors));
    const end = await waitFor(
      async () => (subs.removedMember.stream.outcome.done ? subs.removedMember.stream.outcome : null),
      "the removed member's subscription to end",
      10_000,
    );
    assert.equal(end.code, "FORBIDDEN");
    await writeLine("after the removal");
    await waitFor(
      async () => JSON.stringify(subs.promotedMember.stream.outcome.data).includes("after the removal"),
      "the promoted member to receive the new line",
      10_000,
    );
    assert.equal(subs.promotedMember.stream.outcome.done, false);
    assert.doesNotMatch(JSON.stringify(subs.removedMember.stream.outcome.data), /after the removal/);
  });
});
