/**
 * The leads as a table (accessible name "Leads"): one row per lead linking to its page; the
 * sortable columns have a button in their header (`aria-sort` says the order), a second press
 * turns the direction. Rows a live event just changed are marked for a moment.
 */
import { memo } from "react";
import { Link } from "react-router";
import type { LeadRowFragment } from "../gql/graphql";
import { formatDateTime, fullName } from "./format";
import type { LeadsQuery, Sort } from "./leads-query";

export interface LeadsTableProps {
  rows: LeadRowFragment[];
  query: LeadsQuery;
  /** The model's groups (a column each), in its order. */
  groups: ReadonlyArray<{ name: string; max?: number | null }>;
  busy: boolean;
  /** Ids of rows a live event changed a moment ago. */
  changed: ReadonlySet<string>;
  onSort(sort: Sort): void;
}

const sameSort = (a: Sort, b: Sort): boolean => a.field === b.field && (a.field !== "GROUP" || (b.field === "GROUP" && a.group.toLowerCase() === b.group.toLowerCase()));

function SortHeader({ label, sort, query, onSort, numeric = true }: { label: string; sort: Sort; query: LeadsQuery; onSort(sort: Sort): void; numeric?: boolean }) {
  const active = sameSort(sort, query.sort);
  const ariaSort = active ? (query.direction === "ASC" ? "ascending" : "descending") : "none";
  return (
    <th scope="col" className={numeric ? "num" : undefined} aria-sort={ariaSort}>
      <button type="button" className="sort" onClick={() => onSort(sort)}>
        {label}
        <span aria-hidden="true" className="sort-mark">
          {active ? (query.direction === "ASC" ? " ▲" : " ▼") : ""}
        </span>
      </button>
    </th>
  );
}

const Row = memo(function Row({ lead, groups, changed }: { lead: LeadRowFragment; groups: LeadsTableProps["groups"]; changed: boolean }) {
  const name = fullName(lead);
  return (
    <tr className={changed ? "changed" : undefined}>
      <td>
        <Link to={`/leads/${lead.id}`}>{name || lead.email}</Link>
        {name && <div className="help">{lead.email}</div>}
      </td>
      <td>{lead.company}</td>
      <td>{lead.role}</td>
      <td>{lead.industry}</td>
      <td>{lead.source}</td>
      <td>{lead.stage}</td>
      <td className="num">{lead.score}</td>
      <td className="num">{lead.fit}</td>
      <td className="num">{lead.engagement}</td>
      {groups.map((g) => {
        const points = lead.groups?.find((x) => x.group === g.name);
        return (
          <td className="num" key={g.name}>
            {points ? (points.max != null ? `${points.points} / ${points.max}` : points.points) : "–"}
          </td>
        );
      })}
      <td>{formatDateTime(lead.updatedAt)}</td>
    </tr>
  );
});

export function LeadsTable({ rows, query, groups, busy, changed, onSort }: LeadsTableProps) {
  return (
    <div className="table-scroll">
      <table aria-label="Leads" aria-busy={busy} className="leads-table">
        <thead>
          <tr>
            <SortHeader label="Lead" sort={{ field: "EMAIL" }} query={query} onSort={onSort} numeric={false} />
            <th scope="col">Company</th>
            <th scope="col">Role</th>
            <th scope="col">Industry</th>
            <th scope="col">Source</th>
            <th scope="col">Stage</th>
            <SortHeader label="Score" sort={{ field: "SCORE" }} query={query} onSort={onSort} />
            <SortHeader label="Fit" sort={{ field: "FIT" }} query={query} onSort={onSort} />
            <SortHeader label="Engagement" sort={{ field: "ENGAGEMENT" }} query={query} onSort={onSort} />
            {groups.map((g) => (
              <SortHeader key={g.name} label={g.name} sort={{ field: "GROUP", group: g.name }} query={query} onSort={onSort} />
            ))}
            <SortHeader label="Updated" sort={{ field: "UPDATED_AT" }} query={query} onSort={onSort} numeric={false} />
          </tr>
        </thead>
        <tbody>
          {rows.map((lead) => (
            <Row key={lead.id} lead={lead} groups={groups} changed={changed.has(lead.id)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
