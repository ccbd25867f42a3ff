/**
 * A button for something that cannot be undone (revoke a key, delete a webhook): the first press
 * asks, in words, beside the button; only "Yes" does it. Escape or "Cancel" puts the question away
 * and the focus back on the button.
 */
import { type ReactNode, useEffect, useRef, useState } from "react";

export interface ConfirmButtonProps {
  /** The button's text ("Revoke"). */
  label: string;
  /** Its accessible name when the text alone is ambiguous in a list ("Revoke key ci-export"). */
  accessibleName?: string;
  /** What is asked ("Revoke ci-export? Clients using it are refused at once."). */
  question: ReactNode;
  /** The confirming button's text ("Yes, revoke"). */
  confirmLabel: string;
  disabled?: boolean;
  onConfirm: () => void;
}

export function ConfirmButton({ label, accessibleName, question, confirmLabel, disabled, onConfirm }: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) cancel.current?.focus();
    else if (wasAsking.current) opener.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  if (!asking) {
    return (
      <button ref={opener} type="button" className="secondary" aria-label={accessibleName} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span role="group" aria-label={accessibleName ?? label} className="confirm" onKeyDown={(e) => e.key === "Escape" && setAsking(false)}>
      <span className="confirm-question">{question}</span>{" "}
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>{" "}
      <button ref={cancel} type="button" className="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
