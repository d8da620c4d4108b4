import { ApiToken } from "../identity/api-token.entity";
import { Invitation } from "../identity/invitation.entity";
import { Membership } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import { User } from "../identity/user.entity";
import { Permission } from "../catalog/permission.entity";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import { VersionDependency } from "../catalog/version-dependency.entity";
import { VersionPermission } from "../catalog/version-permission.entity";
import { DownloadRollup } from "../community/download-rollup.entity";
import { Install } from "../community/install.entity";
import { Rating } from "../community/rating.entity";
import { PackageBlob } from "../packages/package-blob.entity";
import { TestRun } from "../testing/test-run.entity";
import { TestRunEvent } from "../testing/test-run-event.entity";
import { EvalCaseResult } from "../evals/eval-case.entity";
import { EvalRun } from "../evals/eval-run.entity";
import { AuditEvent } from "../audit/audit-event.entity";
import { ReviewDecision, ReviewRequest } from "../governance/review.entities";
import { SkillChannel } from "../catalog/skill-channel.entity";
import { Webhook, WebhookDelivery, WebhookDeliveryAttempt } from "../webhooks/webhook.entities";
import { PluginBundle } from "../distribution/plugin-bundle.entity";
import { RequiredSkill } from "../distribution/required-skill.entity";
import { RuntimePolicy } from "../distribution/runtime-policy.entity";
import { DistributionCredential } from "../distribution/distribution-credential.entity";
import { UnmanagedSkill, UsageDaily, UsageSalt, UsageTeamSkill, UsageWeekly, UsageWeeklyUser } from "../usage/usage-daily.entity";
import { PlatformUpdate, QualityReview, QualityReviewNotice } from "../usage/quality-review.entity";
import { CliSignInCode, DeviceSignIn } from "../sso/cli-sign-in.entities";
import { DirectoryGroup, DirectoryGroupMember, DirectoryUser } from "../sso/directory.entities";
import { GroupMapping } from "../sso/group-mapping.entity";
import { Session } from "../sso/session.entity";
import { SignInRequest } from "../sso/sign-in-request.entity";

export const ENTITIES = [
  User,
  Team,
  Membership,
  ApiToken,
  Invitation,
  Permission,
  Skill,
  SkillVersion,
  VersionDependency,
  VersionPermission,
  Rating,
  Install,
  DownloadRollup,
  PackageBlob,
  TestRun,
  TestRunEvent,
  EvalRun,
  EvalCaseResult,
  AuditEvent,
  SkillChannel,
  ReviewRequest,
  ReviewDecision,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  PluginBundle,
  RequiredSkill,
  RuntimePolicy,
  DistributionCredential,
  UsageDaily,
  UsageWeekly,
  UsageWeeklyUser,
  UsageTeamSkill,
  UnmanagedSkill,
  UsageSalt,
  QualityReview,
  PlatformUpdate,
  QualityReviewNotice,
  Session,
  SignInRequest,
  CliSignInCode,
  DeviceSignIn,
  GroupMapping,
  DirectoryUser,
  DirectoryGroup,
  DirectoryGroupMember,
];
