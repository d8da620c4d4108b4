import path from "node:path";
import { DataSource, type Logger as TypeOrmLogger } from "typeorm";
import { ENTITIES } from "./entities";
import { SnakeNamingStrategy } from "./snake-naming.strategy";

/** Both `src/db` (development) and `dist/server/src/db` are three levels below the folder holding `migrations/`. */
export const MIGRATIONS_GLOB = path.join(__dirname, "..", "..", "..", "migrations", "*.{js,ts}");

export interface DataSourceOptions {
  url: string;
  /** Receives every SQL statement; tests use it to count queries. */
  queryLogger?: TypeOrmLogger;
  poolSize?: number;
}

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: "postgres",
    url: options.url,
    entities: ENTITIES,
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: "typeorm_migrations",
    migrationsTransactionMode: "each",
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    logging: options.queryLogger ? ["query"] : false,
    logger: options.queryLogger,
    extra: { max: options.poolSize ?? 20, application_name: "skillyard" },
  });
}
