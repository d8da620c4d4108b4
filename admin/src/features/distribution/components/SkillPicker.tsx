import { useQuery } from "@apollo/client/react";
import { Autocomplete, Loader, Stack, Text } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { DistributionSkillSuggestionsDocument } from "../../../gql/graphql";

/** A skill name, typed or picked from installable skills that match it (only those can be required). */
export function SkillPicker({ value, onChange, error, testId }: { value: string; onChange: (name: string) => void; error: string | null; testId: string }) {
  const [query] = useDebouncedValue(value.trim(), 200);
  const { data, loading } = useQuery(DistributionSkillSuggestionsDocument, { variables: { query }, skip: query === "" });
  const skills = query === "" ? [] : (data?.skills.edges.map((edge) => edge.node) ?? []);
  const descriptions = new Map(skills.map((skill) => [skill.name, skill.description]));
  return (
    <Autocomplete
      label="Skill"
      placeholder="Find a skill in the catalog"
      value={value}
      onChange={onChange}
      data={skills.map((skill) => skill.name)}
      filter={({ options }) => options}
      renderOption={({ option }) => (
        <Stack gap={0} style={{ minWidth: 0 }}>
          <Text size="sm" fw={500}>
            {option.value}
          </Text>
          <Text size="xs" c="dimmed" lineClamp={1}>
            {descriptions.get(option.value)}
          </Text>
        </Stack>
      )}
      rightSection={loading ? <Loader size={14} /> : null}
      error={error}
      comboboxProps={{ withinPortal: true }}
      style={{ flex: "1 1 260px" }}
      data-testid={testId}
    />
  );
}
