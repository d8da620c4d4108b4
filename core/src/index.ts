export * from "./errors";
export * from "./manifest";
export * from "./archive";
export * from "./input-rules";
export * from "./skill-md";
