import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";

/**
 * Entities from the rows of a hand-written statement, hydrated as TypeORM's own queries hydrate
 * them (an instance of the entity class, each column converted by the driver): a statement that
 * finds rows can answer them whole, instead of ids to load in a second round trip.
 */
export class EntityRows<T extends ObjectLiteral> {
  private readonly metadata: EntityMetadata;
  /** What the repository selects by default: no `select: false` column, no relation-only one. */
  readonly columns: readonly ColumnMetadata[];

  constructor(
    private readonly dataSource: DataSource,
    target: EntityTarget<T>,
  ) {
    this.metadata = dataSource.getMetadata(target);
    this.columns = this.metadata.columns.filter((c) => c.isSelect && !c.isVirtual);
  }

  /** The columns' database names, for a statement to select under those names. */
  get columnNames(): string[] {
    return this.columns.map((c) => c.databaseName);
  }

  /** The entity whose columns are the row's properties of the same database names. */
  hydrate(row: Record<string, unknown>): T {
    const entity = this.metadata.create(undefined, { fromDeserializer: true }) as T;
    for (const column of this.columns) column.setEntityValue(entity, this.dataSource.driver.prepareHydratedValue(row[column.databaseName], column));
    return entity;
  }
}
