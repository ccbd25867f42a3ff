/** A failed load, in words, with a button that asks again (the page keeps what it showed). */
export function RetryableError({ message, onRetry }: { message: string | null; onRetry: () => void }) {
  if (!message) return null;
  return (
    <p role="alert" className="error">
      {message}{" "}
      <button type="button" className="secondary" onClick={onRetry}>
        Try again
      </button>
    </p>
  );
}
