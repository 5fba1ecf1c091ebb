import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";

/** Props of {@link IsolatedQueryClient}. */
export interface IsolatedQueryClientProps {
  readonly children: ReactNode;
}

/**
 * Gives its children a QueryClient of their own, so an in-page observer polls and caches
 * status and history separately, as a second tab would.
 */
export function IsolatedQueryClient({ children }: IsolatedQueryClientProps) {
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: false } } }));
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
