import { Anchor } from "@mantine/core";
import { Link } from "react-router";
import { EmptyState } from "../components/QueryState";

export function NotFoundView() {
  return (
    <EmptyState title="Nothing here">
      This page does not exist.{" "}
      <Anchor component={Link} to="/">
        Go to the start page
      </Anchor>
      .
    </EmptyState>
  );
}
