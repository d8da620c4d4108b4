import { permissionDescriptionProblem, permissionNameProblem, SkillyardError } from "@skillyard/core";
import type { DataSource, EntityManager } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { requireViewer, type ViewerContext } from "../identity/viewer";
import { Permission, type PermissionRisk } from "./permission.entity";

/** The catalogue entry a requested permission falls under: itself, or its longest `:`-prefix. */
export function catalogueEntryName(requested: string, catalogue: ReadonlySet<string>): string | null {
  const parts = requested.split(":");
  for (let n = parts.length; n >= 1; n--) {
    const candidate = parts.slice(0, n).join(":");
    if (catalogue.has(candidate)) return candidate;
  }
  return null;
}

/** The permission catalogue: what each permission allows and how risky it is. Edited by admins. */
export class PermissionCatalogueService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async names(em: EntityManager): Promise<Set<string>> {
    const rows = await em.getRepository(Permission).find({ select: { name: true } });
    return new Set(rows.map((r) => r.name));
  }

  list(): Promise<Permission[]> {
    return this.dataSource.getRepository(Permission).find({ order: { name: "ASC" } });
  }

  async setPermission(ctx: ViewerContext, input: { name: string; description: string; risk: PermissionRisk }): Promise<Permission> {
    const admin = requireViewer(ctx).user;
    for (const [argument, problem] of [
      ["name", permissionNameProblem(input.name)],
      ["description", permissionDescriptionProblem(input.description)],
    ] as const) {
      if (problem) throw new SkillyardError("BAD_USER_INPUT", problem, { argument });
    }
    return this.dataSource.transaction(async (em) => {
      const existing = await em.findOneBy(Permission, { name: input.name });
      const before = existing ? { description: existing.description, risk: existing.risk } : null;
      const saved = await em.save(Permission, { name: input.name, description: input.description.trim(), risk: input.risk });
      await this.audit.record(em, {
        actorId: admin.id,
        action: AuditAction.PERMISSION_EDIT,
        targetType: "Permission",
        targetId: saved.name,
        before,
        after: { description: saved.description, risk: saved.risk },
      });
      return saved;
    });
  }
}
