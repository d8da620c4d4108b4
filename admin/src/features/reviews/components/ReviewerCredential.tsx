import { Text } from "@mantine/core";
import { RelativeTime } from "../../../components/RelativeTime";
import type { ReviewDecisionFieldsFragment } from "../../../gql/graphql";

export type Credential = NonNullable<ReviewDecisionFieldsFragment["credential"]>;

/** "on 6 Dec 2026", with the exact time on hover. */
function OnDate({ iso }: { iso: string }) {
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={date.toLocaleString()}>
      on {date.toLocaleDateString(undefined, { dateStyle: "medium" })}
    </time>
  );
}

function Provenance({ credential }: { credential: Credential | null }) {
  if (!credential || !credential.origin) return <>provenance not recorded</>;
  const token = `token ‘${credential.tokenName}’`;
  const creator = credential.createdBy?.handle ?? null;
  switch (credential.origin) {
    case "INVITATION":
      return (
        <>
          {token} from an invitation{" "}
          {creator ? (
            <>
              by <b>{creator}</b>
            </>
          ) : (
            "the system created"
          )}
          {credential.invitedAt && (
            <>
              {" "}
              (created <RelativeTime iso={credential.invitedAt} />)
            </>
          )}
          , redeemed <RelativeTime iso={credential.tokenCreatedAt} />
        </>
      );
    case "SELF":
      return (
        <>
          {token} they created themselves <OnDate iso={credential.tokenCreatedAt} />
          {credential.invitedBy && (
            <>
              ; their first came from an invitation by <b>{credential.invitedBy.handle}</b>
              {credential.invitationRedeemedAt && (
                <>
                  , redeemed <RelativeTime iso={credential.invitationRedeemedAt} />
                </>
              )}
            </>
          )}
        </>
      );
    case "BOOTSTRAP":
      return <>bootstrap token, set when the server started</>;
    case "SERVICE_ACCOUNT":
      return (
        <>
          service account {token}
          {creator && (
            <>
              , created by <b>{creator}</b>
            </>
          )}{" "}
          <OnDate iso={credential.tokenCreatedAt} />
        </>
      );
  }
}

/** How the token a reviewer decided with came to be, in words. */
export function ReviewerCredential({ credential }: { credential: Credential | null }) {
  return (
    <Text
      size="xs"
      c="dimmed"
      component="div"
      style={{ overflowWrap: "anywhere" }}
      data-testid="decision-credential"
      data-origin={credential?.origin ?? "UNRECORDED"}
    >
      Credential: <Provenance credential={credential} />
    </Text>
  );
}
