import { isActiveStatus, ReplayClient, type SessionStatusView } from "@chat-replay/client";
import { type UseQueryResult, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";

/** Options of {@link useSessionStatus}. */
export interface UseSessionStatusOptions {
  readonly sessionId: string;
  /** Origin and path prefix of the replay server; `""` = same origin. */
  readonly baseUrl?: string;
  /** Disable polling (e.g. for read-only sessions). Default true. */
  readonly enabled?: boolean;
  /** Poll intervals: `active` while running/waiting (default 1000 ms), `idle` otherwise (3000 ms). */
  readonly intervals?: { readonly active?: number; readonly idle?: number };
  readonly fetch?: typeof fetch;
  readonly headers?: Record<string, string>;
  readonly credentials?: RequestCredentials;
  /** The core's HTTP client to poll through (shares ETags); built from the options otherwise. */
  readonly client?: ReplayClient;
}

/** The TanStack Query key of a session's status. */
export function sessionStatusQueryKey(baseUrl: string, sessionId: string) {
  return ["chat-replay", "status", baseUrl, sessionId] as const;
}

/**
 * Polls a session's status cheaply (§7 Status polling): about every second while a turn
 * runs or waits, every three seconds otherwise, paused in hidden tabs, refetched on focus,
 * with `If-None-Match` so an unchanged status costs a 304 and no re-render. Needs a
 * `QueryClientProvider`.
 */
export function useSessionStatus(options: UseSessionStatusOptions): UseQueryResult<SessionStatusView> {
  const { sessionId, baseUrl = "", enabled = true, fetch, headers, credentials } = options;
  const active = options.intervals?.active ?? 1000;
  const idle = options.intervals?.idle ?? 3000;
  const own = useMemo(
    () =>
      new ReplayClient({
        baseUrl,
        ...(fetch ? { fetch } : {}),
        ...(headers ? { headers } : {}),
        ...(credentials ? { credentials } : {}),
      }),
    [baseUrl, fetch, headers, credentials],
  );
  const client = options.client ?? own;
  return useQuery({
    queryKey: sessionStatusQueryKey(baseUrl, sessionId),
    queryFn: ({ signal, client: queryClient, queryKey }) =>
      client.status(sessionId, queryClient.getQueryData<SessionStatusView>(queryKey), signal),
    enabled: enabled && sessionId !== "",
    refetchInterval: (query) => (isActiveStatus(query.state.data) ? active : idle),
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
    staleTime: 0,
  });
}
