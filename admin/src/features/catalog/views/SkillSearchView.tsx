import { useQuery } from "@apollo/client/react";
import { Button, CloseButton, Group, Loader, Select, SimpleGrid, Stack, TagsInput, Text, TextInput } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { IconSearch } from "@tabler/icons-react";
import { useEffect, useMemo, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, ErrorState, LoadingState } from "../../../components/QueryState";
import { CatalogFacetsDocument, CatalogSearchDocument } from "../../../gql/graphql";
import { effectiveSort, readSearch, SORTS, writeSearch, type CatalogSearch, type SkillSort } from "../components/searchParams";
import { SkillResultRow } from "../components/SkillResultRow";

const SEARCH_DEBOUNCE_MS = 300;

export function SkillSearchView() {
  const [params, setParams] = useSearchParams();
  const search = readSearch(params);
  const sort = effectiveSort(search);
  const q = search.q.trim();
  const filtered = Boolean(q || search.category || search.tags.length > 0);

  // Typing replaces the history entry (one per search, not per keystroke); filters push one.
  const update = (patch: Partial<CatalogSearch>, replace = false) => setParams(writeSearch({ ...search, ...patch }), { replace });

  // The box shows what is typed; the URL gets it after a pause. Back/forward put the URL's query back in the box.
  const [text, setText] = useState(search.q);
  const committedRef = useRef(search.q);
  useEffect(() => {
    if (search.q !== committedRef.current) {
      committedRef.current = search.q;
      setText(search.q);
    }
  }, [search.q]);
  const commitText = useDebouncedCallback((value: string) => {
    committedRef.current = value;
    update({ q: value }, true);
  }, SEARCH_DEBOUNCE_MS);
  /** Empties the box at once; a search still waiting for the pause must not bring the text back. */
  const clearText = () => {
    commitText.cancel();
    setText("");
    committedRef.current = "";
  };
  /** Back to every skill: no text, no filters, default sort. */
  const clearSearch = () => {
    clearText();
    setParams(new URLSearchParams());
  };

  const variables = {
    query: q || undefined,
    category: search.category ?? undefined,
    tags: search.tags.length > 0 ? search.tags : undefined,
    sort,
  };
  const { data, previousData, loading, error, refetch, fetchMore } = useQuery(CatalogSearchDocument, { variables, notifyOnNetworkStatusChange: true });
  const facets = useQuery(CatalogFacetsDocument);

  const options = useMemo(() => {
    const categories = new Set<string>();
    const tags = new Set<string>();
    for (const edge of facets.data?.skills.edges ?? []) {
      categories.add(edge.node.category);
      for (const tag of edge.node.tags) tags.add(tag);
    }
    if (search.category) categories.add(search.category);
    return { categories: [...categories].sort(), tags: [...tags].sort() };
  }, [facets.data, search.category]);

  // While a new search loads, the previous results stay (dimmed) instead of flashing a spinner.
  const shown = data ?? previousData;
  const stale = !data && loading;
  const skills = shown?.skills;

  const loadMore = (after: string) =>
    fetchMore({
      variables: { after },
      updateQuery: (previous, { fetchMoreResult }) => ({
        skills: appendEdges(previous.skills, fetchMoreResult.skills),
      }),
    });

  return (
    <Stack gap="md">
      <PageHeader title="Catalog" subtitle="Skills with an installable version, from every team." />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
        <TextInput
          label="Search"
          placeholder="Name, tag or words from the description"
          leftSection={<IconSearch size={16} />}
          value={text}
          onChange={(event) => {
            setText(event.currentTarget.value);
            commitText(event.currentTarget.value);
          }}
          onKeyDown={(event) => {
            if (event.key === "Enter") commitText.flush();
          }}
          rightSection={
            loading ? (
              <Loader size="xs" />
            ) : text ? (
              <CloseButton
                aria-label="Clear the search"
                onClick={() => {
                  clearText();
                  update({ q: "" });
                }}
              />
            ) : null
          }
          data-testid="catalog-search-input"
        />
        <Select
          label="Category"
          placeholder="Any category"
          data={options.categories}
          value={search.category}
          onChange={(category) => update({ category })}
          searchable
          clearable
          nothingFoundMessage="No such category among listed skills"
          data-testid="catalog-category"
        />
        <TagsInput
          label="Tags"
          placeholder={search.tags.length ? "" : "Skills with all of these tags"}
          data={options.tags}
          value={search.tags}
          onChange={(tags) => update({ tags })}
          clearable
          data-testid="catalog-tags"
        />
        <Select
          label="Sort by"
          data={SORTS.map((option) => ({ value: option.value, label: option.label, disabled: option.value === "RELEVANCE" && !q }))}
          value={sort}
          onChange={(value) => value && update({ sort: value as SkillSort })}
          allowDeselect={false}
          description={q ? undefined : "Relevance needs a search term"}
          data-testid="catalog-sort"
        />
      </SimpleGrid>

      {error && !skills ? (
        <ErrorState error={error} onRetry={() => void refetch()} />
      ) : !skills ? (
        <LoadingState label="Searching…" />
      ) : skills.edges.length === 0 ? (
        <EmptyState title={q ? `No skills match “${q}”` : filtered ? "No skills match these filters" : "No skills published yet"}>
          {filtered ? (
            <>
              Try fewer words or filters.{" "}
              <Button variant="subtle" size="compact-sm" onClick={clearSearch}>
                Clear the search
              </Button>
            </>
          ) : (
            "Skills appear here once a version of them passes its tests (and review, when it needs one)."
          )}
        </EmptyState>
      ) : (
        <Stack gap="xs" style={{ opacity: stale ? 0.55 : 1, transition: "opacity 120ms" }} aria-busy={stale} data-testid="catalog-results">
          <Group justify="space-between">
            <Text size="sm" c="dimmed" data-testid="catalog-result-count">
              {skills.totalCount !== null
                ? // Past the server's cap the count is a lower bound: "1,000+ skills match".
                  `${skills.totalCount.toLocaleString()}${skills.totalCountIsCapped ? "+" : ""} ${skills.totalCount === 1 ? "skill matches" : "skills match"}`
                : `Showing ${skills.edges.length.toLocaleString()} ${skills.edges.length === 1 ? "skill" : "skills"}`}
              {` · ${SORTS.find((option) => option.value === sort)?.order ?? ""}`}
            </Text>
            {filtered && (
              <Button variant="subtle" size="compact-sm" onClick={clearSearch}>
                Clear the search
              </Button>
            )}
          </Group>
          {skills.edges.map((edge) => (
            <SkillResultRow key={edge.node.id} skill={edge.node} />
          ))}
          {skills.pageInfo.hasNextPage && skills.pageInfo.endCursor && (
            <LoadMoreButton label="Load more" size="sm" onLoadMore={() => loadMore(skills.pageInfo.endCursor ?? "")} testId="catalog-load-more" />
          )}
          {error && <ErrorState error={error} onRetry={() => void refetch()} />}
        </Stack>
      )}
    </Stack>
  );
}
