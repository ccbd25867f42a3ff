/**
 * Moving a lead by hand (a `sales` key): the stage, a reason, and "Reset engagement" to recycle it
 * (its engagement restarts now; interactions before earn nothing). What was typed stays in the
 * form when the service refuses it, with the reason in words.
 */
import { type FormEvent, useId, useState } from "react";
import { describeError, request } from "../api/client";
import { SET_LEAD_STAGE } from "./operations";

export interface StageMoveFormProps {
  leadId: string;
  stage: string;
  stages: string[];
  onMoved(): void;
}

export function StageMoveForm({ leadId, stage, stages, onMoved }: StageMoveFormProps) {
  const id = useId();
  const [target, setTarget] = useState(stage);
  const [reason, setReason] = useState("");
  const [reset, setReset] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const { setLeadStage } = await request(SET_LEAD_STAGE, { leadId, stage: target, reason: reason.trim() || null, resetEngagement: reset });
      setDone(`Moved to ${setLeadStage.stage}${reset ? ", engagement reset" : ""}.`);
      setReason("");
      setReset(false);
      onMoved();
    } catch (err) {
      setError(`The lead was not moved: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stage-move" aria-label="Move stage" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-stage`}>Move to stage</label>
        <select id={`${id}-stage`} value={target} onChange={(e) => setTarget(e.target.value)}>
          {stages.map((s) => (
            <option key={s} value={s}>
              {s}
              {s === stage ? " (now)" : ""}
            </option>
          ))}
        </select>
      </div>
      <div className="field grow">
        <label htmlFor={`${id}-reason`}>Reason</label>
        <input id={`${id}-reason`} value={reason} maxLength={500} placeholder="why, for the timeline" onChange={(e) => setReason(e.target.value)} />
      </div>
      <label className="check">
        <input type="checkbox" checked={reset} onChange={(e) => setReset(e.target.checked)} aria-describedby={`${id}-reset-help`} />
        Reset engagement
      </label>
      <p id={`${id}-reset-help`} className="help">
        Recycling: the lead's engagement restarts now; its earlier interactions earn nothing.
      </p>
      <button type="submit" disabled={busy}>
        {busy ? "Moving…" : "Move stage"}
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {done && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
    </form>
  );
}
