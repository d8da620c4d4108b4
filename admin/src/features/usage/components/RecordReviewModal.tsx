import { useMutation, useQuery } from "@apollo/client/react";
import { Button, Code, Group, Modal, Radio, Select, Stack, Text, Textarea } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { ActionError } from "../../../components/ErrorMessage";
import { statusLabel } from "../../../components/badges";
import { ErrorState, LoadingState } from "../../../components/QueryState";
import {
  CatalogSkillDocument,
  UsageRecordQualityReviewDocument,
  UsageReviewableVersionsDocument,
  UsageReviewsDueDocument,
  UsageSkillDocument,
  type QualityReviewOutcome,
} from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { MAX_REVIEW_NOTES, OUTCOME_INFO, OUTCOMES } from "../usage-format";

/** Only versions people can install are reviewed (the server refuses others with QUALITY_REVIEW_INVALID). */
const REVIEWABLE = new Set(["PUBLISHED", "DEPRECATED"]);

/** What the modal reports to the page once a review is stored. */
export interface RecordedReview {
  skill: string;
  version: string;
  outcome: QualityReviewOutcome;
}

export function recordedNotice({ skill, version, outcome }: RecordedReview): string {
  const label = `${skill}@${version}`;
  switch (outcome) {
    case "PASS":
      return `Recorded a pass for ${label}: its next review is scheduled from now.`;
    case "NEEDS_WORK":
      return `Recorded that ${label} needs work: tell ${skill}’s maintainers what to improve.`;
    case "PULL":
      return `Pulled ${label}: it is deprecated, with your notes as its message.`;
  }
}

/**
 * Records a quality review of one of the skill's installable versions: the version, an outcome and
 * notes. Pulling deprecates the version, so it asks for confirmation first; the server's refusals
 * show in the dialog with their code (and mark the field they name).
 */
