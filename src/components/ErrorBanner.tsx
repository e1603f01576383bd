/** A readable error (bad data, backend failure) with a way to dismiss it. Presentational. */
export interface ErrorBannerProps {
  message: string | null;
  onDismiss(): void;
}

export function ErrorBanner({ message, onDismiss }: ErrorBannerProps) {
  if (!message) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error">
      <strong>Error:</strong> <span>{message}</span>
      <button type="button" onClick={onDismiss} aria-label="dismiss error">
        ×
      </button>
    </div>
  );
}
