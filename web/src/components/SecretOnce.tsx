/**
 * A secret the service shows only once (a new API key, a webhook's signing secret): in a read-only
 * field with a Copy button and a warning, until the person says they have kept it.
 */
import { useId, useRef, useState } from "react";

export interface SecretOnceProps {
  /** What it is ("New API key for ci-export"). */
  label: string;
  secret: string;
  /** Where it goes, said under the warning. */
  hint?: string;
  onDone: () => void;
}

export function SecretOnce({ label, secret, hint, onDone }: SecretOnceProps) {
  const id = useId();
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("Copied.");
    } catch {
      // No clipboard permission (or not a secure context): select it for Ctrl-C instead.
      field.current?.select();
      setCopied("Selected: press Ctrl-C (⌘-C) to copy.");
    }
  }

  return (
    <div className="secret-once">
      <label htmlFor={`${id}-value`}>
        {label}
      </label>
      <div className="secret-row">
        <input id={`${id}-value`} ref={field} readOnly value={secret} spellCheck={false} onFocus={(e) => e.currentTarget.select()} aria-describedby={`${id}-warning`} />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p id={`${id}-warning`} className="warning">
        Shown only now: copy it and keep it somewhere safe. The service stores only a hash and cannot show it again.
        {hint ? ` ${hint}` : ""}
      </p>
      <p role="status" className="help">
        {copied}
      </p>
      <button type="button" className="secondary" onClick={onDone}>
        I have kept it
      </button>
    </div>
  );
}
