/**
 * On a WebSocket a viewer outlives the moment they were checked: their roles or team memberships
 * may change while a subscription streams. The socket server provides this to subscriptions so each
 * states what must stay true; when the viewer changes, the condition is checked again with a fresh
 * context, and a stream whose condition no longer holds is stopped (its `signal` aborts) and ends
 * with `refusal()`.
 */
export interface LiveAccess<Ctx> {
  guard<T>(open: (signal: AbortSignal) => AsyncGenerator<T>, stillAllowed: (fresh: Ctx) => Promise<boolean>, refusal: () => Error): AsyncGenerator<T>;
}
