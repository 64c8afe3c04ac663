import { listSuppliers } from "./api";
import { usePoll } from "./poll";
import { type UrlFilters, useTypedParam } from "./urlFilters";

/** The list pages' filter controls, each reading and setting its parameters in the address. */

/** A search box for the parameter `param`, which follows the typing once it pauses (`trim`med, for exact values). */
export function SearchFilter(props: {
  filters: UrlFilters;
  param: string;
  label: string;
  placeholder: string;
  testId: string;
  trim?: boolean;
}) {
  const [text, setText] = useTypedParam(
    props.filters,
    props.param,
    props.filters.query.get(props.param) ?? "",
    {
      trim: props.trim ?? false,
    },
  );
  return (
    <label>
      {props.label}{" "}
      <input
        type="search"
        data-testid={props.testId}
        placeholder={props.placeholder}
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
    </label>
  );
}

/** Two days (`from`, `to`: `YYYY-MM-DD`), "<label> from … to …". */
export function DayRangeFilter({ filters, label }: { filters: UrlFilters; label: string }) {
  const { query, setQuery } = filters;
  return (
    <>
      <label>
        {label} from{" "}
        <input
          type="date"
          data-testid="from-filter"
          value={query.get("from") ?? ""}
          onChange={(event) => setQuery({ from: event.target.value })}
        />
      </label>
      <label>
        to{" "}
        <input
          type="date"
          data-testid="to-filter"
          value={query.get("to") ?? ""}
          onChange={(event) => setQuery({ to: event.target.value })}
        />
      </label>
    </>
  );
}

/**
 * The suppliers as a filter's options (`GET /v1/suppliers`): "All suppliers", each by name, and
 * the chosen id itself while it is not (yet) among them.
 */
export function SupplierFilter(props: { value: string | undefined; onChange: (id: string) => void }) {
  const suppliers = usePoll((signal) => listSuppliers(signal), [], 30_000);
  const options = suppliers.data?.suppliers ?? [];
  return (
    <label>
      Supplier{" "}
      <select
        data-testid="supplier-filter"
        value={props.value ?? ""}
        onChange={(event) => props.onChange(event.target.value)}
      >
        <option value="">All suppliers</option>
        {options.map((supplier) => (
          <option key={supplier.id} value={supplier.id}>
            {supplier.name}
          </option>
        ))}
        {props.value && !options.some((s) => s.id === props.value) ? (
          <option value={props.value}>{props.value}</option>
        ) : null}
      </select>
    </label>
  );
}
