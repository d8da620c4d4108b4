import "reflect-metadata";
import { createDataSource } from "./data-source";

/** Entry point for the TypeORM CLI (`migration:generate`); the generate script sets DATABASE_URL. */
const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL must be set for the TypeORM CLI");
export default createDataSource({ url });
