import { Alert, Button, Group, Modal, Stack, Text, type MantineColor } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useState, type ReactNode } from "react";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { describeError } from "../../../lib/errors";

/**
 * A maintainer action in two steps: fill in the form, then read exactly what will happen and
 * confirm. A failure keeps the modal open on the confirm step with the server's message and code.
 */
export function ConfirmStepModal({
  title,
  onClose,
  form,
  incomplete,
  summary,
  confirmLabel,
  confirmColor = "red",
  onConfirm,
  testId,
}: {
  title: string;
  onClose: () => void;
  form: ReactNode;
  /** Why the form cannot go on yet (shown next to the disabled button); null when it can. */
  incomplete: string | null;
  summary: ReactNode;
  confirmLabel: string;
  confirmColor?: MantineColor;
  /** Runs the mutation and refreshes the page; throws to show the error. */
  onConfirm: () => Promise<void>;
  testId: string;
}) {
  const [step, setStep] = useState<"form" | "confirm">("form");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const confirm = async () => {
    setSubmitting(true);
    setError(null);
    try {
      await onConfirm();
    } catch (failure) {
      setError(failure);
      setSubmitting(false);
    }
  };

  const described = error === null ? null : describeError(error);
  return (
    <Modal opened onClose={submitting ? () => undefined : onClose} title={title} size="lg" data-testid={testId} closeOnClickOutside={!submitting}>
      {step === "form" ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!incomplete) setStep("confirm");
          }}
        >
          <Stack gap="md">
            {form}
            <Group justify="flex-end" gap="sm" wrap="wrap">
              {incomplete && (
                <Text size="sm" c="dimmed" data-testid="modal-incomplete">
                  {incomplete}
                </Text>
              )}
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" disabled={incomplete !== null} data-testid="modal-continue">
                Continue
              </Button>
            </Group>
          </Stack>
        </form>
      ) : (
        <Stack gap="md">
          <div data-testid="modal-summary">{summary}</div>
          {described && (
            <Alert
              color="red"
              icon={<IconAlertTriangle size={18} />}
              title="The server refused this"
              data-testid="modal-error"
              data-code={described.code ?? ""}
            >
              <ErrorMessage error={described} />
            </Alert>
          )}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={() => setStep("form")} disabled={submitting}>
              Back
            </Button>
            <Button color={confirmColor} loading={submitting} onClick={() => void confirm()} data-testid="modal-confirm">
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
