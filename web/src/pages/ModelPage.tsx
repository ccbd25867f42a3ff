/** PLACEHOLDER: being built (issue 14). */
export default function ModelPage() {
  return <h1>Model</h1>;
}
