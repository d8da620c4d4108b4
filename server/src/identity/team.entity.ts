import { Column, Entity } from "typeorm";
import { BaseEntity } from "../common/base.entity";

/** A team is both a namespace that owns skills and a tenant that installs them. */
@Entity()
export class Team extends BaseEntity {
  @Column({ type: "text", unique: true })
  name: string;
}
