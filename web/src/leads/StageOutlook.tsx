/**
 * "Why not SQL yet": each stage ahead of the lead that has a rule, nearest first, with its rule
 * and, condition by condition, whether it holds and what the lead's values read.
 */
import type { LeadDetailQuery } from "../gql/graphql";

type StageCheck = NonNullable<LeadDetailQuery["lead"]>["stageOutlook"][number];

export function StageOutlook({ outlook, stage }: { outlook: readonly StageCheck[]; stage: string }) {
  return (
    <section aria-labelledby="outlook-title" className="panel">
      <h2 id="outlook-title">Stage outlook</h2>
      {outlook.length === 0 && <p>No stage ahead of {stage} has a rule: the lead is at the funnel's end, or off its path (moved there by hand).</p>}
      {outlook.map((check) => (
        <article key={check.stage} className="outlook" aria-labelledby={`outlook-${check.stage}`}>
          <h3 id={`outlook-${check.stage}`}>{check.holds ? `Ready for ${check.stage}` : `Why not ${check.stage} yet`}</h3>
          <p>
            <code>{check.rule}</code>
            {check.holds && <span className="help"> — holds now: the lead moves at its next change of score or profile.</span>}
          </p>
          <ul className="conditions">
            {check.conditions.map((c, n) => (
              <li key={n} className={c.holds ? "holds" : "fails"}>
                <span aria-hidden="true">{c.holds ? "✓" : "✗"}</span> <code>{c.condition}</code>
                <span className="sr-only">{c.holds ? " holds" : " does not hold"}</span>
                {c.detail && <span className="detail">: {c.detail}</span>}
              </li>
            ))}
          </ul>
        </article>
      ))}
    </section>
  );
}
