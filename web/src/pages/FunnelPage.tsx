/** PLACEHOLDER: being built (issue 14). */
export default function FunnelPage() {
  return <h1>Funnel</h1>;
}
