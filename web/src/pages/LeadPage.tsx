/** PLACEHOLDER: being built (issue 14). */
export default function LeadPage() {
  return <h1>Lead</h1>;
}
