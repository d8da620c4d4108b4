import { Typography } from "@mantine/core";
import ReactMarkdown from "react-markdown";

/** Renders a skill's README. Raw HTML in the Markdown is not rendered (react-markdown's default). */
export function Markdown({ source }: { source: string }) {
  return (
    <Typography data-testid="markdown">
      <ReactMarkdown>{source}</ReactMarkdown>
    </Typography>
  );
}
