import { Badge, Code, Group, Text, Tooltip, type MantineColor } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { RelativeTime, relativeTime } from "../../../components/RelativeTime";
import type { TokenFieldsFragment, TokenScope } from "../../../gql/graphql";
import { expiryState, scopeLabel } from "../token-rules";
import { EXPIRING_WITHIN_DAYS } from "../tokens-url";

const SCOPE_COLOR: Record<TokenScope, MantineColor> = {
  READ: "blue",
  PUBLISH: "green",
  REVIEW: "teal",
  ADMIN: "grape",
  INGEST: "cyan",
  CATALOG_READ: "gray",
};

/** What the token may do, one badge per scope. */
export function ScopeBadges({ scopes }: { scopes: readonly TokenScope[] }) {
  return (
    <Group gap={4} wrap="wrap" data-testid="token-scopes">
      {scopes.map((scope) => (
        <Badge key={scope} size="sm" variant="light" color={SCOPE_COLOR[scope]} data-testid="token-scope" data-scope={scope}>
          {scopeLabel(scope)}
        </Badge>
      ))}
    </Group>
  );
}

/** "expires in 3 months", in the warning colour within two weeks, and "expired" once past. */
export function TokenExpiry({ expiresAt }: { expiresAt: string | null }) {
  if (expiresAt === null) {
    return (
      <Text span size="xs" c="dimmed" data-testid="token-expiry" data-state="never">
        never expires
      </Text>
    );
  }
  const state = expiryState(expiresAt);
  if (state === "expired") {
    return (
      <Tooltip label={`Expired ${new Date(expiresAt).toLocaleString()}`} withArrow>
        <Badge size="sm" color="red" variant="light" data-testid="token-expiry" data-state={state}>
          expired
        </Badge>
      </Tooltip>
    );
  }
  return (
    <Tooltip label={new Date(expiresAt).toLocaleString()} withArrow>
      <Text
        span
        size="xs"
        c={state === "soon" ? "orange.8" : "dimmed"}
        fw={state === "soon" ? 600 : undefined}
        data-testid="token-expiry"
        data-state={state}
        aria-label={state === "soon" ? `Expires within ${EXPIRING_WITHIN_DAYS} days: ${relativeTime(expiresAt)}` : undefined}
      >
        {state === "soon" && <IconAlertTriangle size={12} style={{ verticalAlign: "-1px", marginRight: 2 }} />}
        expires <time dateTime={expiresAt}>{relativeTime(expiresAt)}</time>
      </Text>
    </Tooltip>
  );
}

/** Where and for what the token works, beyond its scopes: publish teams, networks, last use. */
export function TokenUsageFacts({ token }: { token: TokenFieldsFragment }) {
  const publishes = token.scopes.includes("PUBLISH");
  const teams = token.publishTeams ?? [];
  return (
    <Text size="xs" c="dimmed" component="div">
      {publishes && (
        <div data-testid="token-publish-teams">publishes to {teams.length === 0 ? "every team of its owner" : teams.map((team) => team.name).join(", ")}</div>
      )}
      <div data-testid="token-cidrs">
        {token.allowedCidrs && token.allowedCidrs.length > 0 ? (
          <>
            only from{" "}
            {token.allowedCidrs.map((cidr, index) => (
              <span key={cidr}>
                {index > 0 && ", "}
                <Code>{cidr}</Code>
              </span>
            ))}
          </>
        ) : (
          "from any address"
        )}
      </div>
      <div data-testid="token-last-used">
        {token.lastUsedAt ? (
          <>
            last used <RelativeTime iso={token.lastUsedAt} />
          </>
        ) : (
          "never used"
        )}
        {" · "}created <RelativeTime iso={token.createdAt} />
      </div>
    </Text>
  );
}
