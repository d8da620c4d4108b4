import type { EntityManager } from "typeorm";
import { AuditAction, AuditEvent } from "./audit-event.entity";

export interface AuditEntry {
  actorId: string | null;
  action: AuditAction;
  targetType: string;
  targetId: string;
  skillId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Reacts to recorded actions inside the same transaction (webhook deliveries are enqueued this way). */
export type AuditListener = (em: EntityManager, event: AuditEvent) => Promise<void>;

/**
 * The one way governance actions are recorded. Always called inside the transaction that makes the
 * change, so the change and its record commit together.
 */
export class AuditService {
  private readonly listeners: AuditListener[] = [];

  onRecorded(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  async record(em: EntityManager, entry: AuditEntry): Promise<AuditEvent> {
    const event = await em.getRepository(AuditEvent).save(
      em.getRepository(AuditEvent).create({
        actorId: entry.actorId,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId,
        skillId: entry.skillId ?? null,
        before: entry.before ?? null,
        after: entry.after ?? null,
      }),
    );
    for (const listener of this.listeners) await listener(em, event);
    return event;
  }
}
