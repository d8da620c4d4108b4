import { Client } from "pg";
import type { Logger } from "./logger";

export type NotificationHandler = (payload: string) => void;

/**
 * One LISTEN connection per process, shared by every feature that reacts to PostgreSQL NOTIFY
 * (live test output, token revocation): each subscribes to its channel here.
 */
export class PgNotificationListener {
  private readonly handlers = new Map<string, Set<NotificationHandler>>();

  private constructor(
    private readonly client: Client,
    private readonly logger: Logger,
  ) {
    client.on("notification", (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? "");
    });
    client.on("error", (error) => logger.error("notification listener connection failed", { message: error.message }));
  }

  static async connect(databaseUrl: string, logger: Logger): Promise<PgNotificationListener> {
    const client = new Client({ connectionString: databaseUrl, application_name: "skillyard-notifications" });
    await client.connect();
    return new PgNotificationListener(client, logger);
  }

  /** Calls `handler` with each payload NOTIFYed on `channel`; the returned function unsubscribes. */
  async listen(channel: string, handler: NotificationHandler): Promise<() => void> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      await this.client.query(`LISTEN ${channel}`);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  async stop(): Promise<void> {
    this.handlers.clear();
    await this.client.end().catch((error: unknown) => this.logger.warn("closing the notification listener failed", { message: String(error) }));
  }
}
