import type { Command } from "commander";
import { ApproveDocument, RejectDocument, ReviewQueueDocument, type ReviewQueueQuery } from "../gql/graphql";
import { table } from "../output";
import { examples, findVersionId, nodes, parseExactSpec, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface ApproveOptions extends CommonOptions {
  comment?: string;
}

interface RejectOptions extends CommonOptions {
  reason: string;
}

type ReviewRequest = ReviewQueueQuery["reviewQueue"]["edges"][number]["node"];

export function registerReview(program: Command): void {
  const review = program.command("review").description("the permission review queue, for reviewers at a terminal");

  const list = review.command("list").description("versions waiting for review, riskiest then oldest first");
  withCommonOptions(list).action((options: CommonOptions) => run(options, (ctx) => listQueue(ctx)));
  examples(list, ["skillyard review list", "skillyard review list --json"]);

  const approve = review
    .command("approve")
    .description("approve the exact package under review (never your own)")
    .argument("<name@version>", "e.g. pdf-extract@1.3.0")
    .option("--comment <text>", "note kept with the decision", "");
  withCommonOptions(approve).action((spec: string, options: ApproveOptions) => run(options, (ctx) => decide(ctx, spec, "approve", options.comment ?? "")));
  examples(approve, ['skillyard review approve pdf-extract@1.3.0 --comment "outbound calls only to the OCR API"']);

  const reject = review
    .command("reject")
    .description("reject a version under review; the reason reaches its author")
    .argument("<name@version>", "e.g. pdf-extract@1.3.0")
    .requiredOption("--reason <text>", "why, for the author");
  withCommonOptions(reject).action((spec: string, options: RejectOptions) => run(options, (ctx) => decide(ctx, spec, "reject", options.reason)));
  examples(reject, ['skillyard review reject pdf-extract@1.3.0 --reason "shell:exec is not needed for PDF parsing"']);

  examples(review, ["skillyard review list", "skillyard review approve pdf-extract@1.3.0", 'skillyard review reject pdf-extract@1.3.0 --reason "…"']);
}

async function listQueue(ctx: Context): Promise<void> {
  requireToken(ctx, "The review queue");
  const { reviewQueue } = await ctx.client.gql(ReviewQueueDocument, {});
  const entries = nodes(reviewQueue);
  if (ctx.json) {
    ctx.out.printJson({
      totalCount: reviewQueue.totalCount,
      reviews: entries.map((e) => ({
        name: e.version.skill.name,
        version: e.version.version,
        versionId: e.version.id,
        approvals: e.approvals,
        requiredApprovals: e.requiredApprovals,
        reasons: e.reasons,
        permissionDiff: e.permissionDiff,
        viewerCannotDecide: e.viewerCannotDecide,
        createdAt: e.createdAt,
        reviewUrl: reviewUrl(ctx, e.version.id),
      })),
    });
    return;
  }
  if (entries.length === 0) {
    ctx.out.line("Nothing is waiting for review.");
    return;
  }
  const c = ctx.out.out;
  const lines = table(
    [{ header: "VERSION" }, { header: "APPROVALS", align: "right" }, { header: "PERMISSIONS", flexible: true, min: 20 }, { header: "WAITING SINCE" }],
    entries.map((e) => [
      `${e.version.skill.name}@${e.version.version}`,
      `${e.approvals}/${e.requiredApprovals}`,
      describePermissions(e),
      e.createdAt.slice(0, 16).replace("T", " "),
    ]),
    undefined,
    c,
  );
  ctx.out.line(lines[0]);
  entries.forEach((e, i) => {
    ctx.out.line(lines[i + 1]);
    ctx.out.line(c.dim(`  ${reviewUrl(ctx, e.version.id)}${e.viewerCannotDecide ? `  (you cannot decide: ${e.viewerCannotDecide})` : ""}`));
  });
}

/** "+network:outbound HIGH, database:read LOW": what changed first, unchanged ones after. */
function describePermissions(e: ReviewRequest): string {
  const mark: Record<string, string> = { ADDED: "+", WIDENED: "↑", REMOVED: "-", UNCHANGED: "" };
  const order = ["ADDED", "WIDENED", "REMOVED", "UNCHANGED"];
  return [...e.permissionDiff]
    .sort((a, b) => order.indexOf(a.change) - order.indexOf(b.change))
    .map((p) => `${mark[p.change] ?? ""}${p.name} ${p.risk}`)
    .join(", ");
}

function reviewUrl(ctx: Context, versionId: string): string {
  return `${ctx.registry}/admin/reviews/${encodeURIComponent(versionId)}`;
}

async function decide(ctx: Context, spec: string, decision: "approve" | "reject", text: string): Promise<void> {
  const { name, version } = parseExactSpec(spec);
  requireToken(ctx, "Reviewing");
  const { id } = await findVersionId(ctx, name, version);
  const result =
    decision === "approve"
      ? (await ctx.client.gql(ApproveDocument, { input: { versionId: id, comment: text } })).approveVersion
      : (await ctx.client.gql(RejectDocument, { input: { versionId: id, reason: text } })).rejectVersion;
  if (ctx.json) {
    ctx.out.printJson({ name, version, versionId: id, decision: decision.toUpperCase(), published: result.published, status: result.version.status });
    return;
  }
  const c = ctx.out.out;
  const label = c.bold(`${name}@${version}`);
  if (decision === "reject") ctx.out.line(`${c.green("✓")} rejected ${label}; the author sees: ${text}`);
  else if (result.published) ctx.out.line(`${c.green("✓")} approved ${label}; it is now published`);
  else ctx.out.line(`${c.green("✓")} approved ${label}; it is ${result.version.status} (needs another reviewer's approval)`);
}
