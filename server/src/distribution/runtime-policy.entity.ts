import { Column, CreateDateColumn, Entity, ManyToOne, PrimaryColumn } from "typeorm";
import { User } from "../identity/user.entity";

/** One rule of the runtime policy: a tool call it blocks, and what Claude Code tells the model. */
export interface RuntimePolicyRule {
  /** POSIX extended regular expression matched against the tool name (e.g. `^Bash$`). */
  tools: string;
  /** POSIX extended regular expression matched against the call's command, file path, or URL. */
  pattern: string;
  /** Shown to the model (and so to the developer) when the rule blocks a call. */
  reason: string;
}

/**
 * The organisation's runtime policy, append-only: each edit is a new version, and the newest is in
 * force. Each version is shipped as a small plugin (`<marketplace>-policy`) whose archive is built
 * when the version is saved, so the hook script every machine runs is pinned by digest.
 */
@Entity()
export class RuntimePolicy {
  @PrimaryColumn({ type: "integer" })
  version: number;

  @Column({ type: "jsonb" })
  rules: RuntimePolicyRule[];

  @Column({ type: "char", length: 64 })
  pluginSha256: string;

  @Column({ type: "integer" })
  pluginSize: number;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  createdBy: User | null;

  /** Null for the defaults Skillyard installs on first start. */
  @Column({ type: "uuid", nullable: true })
  createdById: string | null;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
