import { Group, Rating, Text, Tooltip } from "@mantine/core";
import { IconDownload } from "@tabler/icons-react";

/** Mean rating as stars and a number, or "not rated yet". */
export function SkillRating({ rating, reviewCount, size = "sm" }: { rating: number | null; reviewCount: number; size?: "xs" | "sm" | "md" }) {
  if (rating === null) {
    return (
      <Text size={size} c="dimmed" data-testid="skill-rating" data-rating="">
        not rated yet
      </Text>
    );
  }
  return (
    <Group gap={6} wrap="nowrap" data-testid="skill-rating" data-rating={rating.toFixed(2)}>
      <Rating value={rating} fractions={4} readOnly size={size} aria-label={`Rated ${rating.toFixed(1)} out of 5`} />
      <Text size={size} fw={500}>
        {rating.toFixed(1)}
      </Text>
      <Text size={size} c="dimmed">
        ({reviewCount} {reviewCount === 1 ? "rating" : "ratings"})
      </Text>
    </Group>
  );
}

export function SkillDownloads({ downloads, size = "sm" }: { downloads: number; size?: "xs" | "sm" | "md" }) {
  return (
    <Tooltip label="Installs of any version by any team" withArrow>
      <Group gap={4} wrap="nowrap" data-testid="skill-downloads" data-downloads={downloads}>
        <IconDownload size={14} aria-hidden />
        <Text size={size}>
          {downloads.toLocaleString()} {downloads === 1 ? "install" : "installs"}
        </Text>
      </Group>
    </Tooltip>
  );
}