export function RecordReviewModal({
  skillName,
  initialVersion,
  onClose,
  onRecorded,
}: {
  skillName: string;
  /** The version to preselect (e.g. the latest); the latest installable one otherwise. */
  initialVersion?: string | null;
  onClose: () => void;
  onRecorded: (review: RecordedReview) => void;
}) {
  const { data, error, refetch } = useQuery(UsageReviewableVersionsDocument, { variables: { name: skillName }, fetchPolicy: "network-only" });
  const versions = (data?.skill?.versions.edges ?? []).map((edge) => edge.node).filter((version) => REVIEWABLE.has(version.status));
  const latest = data?.skill?.latestVersion?.version ?? null;
  const [chosen, setChosen] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<QualityReviewOutcome>("PASS");
  const [notes, setNotes] = useState("");
  const [step, setStep] = useState<"form" | "confirm">("form");
  const [touched, setTouched] = useState(false);
  const [failure, setFailure] = useState<DescribedError | null>(null);
  const [record, { loading }] = useMutation(UsageRecordQualityReviewDocument, {
    refetchQueries: [UsageReviewsDueDocument, UsageSkillDocument, CatalogSkillDocument, UsageReviewableVersionsDocument],
    awaitRefetchQueries: true,
  });

  const preferred = [chosen, initialVersion, latest].find((candidate) => candidate && versions.some((version) => version.version === candidate));
  const version = preferred ?? versions[0]?.version ?? null;
  const trimmed = notes.trim();
  const notesProblem =
    trimmed === "" ? "Say what you checked and what you found." : trimmed.length > MAX_REVIEW_NOTES ? `At most ${MAX_REVIEW_NOTES} characters.` : null;
  const label = `${skillName}@${version ?? "?"}`;

  async function save() {
    if (!version) return;
    setFailure(null);
    try {
      await record({ variables: { input: { skill: skillName, version, outcome, notes: trimmed } } });
      onRecorded({ skill: skillName, version, outcome });
    } catch (caught) {
      const described = describeError(caught);
      setFailure(described);
      // A refusal about the form's fields goes back to the form, next to the field it names.
      if (described.argument === "notes" || described.argument === "version") setStep("form");
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (!version || notesProblem) return;
    if (outcome === "PULL") {
      setFailure(null);
      setStep("confirm");
    } else void save();
  }

  const fieldError = (field: "notes" | "version") => (failure?.argument === field ? failure.message : null);

  const body = () => {
    if (!data) return error ? <ErrorState error={error} onRetry={() => void refetch()} /> : <LoadingState />;
    if (versions.length === 0) {
      return (
        <Stack gap="sm">
          <Text size="sm" data-testid="review-no-versions">
            {skillName} has no installable version to review.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
          </Group>
        </Stack>
      );
    }
    if (step === "confirm") {
      return (
        <Stack gap="md">
          <Stack gap="xs" data-testid="review-confirm-summary">
            <Group gap="xs" wrap="nowrap" align="flex-start">
              <IconAlertTriangle size={20} color="var(--mantine-color-red-7)" style={{ flexShrink: 0 }} aria-hidden />
              <Text size="sm">
                Pulling <b>deprecates {label}</b> for everyone: it stays installable, but every install warns with your notes, and teams are told to move off
                it.
              </Text>
            </Group>
            <Text size="sm" fs="italic" style={{ overflowWrap: "anywhere" }}>
              “Pulled after a quality review: {trimmed}”
            </Text>
          </Stack>
          {failure && <ActionError title="Not recorded" error={failure} testId="record-review-error" />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={() => setStep("form")} disabled={loading}>
              Back
            </Button>
            <Button color="red" loading={loading} onClick={() => void save()} data-testid="review-confirm">
              Pull {version}
            </Button>
          </Group>
        </Stack>
      );
    }
    return (
      <form onSubmit={submit} noValidate aria-label={`Record a quality review of ${skillName}`}>
        <Stack gap="md">
          <Select
            label="Version reviewed"
            data={versions.map((v) => ({
              value: v.version,
              label: `${v.version}${v.version === latest ? " (latest)" : ""}${v.status !== "PUBLISHED" ? ` (${statusLabel(v.status)})` : ""}`,
            }))}
            value={version}
            onChange={(value) => {
              setChosen(value);
              if (failure?.argument === "version") setFailure(null);
            }}
            allowDeselect={false}
            error={fieldError("version")}
            comboboxProps={{ withinPortal: true }}
            data-testid="review-version"
          />
          <Radio.Group label="Outcome" value={outcome} onChange={(value) => setOutcome(value as QualityReviewOutcome)} data-testid="review-outcome">
            <Stack gap="xs" mt={6}>
              {OUTCOMES.map((value) => (
                <Radio
                  key={value}
                  value={value}
                  color={OUTCOME_INFO[value].color}
                  label={OUTCOME_INFO[value].label}
                  description={OUTCOME_INFO[value].description}
                  data-testid={`review-outcome-${value}`}
                />
              ))}
            </Stack>
          </Radio.Group>
          <Textarea
            label="Notes"
            description={
              outcome === "PULL" ? (
                <>
                  Become the deprecation message: <Code>Pulled after a quality review: …</Code>
                </>
              ) : (
                "What you checked and what you found."
              )
            }
            value={notes}
            onChange={(event) => {
              setNotes(event.currentTarget.value);
              if (failure?.argument === "notes") setFailure(null);
            }}
            error={fieldError("notes") ?? (touched ? notesProblem : null)}
            autosize
            minRows={3}
            maxRows={10}
            maxLength={MAX_REVIEW_NOTES}
            required
            data-autofocus
            data-testid="review-notes"
          />
          <Text size="xs" c="dimmed" ta="right" mt={-10}>
            {trimmed.length} / {MAX_REVIEW_NOTES}
          </Text>
          {failure && <ActionError title="Not recorded" error={failure} testId="record-review-error" />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose} disabled={loading}>
              Cancel
            </Button>
            <Button type="submit" color={outcome === "PULL" ? "red" : undefined} loading={loading} data-testid="review-submit">
              {outcome === "PULL" ? "Continue" : "Record review"}
            </Button>
          </Group>
        </Stack>
      </form>
    );
  };

  return (
    <Modal
      opened
      onClose={loading ? () => undefined : onClose}
      closeOnClickOutside={!loading}
      title={step === "confirm" ? `Pull ${label}?` : `Quality review of ${skillName}`}
      size="lg"
      data-testid="record-review-modal"
    >
      {body()}
    </Modal>
  );
}
