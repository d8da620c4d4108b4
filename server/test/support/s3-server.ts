import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { freePort } from "../../src/db/free-port";

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  /** The environment that points a Skillyard server at this bucket (under `prefix`). */
  env(prefix?: string): Record<string, string>;
  /** Where s3rver keeps objects on disk, for tests that damage one. */
  directory: string;
  close(): Promise<void>;
}

/** A real S3-protocol server (s3rver, from the npm registry) on a loopback port, with one bucket. */
export async function startS3Server(bucket = "skillyard"): Promise<TestS3Server> {
  const directory = mkdtempSync(path.join(os.tmpdir(), "skillyard-s3-"));
  const port = await freePort();
  const server = new S3rver({ address: "127.0.0.1", port, silent: true, directory, configureBuckets: [{ name: bucket }] });
  await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    directory,
    env: (prefix = "blobs") => ({
      BLOB_STORE_URL: `s3://${bucket}/${prefix}`,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: "us-east-1",
      // s3rver's fixed credentials; the SDK's default chain reads them from the environment.
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    }),
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
