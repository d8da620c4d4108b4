import type { EntityManager } from "typeorm";
import { Permission } from "./permission.entity";

/** The catalogue entry a requested permission falls under: itself, or its longest `:`-prefix. */
export function catalogueEntryName(requested: string, catalogue: ReadonlySet<string>): string | null {
  const parts = requested.split(":");
  for (let n = parts.length; n >= 1; n--) {
    const candidate = parts.slice(0, n).join(":");
    if (catalogue.has(candidate)) return candidate;
  }
  return null;
}

export class PermissionCatalogueService {
  async names(em: EntityManager): Promise<Set<string>> {
    const rows = await em.getRepository(Permission).find({ select: { name: true } });
    return new Set(rows.map((r) => r.name));
  }
}
