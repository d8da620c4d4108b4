import assert from "node:assert/strict";
import type { TestServer } from "./test-server";
import { makePackage } from "./seed";

export const PUBLISH = `mutation Publish($input: PublishSkillVersionInput!) {
  publishSkillVersion(input: $input) { created warnings version { id version status packageSha256 skill { id name } } }
}`;

export interface PublishedVersion {
  created: boolean;
  warnings: string[];
  version: { id: string; version: string; status: string; packageSha256: string; skill: { id: string; name: string } };
}

/** Uploads a package built from `files` and publishes it; answers the raw GraphQL response. */
export async function uploadAndPublish(
  server: TestServer,
  token: string,
  files: Record<string, string | Buffer>,
  extra: { version?: string; team?: string } = {},
) {
  const upload = await server.upload(await makePackage(files), token);
  assert.equal(upload.status, 201, JSON.stringify(upload.body));
  return server.gql<{ publishSkillVersion: PublishedVersion }>(PUBLISH, { input: { packageSha256: upload.body.sha256, ...extra } }, token);
}

/** Like uploadAndPublish but fails the test unless the publish succeeded. */
export async function publishOk(
  server: TestServer,
  token: string,
  files: Record<string, string | Buffer>,
  extra: { version?: string; team?: string } = {},
): Promise<PublishedVersion> {
  const res = await uploadAndPublish(server, token, files, extra);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!.publishSkillVersion;
}

/** The id of the test run a publish queued for the version with this package digest. */
export async function testRunIdOf(server: TestServer, packageSha256: string): Promise<string> {
  const [run] = (await server.runtime.dataSource.query(`SELECT id FROM test_run WHERE version_id = (SELECT id FROM skill_version WHERE package_sha256 = $1)`, [
    packageSha256,
  ])) as { id: string }[];
  assert.ok(run, `no test run for the version with package ${packageSha256}`);
  return run.id;
}
