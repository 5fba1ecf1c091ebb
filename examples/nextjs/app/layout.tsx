import type { ReactNode } from "react";

export const metadata = { title: "chat-replay · Next.js recipe" };

// Next.js requires the root layout as the default export.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
