/** Props of {@link TurnError}. */
export interface TurnErrorProps {
  readonly error: Error | null | undefined;
}

/** The chat's error (a failed turn, a refused request, a connection that gave up), as an alert. */
export function TurnError({ error }: TurnErrorProps) {
  if (!error) return null;
  return (
    <div className="turn-error" role="alert">
      {/* Network failures are TypeErrors (the transport's give-up error is one on purpose). */}
      <strong>{error instanceof TypeError ? "Connection lost" : "Error"}:</strong> {error.message}
    </div>
  );
}
