// The server suite's builder of Claude Code's telemetry, shared so e2e seeds usage exactly as
// Claude Code sends it (OTLP/JSON log events to /v1/logs).
export { ClaudeSession, logsRequest, postLogs } from "../../server/test/support/claude-telemetry";
