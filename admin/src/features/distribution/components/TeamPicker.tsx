import { Combobox, Group, InputBase, Text, useCombobox } from "@mantine/core";
import { teamNameProblem } from "@skillyard/core/src/input-rules";
import { useEffect, useState } from "react";

export interface TeamGroup {
  label: string;
  teams: readonly string[];
}

/** "Everyone" in the picker stands for the whole organisation (a null team). */
const EVERYONE = "\u0000everyone";

/**
 * Picks whose machines a section is about: the whole organisation (when `everyone`) or a team.
 * Known teams are offered in groups; with `allowOther`, typing any other team name offers to open
 * it (there is no list of every team to choose from, and the server says when it does not exist).
 */
export function TeamPicker({
  value,
  onChange,
  everyone,
  groups,
  allowOther,
  label,
  description,
  testId,
}: {
  value: string | null;
  onChange: (team: string | null) => void;
  everyone: boolean;
  groups: readonly TeamGroup[];
  allowOther: boolean;
  label: string;
  description?: string;
  testId: string;
}) {
  const combobox = useCombobox({ onDropdownClose: () => combobox.resetSelectedOption() });
  const [search, setSearch] = useState<string | null>(null);
  // Typing makes the best match the active option, so Enter picks it.
  const { selectFirstOption } = combobox;
  useEffect(() => {
    if (search !== null) selectFirstOption();
  }, [search, selectFirstOption]);
  const shown = value ?? "Everyone";
  const typed = search?.trim().toLowerCase() ?? "";
  const matches = (text: string) => typed === "" || text.toLowerCase().includes(typed);
  const known = new Set(groups.flatMap((group) => group.teams));
  const offerOther = allowOther && typed !== "" && !known.has(typed) && teamNameProblem(typed) === null;

  const choose = (option: string) => {
    onChange(option === EVERYONE ? null : option);
    setSearch(null);
    combobox.closeDropdown();
  };

  const visibleGroups = groups.map((group) => ({ ...group, teams: group.teams.filter(matches) })).filter((group) => group.teams.length > 0);
  const showEveryone = everyone && matches("Everyone");
  const nothing = !showEveryone && visibleGroups.length === 0 && !offerOther;

  return (
    <Combobox store={combobox} onOptionSubmit={choose}>
      <Combobox.Target>
        <InputBase
          label={label}
          description={description}
          rightSection={<Combobox.Chevron />}
          rightSectionPointerEvents="none"
          value={search ?? shown}
          placeholder={allowOther ? "Find or type a team" : "Find a team"}
          onChange={(event) => {
            setSearch(event.currentTarget.value);
            combobox.openDropdown();
          }}
          onClick={() => combobox.openDropdown()}
          onFocus={(event) => {
            event.currentTarget.select();
            combobox.openDropdown();
          }}
          onBlur={() => {
            setSearch(null);
            combobox.closeDropdown();
          }}
          styles={{ wrapper: { width: "min(100%, 300px)" } }}
          data-testid={testId}
          data-team={value ?? ""}
        />
      </Combobox.Target>
      <Combobox.Dropdown>
        <Combobox.Options mah={280} style={{ overflowY: "auto" }}>
          {showEveryone && (
            <Combobox.Option value={EVERYONE} active={value === null} data-testid="team-option" data-team="">
              <Text size="sm" fw={500}>
                Everyone
              </Text>
              <Text size="xs" c="dimmed">
                every machine of the organisation
              </Text>
            </Combobox.Option>
          )}
          {visibleGroups.map((group) => (
            <Combobox.Group key={group.label} label={group.label}>
              {group.teams.map((team) => (
                <Combobox.Option key={team} value={team} active={team === value} data-testid="team-option" data-team={team}>
                  {team}
                </Combobox.Option>
              ))}
            </Combobox.Group>
          ))}
          {offerOther && (
            <Combobox.Option value={typed} data-testid="team-option" data-team={typed}>
              <Group gap={4}>
                <Text size="sm">Open team</Text>
                <Text size="sm" fw={600}>
                  {typed}
                </Text>
              </Group>
            </Combobox.Option>
          )}
          {nothing && <Combobox.Empty>{allowOther && typed ? teamNameProblem(typed) : "No team matches"}</Combobox.Empty>}
        </Combobox.Options>
      </Combobox.Dropdown>
    </Combobox>
  );
}
