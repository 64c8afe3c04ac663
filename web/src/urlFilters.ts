import { useCallback, useEffect, useState } from "react";
import { navigate, useLocation } from "./router";

/** How long a search box waits after the last key before it changes the address. */
const TYPING_PAUSE_MILLIS = 300;

export interface UrlFilters {
  /** The address's query, re-read on every navigation. */
  query: URLSearchParams;
  /** The query as text: stable while the filters are, for memoizing what is derived from them. */
  queryText: string;
  /** Sets (or, empty, removes) query parameters, replacing the address so Back leaves the page. */
  setQuery: (changes: Record<string, string>) => void;
}

/** A list page's filters, kept in the address (`path?state=Error&q=acme`) so a view can be shared. */
export function useUrlFilters(path: string): UrlFilters {
  const { query } = useLocation();
  const queryText = query.toString();
  const setQuery = useCallback(
    (changes: Record<string, string>) => {
      const params = new URLSearchParams(queryText);
      for (const [key, value] of Object.entries(changes)) {
        if (value) params.set(key, value);
        else params.delete(key);
      }
      const text = params.toString();
      navigate(`${path}${text ? `?${text}` : ""}`, { replace: true });
    },
    [path, queryText],
  );
  return { query, queryText, setQuery };
}

/**
 * A search box's text for the query parameter `key` (whose value is `current`): it follows the
 * typing at once and updates the address once typing pauses (`trim`med, for exact values).
 */
export function useTypedParam(
  { setQuery }: Pick<UrlFilters, "setQuery">,
  key: string,
  current: string,
  options: { trim?: boolean } = {},
): [string, (text: string) => void] {
  const [text, setText] = useState(current);
  const wanted = options.trim ? text.trim() : text;
  useEffect(() => {
    if (wanted === current) return;
    const timer = setTimeout(() => setQuery({ [key]: wanted }), TYPING_PAUSE_MILLIS);
    return () => clearTimeout(timer);
  }, [wanted, current, key, setQuery]);
  return [text, setText];
}
