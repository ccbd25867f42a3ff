/**
 * "Preview": what publishing the editor's model would do to the leads now (the service computes it
 * and writes nothing): per stage now / with the model / from scratch, how many leads change, and the
 * top movers with their new stage and the rules that changed them.
 */
import { Link } from "react-router";
import type { ModelPagePreviewMutation } from "../gql/graphql";

export type PreviewData = ModelPagePreviewMutation["previewModel"];

const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));

function leadName(lead: PreviewData["topMovers"][number]["lead"]): string {
  const name = [lead.firstName, lead.lastName].filter(Boolean).join(" ");
  return name ? `${name} (${lead.email})` : lead.email;
}

export function PreviewResult({ preview }: { preview: PreviewData }) {
  if (preview.diagnostics.some((d) => d.severity === "ERROR")) {
    return <p className="error">The service found errors in the model (listed under Problems): nothing to preview.</p>;
  }
  return (
    <div className="preview-result">
      <p>
        <strong>{preview.leadsChanged}</strong> {preview.leadsChanged === 1 ? "lead" : "leads"} would change score or stage.
      </p>
      <table aria-label="Leads per stage">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col" className="num">
              Now
            </th>
            <th scope="col" className="num">
              With the model
            </th>
            <th scope="col" className="num">
              From scratch
            </th>
          </tr>
        </thead>
        <tbody>
          {preview.stages.map((s) => (
            <tr key={s.stage}>
              <th scope="row">{s.stage}</th>
              <td className="num">{s.now}</td>
              <td className="num">{s.withModel}</td>
              <td className="num">{s.fromScratch}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="help">
        "With the model": as publishing would leave them (stage rules move leads forward only). "From scratch": if every lead were qualified
        afresh from the first stage (a raised threshold shows here).
      </p>
      {preview.topMovers.length > 0 && (
        <table aria-label="Top movers">
          <thead>
            <tr>
              <th scope="col">Lead</th>
              <th scope="col" className="num">
                Score now
              </th>
              <th scope="col" className="num">
                With the model
              </th>
              <th scope="col">Stage</th>
              <th scope="col">Rules that changed it</th>
            </tr>
          </thead>
          <tbody>
            {preview.topMovers.map((m) => (
              <tr key={m.lead.id}>
                <td>
                  <Link to={`/leads/${m.lead.id}`}>{leadName(m.lead)}</Link>
                </td>
                <td className="num">{m.scoreNow}</td>
                <td className="num">
                  {m.scoreWithModel} ({signed(m.change)})
                </td>
                <td>{m.stageNow === m.stageWithModel ? m.stageNow : `${m.stageNow} → ${m.stageWithModel}`}</td>
                <td>{m.rulesChanged.join("; ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
