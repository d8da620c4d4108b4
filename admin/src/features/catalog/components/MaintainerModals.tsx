import { useMutation } from "@apollo/client/react";
import { Code, Select, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { useState } from "react";
import { CatalogDeprecateVersionDocument, CatalogSetChannelDocument, CatalogYankVersionDocument } from "../../../gql/graphql";
import { ConfirmStepModal } from "./ConfirmStepModal";
import type { SkillChannel, SkillVersionRow } from "./skillTypes";

/** What a maintainer is doing right now; the page opens the matching modal. */
export type MaintainerAction =
  | { kind: "yank"; version: SkillVersionRow }
  | { kind: "deprecate"; version: SkillVersionRow }
  | { kind: "channel"; channel: string | null; version: string | null };

interface ModalProps {
  skillName: string;
  onClose: () => void;
  /** Refreshes the page and says what happened; awaited before the modal closes. */
  onDone: (notice: string) => Promise<void>;
}

export function YankVersionModal({ skillName, version, channels, onClose, onDone }: ModalProps & { version: SkillVersionRow; channels: SkillChannel[] }) {
  const [reason, setReason] = useState("");
  const [yank] = useMutation(CatalogYankVersionDocument);
  const label = `${skillName}@${version.version}`;
  const pointing = channels.filter((channel) => channel.name !== "latest" && channel.version?.id === version.id);
  return (
    <ConfirmStepModal
      title={`Yank ${label}`}
      testId="yank-modal"
      onClose={onClose}
      incomplete={reason.trim() ? null : "Give a reason to continue."}
      form={
        <Textarea
          label="Reason"
          description="Shown to everyone who still installs this version by an exact pin or a channel."
          placeholder="e.g. Leaks the API key in its logs; use 1.4.2"
          value={reason}
          onChange={(event) => setReason(event.currentTarget.value)}
          autosize
          minRows={3}
          required
          data-autofocus
          data-testid="yank-reason"
        />
      }
      summary={
        <Stack gap="xs">
          <Text size="sm">
            <b>{label}</b> will be yanked. Semver ranges and <Code>latest</Code> skip it from now on; exact pins and channels still install it, with this
            warning:
          </Text>
          <Text size="sm" fs="italic" style={{ overflowWrap: "anywhere" }}>
            “{reason.trim()}”
          </Text>
          {pointing.length > 0 && (
            <Text size="sm" c="orange.8">
              {pointing.map((channel) => channel.name).join(", ")} still {pointing.length === 1 ? "points" : "point"} at it: move{" "}
              {pointing.length === 1 ? "that channel" : "those channels"} too if nobody should get it.
            </Text>
          )}
        </Stack>
      }
      confirmLabel={`Yank ${version.version}`}
      onConfirm={async () => {
        await yank({ variables: { input: { versionId: version.id, reason: reason.trim() } } });
        await onDone(`${label} is yanked.`);
      }}
    />
  );
}

export function DeprecateVersionModal({ skillName, version, onClose, onDone }: ModalProps & { version: SkillVersionRow }) {
  const [message, setMessage] = useState(version.deprecation?.message ?? "");
  const [replacement, setReplacement] = useState(version.deprecation?.replacement?.name ?? "");
  const [deprecate] = useMutation(CatalogDeprecateVersionDocument);
  const label = `${skillName}@${version.version}`;
  const updating = version.status === "DEPRECATED";
  return (
    <ConfirmStepModal
      title={updating ? `Update the deprecation of ${label}` : `Deprecate ${label}`}
      testId="deprecate-modal"
      onClose={onClose}
      incomplete={message.trim() ? null : "Write a message to continue."}
      form={
        <Stack gap="sm">
          <Textarea
            label="Message"
            description="Shown to everyone who installs this version; it stays installable."
            placeholder="e.g. 1.x is no longer maintained: move to 2.x"
            value={message}
            onChange={(event) => setMessage(event.currentTarget.value)}
            autosize
            minRows={3}
            required
            data-autofocus
            data-testid="deprecate-message"
          />
          <TextInput
            label="Replacement skill (optional)"
            description="The name of a skill to use instead."
            placeholder="e.g. pdf-tools-v2"
            value={replacement}
            onChange={(event) => setReplacement(event.currentTarget.value)}
            data-testid="deprecate-replacement"
          />
        </Stack>
      }
      summary={
        <Stack gap="xs">
          <Text size="sm">
            <b>{label}</b> will {updating ? "stay" : "be"} deprecated. It stays installable; every install warns:
          </Text>
          <Text size="sm" fs="italic" style={{ overflowWrap: "anywhere" }}>
            “{message.trim()}”
          </Text>
          <Text size="sm">
            {replacement.trim() ? (
              <>
                Suggested instead: <b>{replacement.trim()}</b>
              </>
            ) : (
              "No replacement is named."
            )}
          </Text>
        </Stack>
      }
      confirmLabel={updating ? "Update deprecation" : `Deprecate ${version.version}`}
      confirmColor="yellow"
      onConfirm={async () => {
        await deprecate({
          variables: { input: { versionId: version.id, message: message.trim(), ...(replacement.trim() ? { replacement: replacement.trim() } : {}) } },
        });
        await onDone(updating ? `The deprecation of ${label} is updated.` : `${label} is deprecated.`);
      }}
    />
  );
}

const CHANNEL_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** The longest reason setChannel keeps. */
const MAX_CHANNEL_REASON = 1000;

function channelNameProblem(name: string): string | null {
  if (!name) return "Name the channel to continue.";
  if (name === "latest") return "`latest` follows the highest published version by itself; pick another name.";
  if (!CHANNEL_NAME.test(name)) return "Channel names are 1-32 lowercase letters, digits and hyphens, starting with a letter.";
  return null;
}

export function MoveChannelModal({
  skillName,
  channel: fixedChannel,
  version: initialVersion,
  versions,
  channels,
  onClose,
  onDone,
}: ModalProps & { channel: string | null; version: string | null; versions: SkillVersionRow[]; channels: SkillChannel[] }) {
  const [name, setName] = useState(fixedChannel ?? "");
  const [target, setTarget] = useState<string | null>(initialVersion);
  const [reason, setReason] = useState("");
  const [setChannel] = useMutation(CatalogSetChannelDocument);
  // Only installable versions can be pointed at.
  const installable = versions.filter((version) => version.status === "PUBLISHED" || version.status === "DEPRECATED");
  const channelName = name.trim();
  const current = channels.find((channel) => channel.name === channelName)?.version?.version ?? null;
  const incomplete =
    channelNameProblem(channelName) ?? (target ? (target === current ? `${channelName} already points at ${target}.` : null) : "Pick a version to continue.");

  return (
    <ConfirmStepModal
      title={fixedChannel ? `Move the ${fixedChannel} channel` : "Point a channel at a version"}
      testId="channel-modal"
      onClose={onClose}
      incomplete={incomplete}
      form={
        <Stack gap="sm">
          {fixedChannel ? (
            <Text size="sm">
              <b>{fixedChannel}</b> points at <b>{current ?? "nothing"}</b> now.
            </Text>
          ) : (
            <TextInput
              label="Channel"
              description={`An existing channel (${
                channels
                  .filter((channel) => channel.name !== "latest")
                  .map((channel) => channel.name)
                  .join(", ") || "none yet"
              }) or a new one.`}
              placeholder="e.g. stable"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
              required
              data-autofocus
              data-testid="channel-name"
            />
          )}
          <Select
            label="Version"
            description="Published or deprecated versions only."
            placeholder={installable.length ? "Pick a version" : "No installable version"}
            data={installable.map((version) => ({
              value: version.version,
              label: version.status === "DEPRECATED" ? `${version.version} (deprecated)` : version.version,
            }))}
            value={target}
            onChange={setTarget}
            searchable
            data-testid="channel-version"
          />
          <Textarea
            label="Reason"
            description="Optional, kept in the audit log: the cause of a rollback, the ticket of a promotion."
            placeholder="e.g. 2.1.0 breaks CSV exports; back to 2.0.3"
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            maxLength={MAX_CHANNEL_REASON}
            autosize
            minRows={2}
            data-testid="channel-reason"
          />
        </Stack>
      }
      summary={
        <Stack gap="xs">
          <Text size="sm">
            {current ? (
              <>
                <b>{channelName}</b> moves from <b>{current}</b> to <b>{target}</b>.
              </>
            ) : (
              <>
                A new channel <b>{channelName}</b> will point at <b>{target}</b>.
              </>
            )}
          </Text>
          <Text size="sm">
            Installs of <Code>{`${skillName}@${channelName}`}</Code> get {target} from now on, and so does Claude Code on machines following the {channelName}{" "}
            channel’s marketplace, at its next update.
          </Text>
          {reason.trim() && (
            <Text size="sm" fs="italic" style={{ overflowWrap: "anywhere" }}>
              “{reason.trim()}”
            </Text>
          )}
        </Stack>
      }
      confirmLabel={current ? `Move ${channelName}` : `Create ${channelName}`}
      confirmColor="indigo"
      onConfirm={async () => {
        if (!target) return;
        await setChannel({ variables: { input: { skill: skillName, channel: channelName, version: target, reason: reason.trim() || null } } });
        await onDone(current ? `${channelName} now points at ${target} (was ${current}).` : `${channelName} now points at ${target}.`);
      }}
    />
  );
}
