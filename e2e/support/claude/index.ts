// The Claude Code harness: the real Claude Code CLI against an HTTPS marketplace and a scripted model.
export * from "./binary";
export * from "./fixtures";
export * from "./hosts";
export * from "./https-front";
export * from "./managed-settings";
export * from "./model";
export * from "./runner";
export * from "./tls";
export * from "./zip";
export * from "./otlp";
