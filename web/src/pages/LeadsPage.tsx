/** PLACEHOLDER: being built (issue 14). */
export default function LeadsPage() {
  return <h1>Leads</h1>;
}
