/** PLACEHOLDER: being built (issue 14). */
export default function AdminPage() {
  return <h1>Admin</h1>;
}
